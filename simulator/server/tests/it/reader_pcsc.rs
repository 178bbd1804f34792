//! The face-auth reader driving a virtual My Number Card through PC/SC (pcscd → vpcd → the card
//! the simulator put in slot 0), under the same pcscd lock as the card e2e tests: PIN mode with
//! consent to 薬剤 only, and three wrong PINs locking the card. Skips (saying why) without the
//! stack, except under `CI`.

use sim_core::engine::CardConsents;
use sim_server::reader::{CardKind, Mode};

use crate::card::{e2e_lock, ensure_card, release_slot0, shared_sim};

/// Not used by the card e2e cases, so their PIN counters stay apart.
const PERSON: &str = "valid-kokuho";
const LOCK_PERSON: &str = "valid-shaho-kazoku";

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

#[test]
fn e2e_reader_pin_mode_through_pcsc_writes_drug_only_consent() {
    let Some(_guard) = e2e_lock() else { return };
    let sim = shared_sim();
    ensure_card(sim, PERSON);
    let shared = &sim.shared;
    let r = &shared.reader;
    let _ = r.remove();
    let s = r.insert(shared, None, CardKind::Pcsc).expect("insert");
    assert_eq!(s.screen, "choose-mode", "{s:?}");
    let s = r.choose(Mode::Pin).expect("mode");
    assert_eq!(s.tries_left, Some(3), "{s:?}");
    let s = r.enter_pin(shared, "1234").expect("pin");
    assert_eq!(s.screen, "consent", "{s:?}");
    assert_eq!(s.person_id.as_deref(), Some(PERSON));
    let consents = CardConsents {
        drug: true,
        ..CardConsents::default()
    };
    let s = r.consent(shared, consents).expect("consent");
    assert_eq!(s.screen, "done", "{s:?}");
    r.remove().expect("remove");
    let name = s.face_file.expect("face file");
    let dir = shared.oqs_dir.as_ref().expect("oqs").join("face");
    let bytes = std::fs::read(dir.join(&name)).expect("face file on disk");
    let xml = String::from_utf8_lossy(&bytes);
    let flags: Vec<_> = [
        "PharmacistsInfoConsFlg",
        "SpecificHealthCheckupsInfoConsFlg",
        "DiagnosisInfoConsFlg",
        "OperationInfoConsFlg",
        "LimitApplicationCertificateRelatedConsFlg",
        "SpecificDiseasesCertificateRelatedConsFlg",
    ]
    .iter()
    .map(|f| element(&xml, f))
    .collect();
    assert_eq!(
        flags,
        [
            Some("1"),
            Some("0"),
            Some("0"),
            Some("0"),
            Some("0"),
            Some("0")
        ],
        "{xml}"
    );
}

#[test]
fn e2e_reader_three_wrong_pins_through_pcsc_lock_the_card() {
    let Some(_guard) = e2e_lock() else { return };
    let sim = shared_sim();
    ensure_card(sim, LOCK_PERSON);
    let shared = &sim.shared;
    let r = &shared.reader;
    let _ = r.remove();
    let face = shared.oqs_dir.as_ref().expect("oqs").join("face");
    let before = std::fs::read_dir(&face).map(|d| d.count()).unwrap_or(0);
    r.insert(shared, None, CardKind::Pcsc).expect("insert");
    let s = r.choose(Mode::Pin).expect("mode");
    assert_eq!(s.tries_left, Some(3), "{s:?}");
    for left in [2, 1] {
        let s = r.enter_pin(shared, "9999").expect("pin");
        assert_eq!((s.screen, s.tries_left), ("enter-pin", Some(left)), "{s:?}");
        assert_eq!(s.message_code, Some("MOCK-R101"));
    }
    let s = r.enter_pin(shared, "9999").expect("pin");
    assert_eq!(s.screen, "failed", "{s:?}");
    assert_eq!(s.message_code, Some("MOCK-R102"));
    assert!(r.consent(shared, CardConsents::default()).is_err());
    r.remove().expect("remove");
    let after = std::fs::read_dir(&face).map(|d| d.count()).unwrap_or(0);
    assert_eq!(before, after, "no face file");
    release_slot0();
}

#[test]
fn e2e_cli_reader_run_pcsc_reads_the_inserted_card() {
    let Some(_guard) = e2e_lock() else { return };
    let sim = shared_sim();
    ensure_card(sim, PERSON);
    let _ = sim.shared.reader.remove();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args(["reader", "run", "--pcsc", "--consent", "drug", "--server"])
        .arg(&sim.url)
        .output()
        .expect("run simulator");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("face/OQSsiquc01res_face_"), "{stdout}");
    let name = stdout.trim().trim_start_matches("face/");
    let dir = sim.shared.oqs_dir.as_ref().expect("oqs").join("face");
    assert!(dir.join(name).is_file(), "{name}");
    // --person and --pcsc exclude each other.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args(["reader", "run", "--pcsc", "--person", PERSON, "--server"])
        .arg(&sim.url)
        .output()
        .expect("run simulator");
    assert!(!out.status.success());
}
