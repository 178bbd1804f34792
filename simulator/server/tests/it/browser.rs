//! The web console in real headless Chromium, driven through chromedriver (WebDriver, fantoccini):
//! the patient screen clicked through as a trainer would, with a screenshot of every screen in
//! `target/screenshots/` (`CARGO_TARGET_DIR` if set).
//!
//! Reusable by other console tests in this binary: [`ConsoleServer::start`] (a simulator with its
//! HTTP app on a port-0 listener) and [`Browser`] (`start`, `open`, `click`, `click_and_load`,
//! `wait_until`, `text`, `js`, `screenshot`, `close`). [`Browser::start`] returns `None` after
//! printing `skipped: <reason>` when chromium or chromedriver is missing, except under `CI`, where
//! it panics (`.ci/setup-browser.sh` installs them).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sim_server::config::Config;
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::support::{TestServer, element, list, test_config};

/// A simulator (shared folder, frozen clock) with its whole HTTP app on `url`.
pub(crate) struct ConsoleServer {
    pub(crate) server: TestServer,
    pub(crate) url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl ConsoleServer {
    pub(crate) async fn start(config: Config) -> ConsoleServer {
        let server = TestServer::start(config).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = sim_server::http::app(server.shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        ConsoleServer {
            server,
            url,
            stop: Some(tx),
        }
    }

    /// Face files written so far (names, sorted).
    pub(crate) fn face_files(&self) -> Vec<String> {
        list(&self.server.folders.face)
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect()
    }
}

impl Drop for ConsoleServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where screenshots go.
pub(crate) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

/// One browser at a time in this test process: Chromium is heavy for a 2-core machine, and waits
/// are bounded.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Headless Chromium behind its own chromedriver.
pub(crate) struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session (fresh profile, 1400×1000, Japanese
    /// locale), or `None` after printing why it cannot (outside CI).
    pub(crate) async fn start() -> Option<Browser> {
        let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"]);
        let driver = on_path(&["chromedriver"]);
        let (chromium, driver) = match (chromium, driver) {
            (Some(c), Some(d)) => (c, d),
            (c, d) => {
                let reason = format!(
                    "browser tests need chromium and chromedriver (bash .ci/setup-browser.sh); \
                     chromium: {c:?}, chromedriver: {d:?}"
                );
                if std::env::var_os("CI").is_some() {
                    panic!("{reason}");
                }
                println!("skipped: {reason}");
                return None;
            }
        };
        let turn = TURN.lock().await;
        let port = free_port();
        let mut cmd = Command::new(&driver);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so dropping the browser ends chromedriver and its Chromium.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let driver = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {addr}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
            "--lang=ja",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": args,
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!("an object literal")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut browser = Browser {
            client: None,
            driver,
            _profile: profile,
            _turn: turn,
        };
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://{addr}"))
            .await
            .expect("a Chromium session through chromedriver");
        browser.client = Some(client);
        Some(browser)
    }

    fn c(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    /// Loads `url` and waits for the document.
    pub(crate) async fn open(&self, url: &str) {
        self.c().goto(url).await.expect("goto");
        self.wait_until("document.readyState === 'complete'").await;
    }

    /// Runs `script` (a function body: `return …`) in the page.
    pub(crate) async fn js(&self, script: &str) -> Value {
        self.c()
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {script:?}: {e}"))
    }

    /// Waits (30 s at most: CI machines are busy) until the JavaScript expression `condition` is true in the page.
    pub(crate) async fn wait_until(&self, condition: &str) {
        let script = format!("return Boolean({condition});");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // Errors while a page is being replaced are expected: try again.
            if let Ok(Value::Bool(true)) = self.c().execute(&script, vec![]).await {
                return;
            }
            if Instant::now() > deadline {
                let url = self.c().current_url().await.map(|u| u.to_string());
                panic!("timed out waiting for {condition} on {url:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the element matching `css`.
    pub(crate) async fn click(&self, css: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks `css` (a link or a submit button) and waits until the next page has loaded.
    pub(crate) async fn click_and_load(&self, css: &str) {
        self.js("window.__simStale = true; return null;").await;
        self.click(css).await;
        self.wait_until("!window.__simStale && document.readyState === 'complete'")
            .await;
    }

    /// Chooses the `<option value=…>` of the `<select>` matching `css`.
    pub(crate) async fn select(&self, css: &str, value: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    /// The visible text of the element matching `css`.
    pub(crate) async fn text(&self, css: &str) -> String {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Saves a PNG of the window as `<screenshot_dir>/<name>.png`.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.c().screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Ends the session (Chromium quits) and chromedriver.
    pub(crate) async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium it started (also after a failed test).
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

// ---- The patient screen -------------------------------------------------------------------

const FLAGS: [&str; 6] = [
    "PharmacistsInfoConsFlg",
    "SpecificHealthCheckupsInfoConsFlg",
    "DiagnosisInfoConsFlg",
    "OperationInfoConsFlg",
    "LimitApplicationCertificateRelatedConsFlg",
    "SpecificDiseasesCertificateRelatedConsFlg",
];

fn screen_is(name: &str) -> String {
    format!(
        "document.getElementById('screen') && document.getElementById('screen').dataset.screen === '{name}'"
    )
}

async fn start() -> Option<(ConsoleServer, Browser)> {
    let browser = Browser::start().await?;
    let server = ConsoleServer::start(test_config()).await;
    Some((server, browser))
}

/// Puts `person`'s card on the reader from the trainer's panel.
async fn insert_card(b: &Browser, url: &str, person: &str) {
    b.open(&format!("{url}/console/reader")).await;
    b.wait_until(&screen_is("idle")).await;
    b.select("#person", person).await;
    b.click_and_load("#card-insert").await;
    b.wait_until(&screen_is("choose-mode")).await;
}

/// Types `pin` on the keypad and presses 確定.
async fn keypad(b: &Browser, pin: &str) {
    for d in pin.chars() {
        b.click(&format!("#key-{d}")).await;
    }
    let typed = b.js("return document.getElementById('pin').value;").await;
    assert_eq!(typed, json!(pin), "the keypad typed into the field");
    let kind = b.js("return document.getElementById('pin').type;").await;
    assert_eq!(kind, json!("password"), "the PIN is masked");
}

/// Answers the six consent screens (`1` yes, `0` no, in screen order).
async fn answer_consents(b: &Browser, answers: &str, shot_prefix: Option<&str>) {
    for (i, a) in answers.chars().enumerate() {
        let name = sim_server::reader::CONSENT_NAMES[i];
        b.wait_until(&format!(
            "document.getElementById('consent-step') && document.getElementById('consent-step').dataset.consent === '{name}'"
        ))
        .await;
        if let Some(prefix) = shot_prefix {
            b.screenshot(&format!("{prefix}-{}-{name}", i + 1)).await;
        }
        let button = if a == '1' {
            "#consent-yes"
        } else {
            "#consent-no"
        };
        b.click_and_load(button).await;
    }
}

async fn face_flags(server: &ConsoleServer, name: &str) -> (String, Vec<Option<String>>) {
    let bytes = std::fs::read(server.server.folders.face.join(name)).expect("face file on disk");
    let xml = sim_messages::encoding::decode(&bytes)
        .expect("decodes")
        .text;
    let flags = FLAGS.iter().map(|f| element(&xml, f)).collect();
    (xml, flags)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_patient_screen_pin_mode_drug_only_consent_writes_the_face_file() {
    let Some((server, b)) = start().await else {
        return;
    };
    let url = server.url.clone();
    b.open(&format!("{url}/")).await;
    b.wait_until("document.querySelector('ul.screens') !== null")
        .await;
    b.screenshot("console-home").await;
    // The navigation bar leads to the patient screen.
    b.click_and_load("nav.topnav a[href='/console/reader']")
        .await;
    b.wait_until(&screen_is("idle")).await;
    assert!(b.text("#screen").await.contains("カードを置いてください"));
    b.screenshot("reader-01-idle").await;

    insert_card(&b, &url, "valid-kokuho").await;
    assert!(b.text("#screen").await.contains("本人確認の方法"));
    b.screenshot("reader-02-choose-mode").await;
    b.click_and_load("#mode-pin").await;
    b.wait_until(&screen_is("enter-pin")).await;
    assert!(
        b.text("#tries-left").await.contains('3'),
        "tries left shown"
    );
    keypad(&b, "1234").await;
    b.screenshot("reader-03-enter-pin").await;
    b.click_and_load("#pin-ok").await;
    b.wait_until(&screen_is("consent")).await;

    answer_consents(&b, "100000", Some("reader-04-consent")).await;
    b.wait_until(&screen_is("done")).await;
    assert!(b.text("#screen").await.contains("受付が完了しました"));
    b.screenshot("reader-05-done").await;

    let files = server.face_files();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        b.text("#face-file").await,
        files[0],
        "the trainer sees the file"
    );
    let (xml, flags) = face_flags(&server, &files[0]).await;
    let one = |v: &str| Some(v.to_owned());
    assert_eq!(
        flags,
        [one("1"), one("0"), one("0"), one("0"), one("0"), one("0")],
        "{xml}"
    );
    let person = server
        .server
        .shared
        .population
        .person_by_id("valid-kokuho")
        .expect("fixture person");
    assert_eq!(element(&xml, "Name").as_deref(), Some(person.name.as_str()));
    assert_eq!(
        element(&xml, "ReferenceClassification").as_deref(),
        Some("1")
    );
    assert_eq!(element(&xml, "InsurerNumber").as_deref(), Some("  131011"));
    let stored = server
        .server
        .shared
        .reader
        .consents()
        .for_person("valid-kokuho")
        .expect("consent records");
    assert_eq!(stored.len(), 1);

    // The trainer opens the file, then takes the card: back to the first screen.
    b.click_and_load("#face-file").await;
    assert!(b.text("#face-xml").await.contains(&person.name));
    b.screenshot("reader-06-face-file").await;
    b.open(&format!("{url}/console/reader")).await;
    b.click_and_load("#card-remove").await;
    b.wait_until(&screen_is("idle")).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_patient_screen_wrong_pin_counts_down_and_locks() {
    let Some((server, b)) = start().await else {
        return;
    };
    insert_card(&b, &server.url, "valid-shaho-kazoku").await;
    b.click_and_load("#mode-pin").await;
    b.wait_until(&screen_is("enter-pin")).await;
    for left in ['2', '1'] {
        keypad(&b, "9999").await;
        b.click_and_load("#pin-ok").await;
        b.wait_until(&screen_is("enter-pin")).await;
        let message = b.text("#reader-message").await;
        assert!(message.starts_with("MOCK-R101"), "{message}");
        assert!(b.text("#tries-left").await.contains(left));
    }
    b.screenshot("reader-07-wrong-pin").await;
    keypad(&b, "9999").await;
    b.click_and_load("#pin-ok").await;
    b.wait_until(&screen_is("failed")).await;
    assert_eq!(b.text("#reader-code").await, "MOCK-R102");
    assert!(b.text("#reader-message").await.contains("ロック"));
    b.screenshot("reader-08-pin-locked").await;
    assert!(server.face_files().is_empty(), "no face file");
    b.click_and_load("#card-remove").await;
    b.wait_until(&screen_is("idle")).await;
    // The lock is on the card: the next insertion goes straight to the message.
    insert_card(&b, &server.url, "valid-shaho-kazoku").await;
    b.click_and_load("#mode-pin").await;
    b.wait_until(&screen_is("failed")).await;
    assert_eq!(b.text("#reader-code").await, "MOCK-R102");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_patient_screen_face_mode_first_registration_admin_changes_and_visual_check() {
    let Some((server, b)) = start().await else {
        return;
    };
    insert_card(&b, &server.url, "unregistered-card").await;
    b.click_and_load("#mode-face").await;
    b.wait_until(&screen_is("face-capture")).await;
    b.click_and_load("#face-mismatch").await;
    b.wait_until(&screen_is("face-capture")).await;
    assert!(b.text("#reader-message").await.starts_with("MOCK-R103"));
    assert!(b.text("#attempts-left").await.contains('9'));
    b.screenshot("reader-09-face-mismatch").await;
    b.click_and_load("#face-match").await;
    b.wait_until(&screen_is("register")).await;
    assert!(b.text("#screen").await.contains("保険証利用登録"));
    b.screenshot("reader-10-register").await;
    b.click_and_load("#register-yes").await;
    answer_consents(&b, "111111", None).await;
    b.wait_until(&screen_is("done")).await;
    let files = server.face_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let (xml, flags) = face_flags(&server, &files[0]).await;
    assert!(flags.iter().all(|f| f.as_deref() == Some("1")), "{xml}");

    // A change made through the admin API shows up without a click (the page polls).
    let shared = server.server.shared.clone();
    tokio::task::spawn_blocking(move || shared.reader.remove())
        .await
        .expect("task")
        .expect("remove");
    b.wait_until(&screen_is("idle")).await;
    let shared = server.server.shared.clone();
    tokio::task::spawn_blocking(move || {
        shared
            .reader
            .insert(&shared, None, sim_server::reader::CardKind::Foreign)
    })
    .await
    .expect("task")
    .expect("insert");
    b.wait_until(&screen_is("failed")).await;
    assert_eq!(b.text("#reader-code").await, "002");
    b.screenshot("reader-11-not-a-mynumber-card").await;
    b.click_and_load("#card-remove").await;
    b.wait_until(&screen_is("idle")).await;

    // 目視: the trainer, as staff, cannot confirm the patient.
    insert_card(&b, &server.url, "valid-kouki").await;
    b.click_and_load("#mode-visual").await;
    b.wait_until(&screen_is("staff-confirm")).await;
    assert!(b.text("#screen").await.contains("職員が本人確認"));
    b.screenshot("reader-12-staff-confirm").await;
    b.click_and_load("#staff-no").await;
    b.wait_until(&screen_is("failed")).await;
    assert_eq!(b.text("#reader-code").await, "MOCK-R106");
    assert_eq!(server.face_files().len(), 1, "no new face file");

    // A card whose face photo is damaged: face mode stops with MOCK-R111, PIN is offered instead.
    b.click_and_load("#card-remove").await;
    b.wait_until(&screen_is("idle")).await;
    b.select("#person", "valid-kokuho").await;
    b.select("#kind", "mynumber-face-corrupt").await;
    b.click_and_load("#card-insert").await;
    b.wait_until(&screen_is("choose-mode")).await;
    b.click_and_load("#mode-face").await;
    b.wait_until(&screen_is("failed")).await;
    assert_eq!(b.text("#reader-code").await, "MOCK-R111");
    assert!(
        b.text("#reader-message")
            .await
            .contains("顔写真を読み取れない")
    );
    b.screenshot("reader-13-face-image-unreadable").await;
    b.click_and_load("#mode-pin").await;
    b.wait_until(&screen_is("enter-pin")).await;
    assert_eq!(server.face_files().len(), 1, "no new face file");
    b.close().await;
}
