//! Face-auth reader benchmark (`cargo bench -p sim-server --bench reader`): one full card check in
//! PIN mode — card on the reader (SELECT, READ the auth certificate), mode, VERIFY + SIGN over the
//! server's nonce, verification (chain, expiry, signature, serial, card holding), consent, the
//! result built and written atomically (fsync) into `face/`, card off — p50/p99 over 200 runs:
//!
//! 1. in process (`VirtualLink` to the card core);
//! 2. through PC/SC (`pcsc` → pcscd → vpcd → the simulator's vpcd driver). Needs
//!    `bash .ci/setup-pcsc.sh`; without pcscd this part prints `skipped: <reason>`.
//!
//! The card content (RSA keys) is built before the first run and is not part of the numbers.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sim_core::engine::CardConsents;
use sim_server::config::Config;
use sim_server::reader::{CardKind, Mode, PcscLink};
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;

const PERSON: &str = "valid-shaho-honnin";
const RUNS: usize = 200;
const WARM_UP: usize = 5;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One card check, start to end; panics on anything but a face file.
fn check(shared: &Shared, kind: CardKind) {
    let r = &shared.reader;
    let person = (kind == CardKind::Mynumber).then_some(PERSON);
    let s = r.insert(shared, person, kind).expect("insert");
    assert_eq!(s.screen, "choose-mode", "{s:?}");
    r.choose(Mode::Pin).expect("mode");
    let s = r.enter_pin(shared, "1234").expect("pin");
    assert_eq!(s.screen, "consent", "{s:?}");
    let consents = CardConsents {
        drug: true,
        ..CardConsents::default()
    };
    let s = r.consent(shared, consents).expect("consent");
    assert!(s.face_file.is_some(), "{s:?}");
    r.remove().expect("remove");
}

fn measure(label: &str, shared: &Shared, kind: CardKind) {
    for _ in 0..WARM_UP {
        check(shared, kind);
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        check(shared, kind);
        times.push(t.elapsed());
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / RUNS as u32;
    println!(
        "{label} ({RUNS} card checks, insert → face file): p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, \
         max {:.2} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(mean),
        ms(times[RUNS - 1]),
    );
}

fn through_pcsc(shared: &Arc<Shared>) -> Result<(), String> {
    if !Path::new("/run/pcscd/pcscd.comm").exists() {
        return Err("pcscd is not running (run .ci/setup-pcsc.sh)".into());
    }
    let person = shared
        .population
        .person_by_id(PERSON)
        .ok_or("no fixture person")?;
    shared
        .cards
        .insert(&person, 0)
        .map_err(|e| format!("card insert: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while PcscLink::connect(None).is_err() {
        if Instant::now() > deadline {
            shared.cards.remove_all();
            return Err("pcscd never saw the card (is vsmartcard-vpcd installed?)".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    measure("through PC/SC (pcscd + vpcd)", shared, CardKind::Pcsc);
    shared.cards.remove_all();
    Ok(())
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = Config::default_config();
    config.population.size = 20;
    let opts = ServeOptions::new(config, dir.path().join("oqs"), dir.path().join("state"));
    let shared = build_shared(&opts).expect("the simulator starts");
    measure("in process", &shared, CardKind::Mynumber);
    if let Err(reason) = through_pcsc(&shared) {
        println!("through PC/SC: skipped: {reason}");
    }
}
