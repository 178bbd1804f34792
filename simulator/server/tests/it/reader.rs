//! The face-auth card reader emulator: card check in PIN / face / 目視 mode, consent answers into
//! `face/`, and the failure paths that write nothing (wrong PIN, lock, face mismatch, removal,
//! foreign and unreadable cards).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sim_card::FaceImage;
use sim_core::engine::{CardConsents, ReferenceNumbers};
use sim_messages::TextEncoding;
use sim_server::reader::{CardKind, Mode, ReaderStatus};
use sim_server::shared::Shared;
use tower::ServiceExt;

use crate::support::*;

const PERSON: &str = "valid-shaho-honnin";

fn drug_only() -> CardConsents {
    CardConsents {
        drug: true,
        ..CardConsents::default()
    }
}

fn face_files(server: &TestServer) -> Vec<String> {
    list(&server.folders.face)
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .collect()
}

/// Inserts `person`'s card, chooses `mode` and identifies (PIN 1234 / face match / staff OK).
fn identify(shared: &Shared, person: &str, mode: Mode) -> ReaderStatus {
    let r = &shared.reader;
    let s = r.insert(shared, Some(person), CardKind::Mynumber).unwrap();
    assert_eq!(s.screen, "choose-mode", "{s:?}");
    let s = r.choose(mode).unwrap();
    match mode {
        Mode::Pin => {
            assert_eq!(s.tries_left, Some(3), "{s:?}");
            r.enter_pin(shared, "1234").unwrap()
        }
        Mode::Face => r.face(shared, true).unwrap(),
        Mode::Visual => r.staff_confirm(shared, true).unwrap(),
    }
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

const FLAGS: [&str; 6] = [
    "PharmacistsInfoConsFlg",
    "SpecificHealthCheckupsInfoConsFlg",
    "DiagnosisInfoConsFlg",
    "OperationInfoConsFlg",
    "LimitApplicationCertificateRelatedConsFlg",
    "SpecificDiseasesCertificateRelatedConsFlg",
];

#[tokio::test(flavor = "multi_thread")]
async fn pin_mode_with_drug_consent_writes_a_face_file() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let s = identify(&shared, PERSON, Mode::Pin);
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = shared.reader.consent(&shared, drug_only()).unwrap();
    assert_eq!(s.screen, "done");
    let name = s.face_file.unwrap();
    assert_eq!(face_files(&server), vec![name.clone()]);
    // OQSsiquc01res_face_<10-digit MIC><20 digits>_<yyyyMMddHHmmss>.xml
    let middle = name
        .strip_prefix("OQSsiquc01res_face_")
        .and_then(|n| n.strip_suffix("_20261125093015.xml"))
        .unwrap();
    assert_eq!(middle.len(), 30);
    assert!(middle.starts_with("1311234567"));
    assert!(middle.bytes().all(|b| b.is_ascii_digit()));

    let xml = text(
        &std::fs::read(server.folders.face.join(&name)).unwrap(),
        TextEncoding::ShiftJis,
    );
    assert_eq!(element(&xml, "ReferenceClassification"), Some("1"));
    assert_eq!(element(&xml, "QualificationValidity"), Some("1"));
    assert_eq!(element(&xml, "MedicalInstitutionCode"), Some("1311234567"));
    assert_eq!(element(&xml, "CharacterCodeIdentifier"), Some("1"));
    let afi = element(&xml, "ArbitraryFileIdentifier").unwrap();
    assert_eq!(afi.len(), 16);
    let person = shared.population.person_by_id(PERSON).unwrap();
    assert_eq!(element(&xml, "Name"), Some(person.name.as_str()));
    assert_eq!(element(&xml, "Birthdate"), Some("19840615"));
    assert_eq!(element(&xml, "InsuredIdentificationNumber"), Some("12"));
    let flags: Vec<_> = FLAGS.iter().map(|f| element(&xml, f)).collect();
    assert_eq!(
        flags,
        vec![
            Some("1"),
            Some("0"),
            Some("0"),
            Some("0"),
            Some("0"),
            Some("0")
        ]
    );
    assert_eq!(
        element(&xml, "PharmacistsInfoConsTime"),
        Some("20261125093015")
    );
    assert_eq!(
        element(&xml, "PharmacistsInfoAvailableTime"),
        Some("20261126235959")
    );
    assert_eq!(element(&xml, "DiagnosisInfoConsTime"), None);
    assert_eq!(
        element(&xml, "LimitApplicationCertificateRelatedInfo"),
        None
    );
    assert_eq!(element(&xml, "ReferenceNumber"), None);

    // Stored consent, journal entry on channel "face".
    let records = shared.reader.consents().for_person(PERSON).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].answers,
        [true, false, false, false, false, false]
    );
    assert_eq!(records[0].arbitrary_file_identifier, afi);
    shared.journal.flush();
    let entries = shared.journal.list(10, None).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.channel == "face" && e.answer_name.as_deref() == Some(name.as_str())),
        "{entries:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refusing_everything_still_gives_a_result_with_all_flags_0() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let s = identify(&shared, PERSON, Mode::Face);
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = shared
        .reader
        .consent(&shared, CardConsents::default())
        .unwrap();
    let name = s.face_file.unwrap();
    let xml = text(
        &std::fs::read(server.folders.face.join(&name)).unwrap(),
        TextEncoding::ShiftJis,
    );
    for f in FLAGS {
        assert_eq!(element(&xml, f), Some("0"), "{f}");
    }
    assert_eq!(element(&xml, "ReferenceClassification"), Some("1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_info_only_with_limit_consent_and_reference_number_when_registered() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    shared
        .jobs
        .register("1311234567", PERSON, "000123")
        .unwrap();
    identify(&shared, PERSON, Mode::Visual);
    let s = shared
        .reader
        .consent(
            &shared,
            CardConsents {
                limit: true,
                ..CardConsents::default()
            },
        )
        .unwrap();
    let xml = text(
        &std::fs::read(server.folders.face.join(s.face_file.unwrap())).unwrap(),
        TextEncoding::ShiftJis,
    );
    assert_eq!(
        element(&xml, "LimitApplicationCertificateRelatedConsFlg"),
        Some("1")
    );
    assert!(
        xml.contains("<LimitApplicationCertificateRelatedInfo>"),
        "{xml}"
    );
    assert_eq!(element(&xml, "ReferenceNumber"), Some("000123"));
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_pin_three_times_locks_the_card_and_writes_nothing() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let r = &shared.reader;
    r.insert(&shared, Some(PERSON), CardKind::Mynumber).unwrap();
    r.choose(Mode::Pin).unwrap();
    let s = r.enter_pin(&shared, "9999").unwrap();
    assert_eq!((s.screen, s.tries_left), ("enter-pin", Some(2)));
    assert_eq!(s.message_code, Some("MOCK-R101"));
    let s = r.enter_pin(&shared, "9999").unwrap();
    assert_eq!(s.tries_left, Some(1));
    let s = r.enter_pin(&shared, "9999").unwrap();
    assert_eq!(s.screen, "failed");
    assert_eq!(s.message_code, Some("MOCK-R102"));
    r.remove().unwrap();
    // The lock is the card's: it persists, and the right PIN no longer helps.
    r.insert(&shared, Some(PERSON), CardKind::Mynumber).unwrap();
    let s = r.choose(Mode::Pin).unwrap();
    assert_eq!(s.message_code, Some("MOCK-R102"), "{s:?}");
    assert!(r.enter_pin(&shared, "1234").is_err());
    r.remove().unwrap();
    assert!(face_files(&server).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn face_mismatch_writes_nothing_and_locks_after_ten() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let r = &shared.reader;
    r.insert(&shared, Some(PERSON), CardKind::Mynumber).unwrap();
    let s = r.choose(Mode::Face).unwrap();
    assert_eq!(s.attempts_left, Some(10));
    for left in (1..10).rev() {
        let s = r.face(&shared, false).unwrap();
        assert_eq!((s.screen, s.attempts_left), ("face-capture", Some(left)));
        assert_eq!(s.message_code, Some("MOCK-R103"));
    }
    let s = r.face(&shared, false).unwrap();
    assert_eq!((s.screen, s.message_code), ("failed", Some("MOCK-R104")));
    assert!(r.consent(&shared, drug_only()).is_err());
    // Face stays locked for this card; 目視 is still offered.
    let s = r.choose(Mode::Face).unwrap();
    assert_eq!(s.message_code, Some("MOCK-R104"));
    let s = r.choose(Mode::Visual).unwrap();
    assert_eq!(s.screen, "staff-confirm");
    r.remove().unwrap();
    assert!(face_files(&server).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn removed_foreign_and_unreadable_cards_write_nothing() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let r = &shared.reader;
    identify(&shared, PERSON, Mode::Pin);
    let s = r.remove().unwrap();
    assert_eq!((s.screen, s.message_code), ("failed", Some("MOCK-R105")));
    assert!(r.consent(&shared, drug_only()).is_err());

    let s = r.insert(&shared, None, CardKind::Foreign).unwrap();
    assert_eq!(s.message.as_deref(), Some("002:マイナンバーカード以外"));
    r.remove().unwrap();
    let s = r.insert(&shared, None, CardKind::Unreadable).unwrap();
    assert_eq!(
        s.message.as_deref(),
        Some("001:マイナンバーカードの認識不可")
    );
    r.remove().unwrap();
    assert!(face_files(&server).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_or_missing_face_photo_stops_face_mode_without_a_file_and_pin_or_visual_still_work()
 {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let r = &shared.reader;
    // An intact card reads its photo and opens the camera.
    r.insert(&shared, Some(PERSON), CardKind::Mynumber).unwrap();
    let s = r.choose(Mode::Face).unwrap();
    assert_eq!((s.screen, s.attempts_left), ("face-capture", Some(10)));
    r.remove().unwrap();
    for (written, (face, fallback)) in [
        (FaceImage::Corrupt, Mode::Pin),
        (FaceImage::Absent, Mode::Visual),
    ]
    .into_iter()
    .enumerate()
    {
        let s = r
            .insert_with_face(&shared, Some(PERSON), CardKind::Mynumber, face)
            .unwrap();
        assert_eq!(s.screen, "choose-mode", "{face:?}: the JPKI side is intact");
        let s = r.choose(Mode::Face).unwrap();
        assert_eq!(
            (s.screen, s.message_code),
            ("failed", Some("MOCK-R111")),
            "{face:?}"
        );
        assert!(s.message.unwrap().contains("顔写真を読み取れない"));
        // No camera verdict is taken and nothing is written.
        let s = r.face(&shared, true).unwrap();
        assert_eq!(s.message_code, Some("MOCK-R111"));
        assert!(r.consent(&shared, drug_only()).is_err());
        assert_eq!(face_files(&server).len(), written, "no file for {face:?}");
        // The reader falls back to PIN or 目視, which complete the check.
        let s = r.choose(fallback).unwrap();
        let s = match fallback {
            Mode::Pin => {
                assert_eq!(s.tries_left, Some(3));
                r.enter_pin(&shared, "1234").unwrap()
            }
            _ => r.staff_confirm(&shared, true).unwrap(),
        };
        assert_eq!(s.screen, "consent", "{face:?}");
        let s = r.consent(&shared, drug_only()).unwrap();
        assert_eq!(s.mode, Some(fallback));
        assert!(server.folders.face.join(s.face_file.unwrap()).exists());
        r.remove().unwrap();
    }
    assert_eq!(face_files(&server).len(), 2);
    // Through the admin API: a bad value is refused, a good one gives the same path.
    let (status, _) = post(
        &shared,
        "/admin/reader/insert",
        &format!(r#"{{"person":"{PERSON}","face_image":"smudged"}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        &shared,
        "/admin/reader/insert",
        &format!(r#"{{"person":"{PERSON}","face_image":"corrupt"}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, value) = post(&shared, "/admin/reader/mode", r#"{"mode":"face"}"#).await;
    assert_eq!(value["message_code"], "MOCK-R111", "{value}");
}

async fn post(shared: &Arc<Shared>, uri: &str, body: &str) -> (StatusCode, serde_json::Value) {
    let req = Request::post(uri)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = sim_server::http::app(shared.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, value)
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_api_runs_the_flow() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let steps = [
        (
            "insert",
            format!(r#"{{"person":"{PERSON}"}}"#),
            "choose-mode",
        ),
        ("mode", r#"{"mode":"pin"}"#.to_owned(), "enter-pin"),
        ("pin", r#"{"pin":"1234"}"#.to_owned(), "consent"),
        (
            "consent",
            r#"{"consent":["drug","checkup"]}"#.to_owned(),
            "done",
        ),
    ];
    let mut last = serde_json::Value::Null;
    for (action, body, screen) in steps {
        let (status, value) = post(&shared, &format!("/admin/reader/{action}"), &body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {value}");
        assert_eq!(value["screen"], screen, "{action}: {value}");
        last = value;
    }
    let name = last["face_file"].as_str().unwrap();
    assert!(server.folders.face.join(name).exists());
    let (status, _) = post(&shared, "/admin/reader/consent", r#"{"consent":["x"]}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(&shared, "/admin/reader/remove", "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(&shared, "/admin/reader/remove", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn face_file_snapshot() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    identify(&shared, "valid-kokuho", Mode::Pin);
    let s = shared
        .reader
        .consent(
            &shared,
            CardConsents {
                drug: true,
                diagnosis: true,
                ..CardConsents::default()
            },
        )
        .unwrap();
    let xml = text(
        &std::fs::read(server.folders.face.join(s.face_file.unwrap())).unwrap(),
        TextEncoding::ShiftJis,
    );
    // The identifier is random: replace it for the snapshot.
    let afi = element(&xml, "ArbitraryFileIdentifier").unwrap().to_owned();
    insta::assert_snapshot!("reader_face_file", xml.replace(&afi, "<AFI>"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_reader_run_drives_a_running_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let simulator = || std::process::Command::new(env!("CARGO_BIN_EXE_simulator"));
    let mut child = simulator()
        .args(["serve", "--delay-ms", "0", "--size", "10"])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--oqs-dir")
        .arg(dir.path().join("oqs"))
        .arg("--state")
        .arg(dir.path().join("state"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let run = |args: &[&str]| {
        simulator()
            .args(["reader", "run", "--person", "valid-kokuho"])
            .args(args)
            .env("SIMULATOR_URL", &url)
            .output()
            .unwrap()
    };
    // Wait until the server answers.
    let mut out = run(&["--consent", "drug,checkup"]);
    for _ in 0..200 {
        if out.status.success() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        out = run(&["--consent", "drug,checkup"]);
    }
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let name = stdout.trim().strip_prefix("face/").unwrap();
    assert!(dir.path().join("oqs").join("face").join(name).exists());

    let wrong = run(&["--pin", "9999"]);
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&wrong.stderr).into_owned();
    assert!(stderr.contains("MOCK-R101"), "{stderr}");
    assert!(
        !stderr.contains("9999"),
        "the PIN must not be echoed: {stderr}"
    );

    let face = ["--mode", "face", "--face-image", "corrupt"];
    let stopped = run(&face);
    assert_eq!(stopped.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&stopped.stderr).into_owned();
    assert!(stderr.contains("MOCK-R111"), "{stderr}");
    let fell_back = run(&[&face[..], &["--fallback", "pin"]].concat());
    let stdout = String::from_utf8_lossy(&fell_back.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&fell_back.stderr).into_owned();
    assert!(fell_back.status.success(), "{stderr}");
    assert!(
        stderr.contains("MOCK-R111"),
        "the reader's message is shown: {stderr}"
    );
    assert!(stdout.starts_with("face/OQSsiquc01res_face_"), "{stdout}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn reader_settings_window_facility_and_encoding() {
    let mut config = test_config();
    config.reader.consent_window = "24h".into();
    config.reader.medical_institution_code = "0912345678".into();
    config.terminal.result_encoding = "utf-8".into();
    let server = TestServer::start(config).await;
    let shared = server.shared.clone();
    identify(&shared, PERSON, Mode::Pin);
    let s = shared.reader.consent(&shared, drug_only()).unwrap();
    let name = s.face_file.unwrap();
    assert!(name.starts_with("OQSsiquc01res_face_0912345678"), "{name}");
    let bytes = std::fs::read(server.folders.face.join(&name)).unwrap();
    let xml = String::from_utf8(bytes).unwrap();
    assert!(
        xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8""#),
        "{xml}"
    );
    assert_eq!(element(&xml, "CharacterCodeIdentifier"), Some("0"));
    assert_eq!(element(&xml, "MedicalInstitutionCode"), Some("0912345678"));
    assert_eq!(
        element(&xml, "PharmacistsInfoAvailableTime"),
        Some("20261126093015")
    );

    let mut bad = test_config();
    bad.reader.consent_window = "tomorrow".into();
    assert!(bad.reader_settings().is_err());
    bad.reader.consent_window = "end-of-next-day".into();
    bad.reader.medical_institution_code = "12345".into();
    assert!(bad.reader_settings().is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lapsed_person_gets_validity_2_decided_for_today() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let s = identify(&shared, "lapsed-no-new", Mode::Visual);
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = shared
        .reader
        .consent(&shared, CardConsents::default())
        .unwrap();
    let xml = text(
        &std::fs::read(server.folders.face.join(s.face_file.unwrap())).unwrap(),
        TextEncoding::ShiftJis,
    );
    assert_eq!(element(&xml, "QualificationValidity"), Some("2"));
    assert_eq!(element(&xml, "DisqualificationDate"), Some("20260916"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_certificate_or_an_expired_card_is_refused_without_a_file() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    for (person, code) in [
        ("revoked-certificate", "MOCK-R109"),
        ("expired-card", "MOCK-R110"),
    ] {
        for mode in [Mode::Pin, Mode::Face] {
            let s = identify(&shared, person, mode);
            assert_eq!(s.screen, "failed", "{person} {mode:?}: {s:?}");
            assert_eq!(s.message_code, Some(code), "{person}: {s:?}");
            assert!(shared.reader.consent(&shared, drug_only()).is_err());
            shared.reader.remove().unwrap();
        }
    }
    assert!(face_files(&server).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unregistered_card_is_offered_registration_which_survives_a_restart() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let person = "unregistered-card";
    // Declining: MOCK-R108 and no file.
    let s = identify(&shared, person, Mode::Pin);
    assert_eq!(s.screen, "register", "{s:?}");
    assert!(shared.reader.consent(&shared, drug_only()).is_err());
    let s = shared.reader.register(&shared, false).unwrap();
    assert_eq!(s.screen, "failed");
    assert_eq!(s.message_code, Some("MOCK-R108"));
    shared.reader.remove().unwrap();
    assert!(face_files(&server).is_empty());
    // Registering: on to consent, a face file.
    let s = identify(&shared, person, Mode::Face);
    assert_eq!(s.screen, "register", "{s:?}");
    let s = shared.reader.register(&shared, true).unwrap();
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = shared.reader.consent(&shared, drug_only()).unwrap();
    assert_eq!(s.screen, "done");
    shared.reader.remove().unwrap();
    // A registered person is not asked again, even after a restart.
    drop(shared);
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, test_config()).await;
    let shared = server.shared.clone();
    let s = identify(&shared, person, Mode::Pin);
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = shared.reader.consent(&shared, drug_only()).unwrap();
    assert_eq!(s.screen, "done");
    assert_eq!(face_files(&server).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_api_registers_an_unregistered_card() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let steps = [
        ("insert", r#"{"person":"unregistered-card"}"#, "choose-mode"),
        ("mode", r#"{"mode":"face"}"#, "face-capture"),
        ("face", r#"{"matched":true}"#, "register"),
        ("register", r#"{"register":true}"#, "consent"),
        ("consent", r#"{"consent":["drug"]}"#, "done"),
    ];
    for (action, body, screen) in steps {
        let (status, value) = post(&shared, &format!("/admin/reader/{action}"), body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {value}");
        assert_eq!(value["screen"], screen, "{action}: {value}");
    }
    let (status, _) = post(&shared, "/admin/reader/register", r#"{"register":true}"#).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = post(&shared, "/admin/reader/register", "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(face_files(&server).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_for_home_visits_records_the_treatment_consent() {
    use sim_core::engine::{TreatmentConsents, TreatmentForm};
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let s = identify(&shared, "valid-kokuho", Mode::Pin);
    assert_eq!(s.screen, "consent", "{s:?}");
    let s = shared
        .reader
        .consent_for(&shared, drug_only(), Some(TreatmentForm::HomeVisit))
        .unwrap();
    assert_eq!(s.screen, "done");
    let mic = shared.reader.settings().medical_institution_code.clone();
    let home = shared
        .jobs
        .treatment_consents(&mic, TreatmentForm::HomeVisit)
        .unwrap();
    let mine: Vec<_> = home
        .iter()
        .filter(|c| c.person_id == "valid-kokuho")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].consented_at, now());
    assert_eq!(mine[0].examination_date, Some(now().date()));
    // Not an online consent.
    assert!(
        shared
            .jobs
            .treatment_consents(&mic, TreatmentForm::Online)
            .unwrap()
            .iter()
            .all(|c| c.person_id != "valid-kokuho")
    );
    server.stop().await;
}
