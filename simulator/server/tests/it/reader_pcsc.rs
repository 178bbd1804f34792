//! The face-auth reader driving a virtual My Number Card through PC/SC (pcscd → vpcd → the card
//! the simulator put in slot 0), under the same pcscd lock as the card e2e tests: PIN mode with
//! consent to 薬剤 only and with every consent refused, three wrong PINs locking the card, an
//! unregistered card through 初回登録, a revoked certificate, and face mode reading the 券面AP photo
//! (intact → camera; damaged → MOCK-R111 and PIN instead). Skips (saying why) without the
//! stack, except under `CI`.

use sim_core::engine::CardConsents;
use sim_server::reader::{CardKind, Mode};

use std::sync::MutexGuard;

use sim_server::reader::ReaderStatus;

use crate::card::{Sim, e2e_lock, ensure_card, release_slot0, shared_sim, wait_reader};

/// Not used by the card e2e cases, so their PIN counters stay apart.
const PERSON: &str = "valid-kokuho";
const LOCK_PERSON: &str = "valid-shaho-kazoku";

const FLAGS: [&str; 6] = [
    "PharmacistsInfoConsFlg",
    "SpecificHealthCheckupsInfoConsFlg",
    "DiagnosisInfoConsFlg",
    "OperationInfoConsFlg",
    "LimitApplicationCertificateRelatedConsFlg",
    "SpecificDiseasesCertificateRelatedConsFlg",
];

/// Takes the machine-wide PC/SC lock, puts `person`'s card in slot 0 and empties the reader.
/// `None` (after saying why) when the PC/SC stack is missing outside CI.
fn ready(person: &str) -> Option<(MutexGuard<'static, ()>, &'static Sim)> {
    let guard = e2e_lock()?;
    let sim = shared_sim();
    ensure_card(sim, person);
    let _ = sim.shared.reader.remove();
    Some((guard, sim))
}

/// The card in slot 0 on the reader, PIN mode, `pin` typed: the reader's status after it.
fn pin_check(sim: &Sim, pin: &str) -> ReaderStatus {
    let (shared, r) = (&sim.shared, &sim.shared.reader);
    r.insert(shared, None, CardKind::Pcsc).expect("insert");
    r.choose(Mode::Pin).expect("mode");
    r.enter_pin(shared, pin).expect("pin")
}

fn face_count(sim: &Sim) -> usize {
    let face = sim.shared.oqs_dir.as_ref().expect("oqs").join("face");
    std::fs::read_dir(&face)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

/// The face file `name` of the shared simulator, as text.
fn face_xml(sim: &Sim, name: &str) -> String {
    let dir = sim.shared.oqs_dir.as_ref().expect("oqs").join("face");
    let bytes = std::fs::read(dir.join(name)).expect("face file on disk");
    sim_messages::encoding::decode(&bytes)
        .expect("decodes")
        .text
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

#[test]
fn e2e_reader_pin_mode_through_pcsc_writes_drug_only_consent() {
    let Some((_guard, sim)) = ready(PERSON) else {
        return;
    };
    let shared = &sim.shared;
    let r = &shared.reader;
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
    let xml = face_xml(sim, &s.face_file.expect("face file"));
    let flags: Vec<_> = FLAGS.iter().map(|f| element(&xml, f)).collect();
    let drug_only = [
        Some("1"),
        Some("0"),
        Some("0"),
        Some("0"),
        Some("0"),
        Some("0"),
    ];
    assert_eq!(flags, drug_only, "{xml}");
}

#[test]
fn e2e_reader_three_wrong_pins_through_pcsc_lock_the_card() {
    let Some((_guard, sim)) = ready(LOCK_PERSON) else {
        return;
    };
    let shared = &sim.shared;
    let r = &shared.reader;
    let before = face_count(sim);
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
    assert_eq!(face_count(sim), before, "no face file");
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

#[test]
fn e2e_reader_pin_mode_through_pcsc_all_consent_refused_gives_all_flags_0() {
    let Some((_guard, sim)) = ready(PERSON) else {
        return;
    };
    let shared = &sim.shared;
    let r = &shared.reader;
    let s = pin_check(sim, "1234");
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = r.consent(shared, CardConsents::default()).expect("consent");
    assert_eq!(s.screen, "done", "{s:?}");
    r.remove().expect("remove");
    let xml = face_xml(sim, &s.face_file.expect("face file"));
    let flags: Vec<_> = FLAGS.iter().map(|f| element(&xml, f)).collect();
    assert_eq!(flags, [Some("0"); 6], "{xml}");
    // Still a qualification result for the person, without the 限度額 section.
    let person = shared.population.person_by_id(PERSON).expect("person");
    assert_eq!(element(&xml, "Name"), Some(person.name.as_str()), "{xml}");
    assert_eq!(element(&xml, "QualificationValidity"), Some("1"), "{xml}");
    assert!(
        !xml.contains("<LimitApplicationCertificateRelatedInfo>"),
        "{xml}"
    );
}

#[test]
fn e2e_reader_unregistered_card_through_pcsc_gets_first_registration_then_a_result() {
    let person = "unregistered-card";
    let Some((_guard, sim)) = ready(person) else {
        return;
    };
    let shared = &sim.shared;
    let r = &shared.reader;
    let before = face_count(sim);
    let s = pin_check(sim, "1234");
    // The shared simulator lives for the whole test process: registered at most once, here.
    assert_eq!(s.screen, "register", "{s:?}");
    assert_eq!(s.person_id.as_deref(), Some(person));
    let s = r.register(shared, true).expect("register");
    assert_eq!(s.screen, "consent", "{s:?}");
    let consents = CardConsents {
        drug: true,
        diagnosis: true,
        ..CardConsents::default()
    };
    let s = r.consent(shared, consents).expect("consent");
    assert_eq!(s.screen, "done", "{s:?}");
    r.remove().expect("remove");
    assert_eq!(face_count(sim), before + 1);
    let xml = face_xml(sim, &s.face_file.expect("face file"));
    let p = shared.population.person_by_id(person).expect("person");
    assert_eq!(element(&xml, "Name"), Some(p.name.as_str()), "{xml}");
    assert_eq!(element(&xml, "PharmacistsInfoConsFlg"), Some("1"), "{xml}");
    assert_eq!(element(&xml, "DiagnosisInfoConsFlg"), Some("1"), "{xml}");
    assert_eq!(element(&xml, "OperationInfoConsFlg"), Some("0"), "{xml}");
    // Registered now: the same card goes straight to consent.
    r.insert(shared, None, CardKind::Pcsc)
        .expect("insert again");
    r.choose(Mode::Pin).expect("mode");
    let s = r.enter_pin(shared, "1234").expect("pin");
    assert_eq!(s.screen, "consent", "{s:?}");
    r.remove().expect("remove");
}

#[test]
fn e2e_reader_revoked_certificate_through_pcsc_is_refused_without_a_file() {
    let Some((_guard, sim)) = ready("revoked-certificate") else {
        return;
    };
    let shared = &sim.shared;
    let r = &shared.reader;
    let before = face_count(sim);
    let s = pin_check(sim, "1234");
    assert_eq!(s.screen, "failed", "{s:?}");
    assert_eq!(s.message_code, Some("MOCK-R109"), "{s:?}");
    assert!(
        s.message.as_deref().is_some_and(|m| m.contains("失効")),
        "{s:?}"
    );
    assert!(r.consent(shared, CardConsents::default()).is_err());
    r.remove().expect("remove");
    assert_eq!(face_count(sim), before, "no face file");
    release_slot0();
}

#[test]
fn e2e_reader_face_mode_through_pcsc_reads_the_photo_and_a_damaged_one_gives_r111() {
    let Some((_guard, sim)) = ready(PERSON) else {
        return;
    };
    let shared = &sim.shared;
    let r = &shared.reader;
    // Intact: the reader reads the 券面AP with PIN B through pcscd and opens the camera.
    r.insert(shared, None, CardKind::Pcsc).expect("insert");
    let s = r.choose(Mode::Face).expect("mode");
    assert_eq!(
        (s.screen, s.attempts_left),
        ("face-capture", Some(10)),
        "{s:?}"
    );
    let s = r.face(shared, true).expect("face");
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = r.consent(shared, CardConsents::default()).expect("consent");
    assert_eq!(s.screen, "done", "{s:?}");
    r.remove().expect("remove");
    // The same person's card with a damaged photo.
    shared.cards.remove(0).expect("remove card");
    wait_reader(false);
    shared
        .cards
        .insert_with_face(&sim.person(PERSON), 0, sim_card::FaceImage::Corrupt)
        .expect("insert damaged card");
    wait_reader(true);
    let before = face_count(sim);
    r.insert(shared, None, CardKind::Pcsc).expect("insert");
    let s = r.choose(Mode::Face).expect("mode");
    assert_eq!(
        (s.screen, s.message_code),
        ("failed", Some("MOCK-R111")),
        "{s:?}"
    );
    assert!(r.consent(shared, CardConsents::default()).is_err());
    let s = r.choose(Mode::Pin).expect("fallback");
    assert_eq!(s.screen, "enter-pin", "{s:?}");
    r.remove().expect("remove");
    assert_eq!(face_count(sim), before, "no face file");
    // The damaged card leaves slot 0, so later cases get the intact one.
    release_slot0();
}
