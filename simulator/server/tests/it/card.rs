//! Virtual My Number Cards: the profile derivation, the admin API and the `card` CLI, the vpcd driver
//! against a scripted vpcd peer (these run everywhere), and end-to-end runs through the real pcscd +
//! vsmartcard-vpcd with the `pcsc` crate and OpenSC's tools (`e2e_*`).
//!
//! The e2e tests need `bash .ci/setup-pcsc.sh` (pcscd running, vpcd on 127.0.0.1:35963, OpenSC and
//! openssl installed). Without that they print `skipped: <reason>` and pass, except under `CI`, where
//! they fail. There is one pcscd per machine, so they hold [`PCSC`] for their whole run, and they use
//! slot 0 (`Virtual PCD 00 00`).

use std::ffi::CString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use sha2::Digest;
use sim_card::ATR_JPKI;
use sim_server::card::{CardInfo, VpcdAddr, profile};
use sim_server::config::Config;
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;
use tower::ServiceExt;

/// The person whose card the read-only e2e cases share.
const PERSON: &str = "valid-shaho-honnin";
/// The person whose card the lock test locks (in its own state directory).
const LOCK_PERSON: &str = "valid-kouki";
/// pcscd's name for vpcd slot 0.
const READER: &str = "Virtual PCD 00 00";

const SELECT_JPKI: &str = "00A4040C0AD392F000260100000001";

fn h(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A simulator in-process: the shared state from `build_shared` and the HTTP app on a port-0
/// listener, on its own runtime.
pub(crate) struct Sim {
    rt: tokio::runtime::Runtime,
    pub(crate) url: String,
    pub(crate) shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Sim {
    fn start(root: &Path, vpcd: VpcdAddr) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut config = Config::default_config();
        config.population.size = 20;
        let mut opts = ServeOptions::new(config, root.join("oqs"), root.join("state"));
        opts.vpcd = vpcd;
        let shared = build_shared(&opts).expect("build_shared");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = sim_server::http::app(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        rt.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Sim {
            rt,
            url,
            shared,
            stop: Some(tx),
        }
    }

    /// One admin API call through the router.
    fn call(&self, method: &str, path: &str, body: &str) -> (StatusCode, String) {
        let app = sim_server::http::app(self.shared.clone());
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.rt.block_on(async {
            let response = app.oneshot(request).await.expect("infallible");
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        })
    }

    fn card(&self, slot: u8) -> Option<CardInfo> {
        self.shared
            .cards
            .list()
            .into_iter()
            .find(|c| c.slot == slot)
    }

    fn tries(&self, slot: u8, pin: &str) -> Option<u8> {
        self.card(slot)?.link?.tries_left.get(pin).copied()
    }

    pub(crate) fn person(&self, id: &str) -> &sim_core::Person {
        self.shared.population.person_by_id(id).expect("person")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shared.cards.remove_all();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A fresh scratch directory under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A vpcd address that refuses connections at once (port 1 on loopback: nothing listens there).
fn refusing_vpcd() -> VpcdAddr {
    VpcdAddr {
        host: "127.0.0.1".into(),
        port: 1,
    }
}

/// A loopback port nobody listens on now (bound, then released), to be bound again later.
fn dead_vpcd() -> VpcdAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    VpcdAddr {
        host: "127.0.0.1".into(),
        port,
    }
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Profile and registry (no IO besides the state directory)

#[test]
fn card_profile_is_derived_from_seed_and_printed_data() {
    let born = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    // Issued 2025-04-01: the 10th birthday after it for adults, the 5th for minors.
    assert_eq!(profile::expiry_year(born(1980, 1, 1)), 2035);
    assert_eq!(profile::expiry_year(born(1980, 4, 2)), 2034);
    assert_eq!(profile::expiry_year(born(2015, 6, 10)), 2029);

    let root = scratch("card-profile");
    let sim = Sim::start(&root, refusing_vpcd());
    let person = sim.person(PERSON);
    let seed = profile::card_seed(20261125, PERSON);
    assert_eq!(seed, profile::card_seed(20261125, PERSON));
    assert_ne!(seed, profile::card_seed(20261126, PERSON));
    let p = profile::card_profile(person, &seed);
    assert_eq!(p.name, person.name);
    assert_eq!(p.birth_date, person.birthdate.format("%Y%m%d").to_string());
    assert_eq!(p.auth_pin.expose(), b"1234");
    assert_eq!(p.kenhojo_pin.expose(), b"1234");
    assert_eq!(p.sign_password.expose(), b"ABC123");
    assert!(sim_card::MyNumber::parse(p.my_number.as_str()).is_ok());
    let pin_b = String::from_utf8(p.pin_b().expose().to_vec()).expect("ascii");
    assert_eq!(pin_b.len(), 14);
    assert!(pin_b.starts_with(&person.birthdate.format("%y%m%d").to_string()));
    assert_eq!(
        &pin_b[6..10],
        profile::expiry_year(person.birthdate).to_string()
    );
    assert!(p.problems().is_empty(), "{:?}", p.problems());

    // The registry knows every person's serial without building a card, and it is the built one.
    let cards = &sim.shared.cards;
    assert_eq!(cards.card_profile(person).pin_b(), p.pin_b());
    let serial = cards.auth_serial_hex(PERSON);
    assert_eq!(cards.person_by_auth_serial_hex(&serial), Some(PERSON));
    assert_eq!(
        cards.person_by_auth_serial_hex(&serial.to_lowercase()),
        Some(PERSON)
    );
    assert_eq!(cards.person_by_auth_serial_hex("00"), None);
    let content = cards.content(person).expect("content");
    assert_eq!(content.auth_serial_hex(), serial);
    assert_eq!(
        cards.person_by_auth_serial(content.auth_serial()),
        Some(PERSON)
    );
    // Cached: the same content again, at once.
    assert!(Arc::ptr_eq(
        &content,
        &cards.content(person).expect("content")
    ));
}

#[test]
fn every_person_of_a_population_fits_on_a_card() {
    let (population, _) = sim_fixtures::population(7, 3000).expect("population");
    let mut numbers = std::collections::HashSet::new();
    for person in population.persons() {
        let seed = profile::card_seed(7, &person.id);
        let p = profile::card_profile(person, &seed);
        assert!(p.problems().is_empty(), "{}: {:?}", person.id, p.problems());
        numbers.insert(p.my_number.as_str().to_owned());
    }
    // 11 random digits: collisions are possible but should be rare.
    assert!(numbers.len() + 5 >= population.len());
}

#[test]
fn vpcd_addresses_parse() {
    let a: VpcdAddr = "127.0.0.1:35963".parse().expect("addr");
    assert_eq!((a.host.as_str(), a.port), ("127.0.0.1", 35963));
    assert_eq!(a.slot_port(1), Some(35964));
    assert_eq!(a, VpcdAddr::default());
    let b: VpcdAddr = "[::1]:4000".parse().expect("addr");
    assert_eq!((b.host.as_str(), b.port), ("::1", 4000));
    assert_eq!(b.to_string(), "[::1]:4000");
    let c: VpcdAddr = "pcscd:35963".parse().expect("addr");
    assert_eq!(c.host, "pcscd");
    for bad in ["", "35963", ":35963", "host:", "host:70000", "host:x"] {
        assert!(bad.parse::<VpcdAddr>().is_err(), "{bad:?}");
    }
    assert_eq!(
        VpcdAddr {
            host: "h".into(),
            port: u16::MAX
        }
        .slot_port(1),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Admin API and CLI (vpcd refuses: cards stay "connecting")

#[test]
fn admin_api_inserts_lists_removes_with_clear_errors() {
    let root = scratch("card-admin");
    let sim = Sim::start(&root, refusing_vpcd());

    let (status, body) = sim.call("POST", "/admin/cards/insert", r#"{"person":"nobody"}"#);
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("no person with id \"nobody\""), "{body}");

    let (status, body) = sim.call(
        "POST",
        "/admin/cards/insert",
        r#"{"person":"valid-shaho-honnin","slot":99}"#,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = sim.call("POST", "/admin/cards/insert", "{not json");
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = sim.call(
        "POST",
        "/admin/cards/insert",
        r#"{"person":"valid-shaho-honnin"}"#,
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["slot"], 0);
    assert_eq!(v["person_id"], PERSON);
    assert_eq!(v["auth_serial"], sim.shared.cards.auth_serial_hex(PERSON));
    assert_eq!(v["tries_left"]["jpki-auth"], 3);
    assert_eq!(v["tries_left"]["jpki-sign"], 5);

    let (status, body) = sim.call(
        "POST",
        "/admin/cards/insert",
        r#"{"person":"valid-kouki","slot":0}"#,
    );
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("slot 0 already holds"), "{body}");
    let (status, body) = sim.call(
        "POST",
        "/admin/cards/insert",
        r#"{"person":"valid-shaho-honnin","slot":1}"#,
    );
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("already in slot 0"), "{body}");

    let (status, body) = sim.call("GET", "/admin/cards", "");
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["vpcd"], sim.shared.cards.vpcd().to_string());
    assert_eq!(v["cards"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["cards"][0]["state"], "connecting");
    wait_until("a connection error", Duration::from_secs(5), || {
        sim.card(0)
            .and_then(|c| c.link?.last_error)
            .is_some_and(|e| e.contains("cannot connect to vpcd"))
    });

    let (status, body) = sim.call("POST", "/admin/cards/remove", r#"{"slot":1}"#);
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // While inserted, its PINs cannot be reset.
    let (status, _) = sim.call(
        "POST",
        "/admin/cards/reset-pins",
        r#"{"person":"valid-shaho-honnin"}"#,
    );
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = sim.call("POST", "/admin/cards/remove", "");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"state\":\"removed\""), "{body}");
    assert!(sim.shared.cards.list().is_empty());
    let (status, _) = sim.call(
        "POST",
        "/admin/cards/reset-pins",
        r#"{"person":"valid-shaho-honnin"}"#,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
}

fn cli(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simulator"))
        .arg("card")
        .args(args)
        .arg("--server")
        .arg(url)
        .output()
        .expect("run simulator")
}

#[test]
fn cli_drives_a_running_simulator() {
    let root = scratch("card-cli");
    let sim = Sim::start(&root, refusing_vpcd());
    let url = sim.url.clone();

    let out = cli(&url, &["list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no card inserted"));

    let out = cli(&url, &["insert", "--person", PERSON, "--slot", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("inserted: slot 1: valid-shaho-honnin"),
        "{stdout}"
    );

    let out = cli(&url, &["list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&sim.shared.cards.auth_serial_hex(PERSON)),
        "{stdout}"
    );
    let out = cli(&url, &["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["cards"][0]["slot"], 1);

    let out = cli(&url, &["insert", "--person", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("404") && stderr.contains("no person with id"),
        "{stderr}"
    );
    let out = cli(&url, &["insert", "--person", LOCK_PERSON, "--slot", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("409"));

    let out = cli(&url, &["remove", "--slot", "1"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed: slot 1"));
    let out = cli(&url, &["remove", "--slot", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no card in slot 1"));
}

// ---------------------------------------------------------------------------------------------
// The vpcd driver against a scripted vpcd peer

/// The vpcd side of one connection.
struct Peer(TcpStream);

impl Peer {
    fn accept(listener: &TcpListener, timeout: Duration) -> Peer {
        listener.set_nonblocking(true).expect("nonblocking");
        let deadline = Instant::now() + timeout;
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).expect("blocking");
                    stream
                        .set_read_timeout(Some(Duration::from_secs(5)))
                        .expect("timeout");
                    stream.set_nodelay(true).expect("nodelay");
                    return Peer(stream);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "the card did not connect");
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }

    fn send(&mut self, payload: &[u8]) {
        self.0
            .write_all(&sim_card::vpcd::frame(payload).expect("frame"))
            .expect("send");
    }

    fn recv(&mut self) -> Vec<u8> {
        let mut len = [0u8; 2];
        self.0.read_exact(&mut len).expect("length");
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.0.read_exact(&mut payload).expect("payload");
        payload
    }

    fn apdu(&mut self, hex: &str) -> Vec<u8> {
        self.send(&h(hex));
        self.recv()
    }

    /// Whether the card closed the connection.
    fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.0.read(&mut byte), Ok(0))
    }
}

#[test]
fn driver_speaks_vpcd_and_survives_malformed_frames() {
    let root = scratch("card-driver");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let vpcd = VpcdAddr {
        host: "127.0.0.1".into(),
        port: listener.local_addr().expect("addr").port(),
    };
    let sim = Sim::start(&root, vpcd.clone());
    sim.shared
        .cards
        .insert(sim.person(PERSON), 0)
        .expect("insert");
    let mut peer = Peer::accept(&listener, Duration::from_secs(10));

    // GET ATR at any time, power on (no answer), then APDUs.
    peer.send(&[0x04]);
    assert_eq!(peer.recv(), ATR_JPKI);
    peer.send(&[0x01]);
    peer.send(&[0x04]);
    assert_eq!(peer.recv(), ATR_JPKI);
    assert_eq!(peer.apdu(SELECT_JPKI), h("9000"));
    // A frame dribbled out byte by byte is still one frame.
    for b in sim_card::vpcd::frame(&h("00A4020C020018")).expect("frame") {
        peer.0.write_all(&[b]).expect("send");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(peer.recv(), h("9000"));
    assert_eq!(peer.apdu("00200080"), h("63C3"));
    assert_eq!(peer.apdu("002000800430303030"), h("63C2"));
    // Two frames in one segment: two answers.
    let mut two = sim_card::vpcd::frame(&[0x04]).expect("frame");
    two.extend(sim_card::vpcd::frame(&h("00200080")).expect("frame"));
    peer.0.write_all(&two).expect("send");
    assert_eq!(peer.recv(), ATR_JPKI);
    assert_eq!(peer.recv(), h("63C2"));
    assert_eq!(sim.tries(0, "jpki-auth"), Some(2));

    // An empty frame ends the session; the card comes back (a new insertion), powered off.
    peer.0.write_all(&[0, 0]).expect("send");
    assert!(peer.closed(), "the card should close the connection");
    let mut peer = Peer::accept(&listener, Duration::from_secs(10));
    peer.send(&[0x04]);
    assert_eq!(peer.recv(), ATR_JPKI);
    let card = sim.card(0).expect("card");
    let link = card.link.expect("link");
    assert_eq!(link.sessions, 2);
    assert!(
        link.last_error
            .as_deref()
            .is_some_and(|e| e.contains("malformed")),
        "{:?}",
        link.last_error
    );
    // An unknown control byte likewise.
    peer.send(&[0x07]);
    assert!(peer.closed());
    let mut peer = Peer::accept(&listener, Duration::from_secs(10));
    // The session state is gone: nothing selected, the counter still 2.
    assert_eq!(peer.apdu("00A4020C020018"), h("6A82"));
    assert_eq!(peer.apdu(SELECT_JPKI), h("9000"));
    assert_eq!(peer.apdu("00A4020C020018"), h("9000"));
    assert_eq!(peer.apdu("00200080"), h("63C2"));

    // Removal closes the connection.
    sim.shared.cards.remove(0).expect("remove");
    assert!(peer.closed());

    // The counter survives a restart of the simulator.
    drop(sim);
    let sim = Sim::start(&root, vpcd);
    sim.shared
        .cards
        .insert(sim.person(PERSON), 0)
        .expect("insert");
    assert_eq!(sim.tries(0, "jpki-auth"), Some(2));
    let mut peer = Peer::accept(&listener, Duration::from_secs(10));
    assert_eq!(peer.apdu(SELECT_JPKI), h("9000"));
    assert_eq!(peer.apdu("00A4020C020018"), h("9000"));
    assert_eq!(peer.apdu("00200080"), h("63C2"));
    // The right PIN resets it, and the reset is saved too.
    assert_eq!(peer.apdu("002000800431323334"), h("9000"));
    wait_until("the counter to reset", Duration::from_secs(5), || {
        sim.tries(0, "jpki-auth") == Some(3)
    });
}

#[test]
fn driver_waits_for_vpcd_to_come_up() {
    let root = scratch("card-late-vpcd");
    let vpcd = dead_vpcd();
    let sim = Sim::start(&root, vpcd.clone());
    sim.shared
        .cards
        .insert(sim.person(PERSON), 0)
        .expect("insert");
    wait_until("a failed attempt", Duration::from_secs(5), || {
        sim.card(0).and_then(|c| c.link?.last_error).is_some()
    });
    assert_eq!(sim.card(0).map(|c| c.state), Some("connecting"));
    // vpcd comes up late: the card connects on its own.
    let listener = TcpListener::bind(("127.0.0.1", vpcd.port)).expect("rebind");
    let mut peer = Peer::accept(&listener, Duration::from_secs(10));
    peer.send(&[0x04]);
    assert_eq!(peer.recv(), ATR_JPKI);
    assert_eq!(sim.card(0).map(|c| c.state), Some("connected"));
}

// ---------------------------------------------------------------------------------------------
// End to end: pcscd + vpcd + OpenSC

/// Serializes everything that talks to the machine's one pcscd.
static PCSC: Mutex<()> = Mutex::new(());

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Why the real stack is not usable here, if it is not.
fn stack_missing() -> Option<String> {
    if !Path::new("/run/pcscd/pcscd.comm").exists() {
        return Some("pcscd is not running (run .ci/setup-pcsc.sh)".into());
    }
    for tool in ["opensc-tool", "pkcs15-tool", "pkcs15-crypt", "openssl"] {
        if !on_path(tool) {
            return Some(format!("{tool} is not installed (run .ci/setup-pcsc.sh)"));
        }
    }
    let listening = ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|t| {
            t.lines()
                .any(|l| l.to_ascii_uppercase().contains(":8C7B ") && l.contains(" 0A "))
        })
    });
    if !listening {
        return Some("vpcd is not listening on port 35963 (vsmartcard-vpcd missing?)".into());
    }
    match pcsc::Context::establish(pcsc::Scope::User) {
        Err(e) => Some(format!("cannot reach pcscd: {e}")),
        Ok(ctx) => match ctx.list_readers_owned() {
            Ok(readers) if readers.iter().any(|r| r.to_bytes() == READER.as_bytes()) => None,
            Ok(readers) => Some(format!("no reader {READER:?} in {readers:?}")),
            Err(e) => Some(format!("cannot list readers: {e}")),
        },
    }
}

/// Takes, once per test process and until it exits, the machine-wide lock on pcscd's slot 0: the
/// shared simulator stays connected to vpcd between tests, so two test processes (two checkouts, a
/// benchmark) must not interleave. Blocks until the other process exits.
fn machine_lock() {
    static LOCK: OnceLock<std::fs::File> = OnceLock::new();
    LOCK.get_or_init(|| {
        let path = std::env::temp_dir().join("sim-pcscd-slot0.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .expect("open the pcscd lock file");
        if file.try_lock().is_err() {
            println!("waiting for {}: another process uses pcscd", path.display());
            file.lock().expect("lock the pcscd lock file");
        }
        file
    });
}

/// The pcscd lock, or `None` (after printing why) when the stack is missing outside CI.
pub(crate) fn e2e_lock() -> Option<MutexGuard<'static, ()>> {
    let guard = PCSC.lock().unwrap_or_else(|e| e.into_inner());
    match stack_missing() {
        None => {
            machine_lock();
            Some(guard)
        }
        Some(reason) if std::env::var_os("CI").is_some() => {
            panic!("the PC/SC stack is required under CI: {reason}")
        }
        Some(reason) => {
            println!("skipped: {reason}");
            None
        }
    }
}

/// Waits until pcscd reports slot 0 with (or without) a card.
pub(crate) fn wait_reader(present: bool) {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcsc context");
    let reader = CString::new(READER).expect("name");
    let mut states = [pcsc::ReaderState::new(reader, pcsc::State::UNAWARE)];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match ctx.get_status_change(Duration::from_millis(500), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => panic!("get_status_change: {e}"),
        }
        let state = states[0].event_state();
        let now_present = state.contains(pcsc::State::PRESENT);
        if now_present == present && (!present || states[0].atr() == ATR_JPKI) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pcscd never saw the card {}",
            if present { "inserted" } else { "removed" }
        );
        states[0].sync_current_state();
    }
}

/// The simulator shared by the read-only e2e cases (its card stays in slot 0 between them).
static SHARED: OnceLock<Sim> = OnceLock::new();

pub(crate) fn shared_sim() -> &'static Sim {
    SHARED.get_or_init(|| Sim::start(&scratch("card-e2e"), VpcdAddr::default()))
}

/// Makes sure slot 0 holds `person`'s card from the shared simulator, and pcscd sees it.
pub(crate) fn ensure_card(sim: &Sim, person: &str) {
    if let Some(card) = sim.card(0) {
        if card.person_id == person && card.state == "connected" {
            return;
        }
        sim.shared.cards.remove(0).expect("remove");
        wait_reader(false);
    }
    sim.shared
        .cards
        .insert(sim.person(person), 0)
        .expect("insert");
    wait_reader(true);
}

/// Empties slot 0 of the shared simulator, if it was started.
pub(crate) fn release_slot0() {
    if let Some(sim) = SHARED.get()
        && sim.card(0).is_some()
    {
        sim.shared.cards.remove(0).expect("remove");
        wait_reader(false);
    }
}

fn run_tool(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Raw APDUs through the PC/SC API: returns the SW of each, in order.
fn transmit_all(apdus: &[&str]) -> Vec<Vec<u8>> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcsc context");
    let reader = CString::new(READER).expect("name");
    let card = ctx
        .connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .expect("connect");
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    let out = apdus
        .iter()
        .map(|a| card.transmit(&h(a), &mut buf).expect("transmit").to_vec())
        .collect();
    let _ = card.disconnect(pcsc::Disposition::ResetCard);
    out
}

fn sw(response: &[u8]) -> String {
    response
        .get(response.len().saturating_sub(2)..)
        .map(|s| s.iter().map(|b| format!("{b:02X}")).collect())
        .unwrap_or_default()
}

#[test]
fn e2e_pcsc_client_sees_the_card() {
    let Some(_guard) = e2e_lock() else { return };
    let sim = shared_sim();
    ensure_card(sim, PERSON);

    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcsc context");
    let reader = CString::new(READER).expect("name");
    let card = ctx
        .connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .expect("connect");
    let status = card.status2_owned().expect("status");
    assert_eq!(status.atr(), ATR_JPKI);
    drop(card);

    let r = transmit_all(&[
        "00A4040C0AD392F0002601000000FF", // a foreign AID
        "00CA000000",                     // unknown INS for this card
        SELECT_JPKI,
        "00A4020C02000A",
        "00B0000004",
        "00A4020C020018",
        "00200080",
    ]);
    let sws: Vec<String> = r.iter().map(|x| sw(x)).collect();
    assert_eq!(
        sws,
        ["6A82", "6D00", "9000", "9000", "9000", "9000", "63C3"]
    );
    let der = sim
        .shared
        .cards
        .content(sim.person(PERSON))
        .expect("content")
        .auth_certificate_der()
        .to_vec();
    assert_eq!(&r[4][..4], &der[..4], "the DER header of 000A");
}

#[test]
fn e2e_opensc_reads_the_certificates() {
    let Some(_guard) = e2e_lock() else { return };
    let sim = shared_sim();
    ensure_card(sim, PERSON);
    let content = sim
        .shared
        .cards
        .content(sim.person(PERSON))
        .expect("content");

    let out = run_tool("opensc-tool", &["-n"]);
    assert_eq!(stdout(&out).trim(), "jpki", "{out:?}");

    let out = run_tool("pkcs15-tool", &["--list-certificates"]);
    let listing = stdout(&out);
    for label in [
        "User Authentication Certificate",
        "Digital Signature Certificate",
        "User Authentication Certificate CA",
        "Digital Signature Certificate CA",
    ] {
        assert!(listing.contains(label), "{label} missing in {listing}");
    }
    assert!(listing.contains(&content.auth_serial_hex()), "{listing}");

    // The auth certificate comes back byte for byte.
    let dir = scratch("card-e2e-read");
    let out = run_tool("pkcs15-tool", &["--read-certificate", "01"]);
    assert!(out.status.success(), "{out:?}");
    std::fs::write(dir.join("auth.pem"), &out.stdout).expect("write");
    let der_path = dir.join("auth.der");
    let out = run_tool(
        "openssl",
        &[
            "x509",
            "-in",
            &dir.join("auth.pem").display().to_string(),
            "-outform",
            "der",
            "-out",
            &der_path.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read(&der_path).expect("der"),
        content.auth_certificate_der()
    );

    // The signature certificate needs its password: no certificate without it.
    let out = run_tool("pkcs15-tool", &["--read-certificate", "02"]);
    assert!(
        !out.status.success() && !stdout(&out).contains("BEGIN CERTIFICATE"),
        "{out:?}"
    );
}

#[test]
fn e2e_opensc_signs_with_the_right_pin_only() {
    let Some(_guard) = e2e_lock() else { return };
    let sim = shared_sim();
    ensure_card(sim, PERSON);
    let content = sim
        .shared
        .cards
        .content(sim.person(PERSON))
        .expect("content");
    let dir = scratch("card-e2e-sign");
    let path = |name: &str| dir.join(name).display().to_string();
    let message = b"nonce from the e2e test";
    std::fs::write(dir.join("msg"), message).expect("write");
    std::fs::write(dir.join("h.bin"), sha2::Sha256::digest(message)).expect("write");
    std::fs::write(dir.join("auth.der"), content.auth_certificate_der()).expect("write");
    let sign = |pin: &str| {
        run_tool(
            "pkcs15-crypt",
            &[
                "--sign",
                "--key",
                "01",
                "--sha-256",
                "--pkcs1",
                "--input",
                &path("h.bin"),
                "--output",
                &path("s.bin"),
                "--pin",
                pin,
            ],
        )
    };

    // A wrong PIN fails and costs one try.
    let _ = std::fs::remove_file(dir.join("s.bin"));
    let out = sign("9999");
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(sim.tries(0, "jpki-auth"), Some(2));
    let out = run_tool("pkcs15-tool", &["--list-pins"]);
    assert!(
        stdout(&out).contains("Tries left     : 2"),
        "{}",
        stdout(&out)
    );

    // The right PIN signs, and resets the counter.
    let out = sign("1234");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(sim.tries(0, "jpki-auth"), Some(3));
    let signature = std::fs::read(dir.join("s.bin")).expect("signature");
    assert_eq!(signature.len(), 256);

    let out = run_tool(
        "openssl",
        &[
            "x509",
            "-inform",
            "der",
            "-in",
            &path("auth.der"),
            "-pubkey",
            "-noout",
            "-out",
            &path("pub.pem"),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let out = run_tool(
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-verify",
            &path("pub.pem"),
            "-signature",
            &path("s.bin"),
            &path("msg"),
        ],
    );
    assert!(stdout(&out).contains("Verified OK"), "{out:?}");
    // And the server-side check agrees: chained to the mock CA, the serial is the person's.
    let jpki = sim.shared.cards.jpki().expect("jpki");
    let verified = sim_card::verify_auth_signature(
        &jpki.auth_ca,
        content.auth_certificate_der(),
        message,
        &signature,
        None,
    )
    .expect("verified");
    assert_eq!(
        sim.shared.cards.person_by_auth_serial(&verified.serial),
        Some(PERSON)
    );
}

#[test]
fn e2e_three_wrong_pins_lock_the_card_across_restarts() {
    let Some(_guard) = e2e_lock() else { return };
    release_slot0();
    let root = scratch("card-e2e-lock");
    let sim = Sim::start(&root, VpcdAddr::default());
    sim.shared
        .cards
        .insert(sim.person(LOCK_PERSON), 0)
        .expect("insert");
    wait_reader(true);
    for left in [2, 1, 0] {
        let out = run_tool(
            "pkcs15-tool",
            &["--verify-pin", "--auth-id", "01", "--pin", "0000"],
        );
        assert!(!out.status.success(), "{out:?}");
        assert_eq!(sim.tries(0, "jpki-auth"), Some(left));
    }
    let sws: Vec<String> = transmit_all(&[SELECT_JPKI, "00A4020C020018", "002000800431323334"])
        .iter()
        .map(|r| sw(r))
        .collect();
    assert_eq!(sws, ["9000", "9000", "6983"], "the right PIN is refused");

    // Restart the simulator on the same state: the card is still locked.
    drop(sim);
    wait_reader(false);
    let sim = Sim::start(&root, VpcdAddr::default());
    let info = sim
        .shared
        .cards
        .insert(sim.person(LOCK_PERSON), 0)
        .expect("insert");
    assert_eq!(
        info.link
            .and_then(|l| l.tries_left.get("jpki-auth").copied()),
        Some(0)
    );
    wait_reader(true);
    let sws: Vec<String> = transmit_all(&[
        SELECT_JPKI,
        "00A4020C020018",
        "00200080",
        "002000800431323334",
    ])
    .iter()
    .map(|r| sw(r))
    .collect();
    assert_eq!(sws, ["9000", "9000", "6983", "6983"]);
    let hash = root.join("h.bin").display().to_string();
    let signature = root.join("s.bin").display().to_string();
    std::fs::write(&hash, sha2::Sha256::digest(b"locked")).expect("write");
    let out = run_tool(
        "pkcs15-crypt",
        &[
            "--sign",
            "--key",
            "01",
            "--sha-256",
            "--pkcs1",
            "--input",
            &hash,
            "--output",
            &signature,
            "--pin",
            "1234",
        ],
    );
    assert!(!out.status.success(), "{out:?}");
    assert!(
        !Path::new(&signature).exists(),
        "no signature from a locked card"
    );
    sim.shared.cards.remove(0).expect("remove");
    wait_reader(false);
}
