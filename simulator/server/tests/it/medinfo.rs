//! 薬剤情報 (`YZKsiquc01req_`) and 特定健診情報 (`TKKsiquc01req_`) through the shared folder: XML and
//! PDF results with the patient's consent at the reader, and every refusal rule (no consent,
//! expired consent, another facility, a pharmacy asking for checkups, an unknown person).

use std::time::Duration;

use sim_core::FileOutcome;
use sim_core::engine::CardConsents;
use sim_messages::TextEncoding;
use sim_server::reader::{CardKind, Mode};
use sim_server::shared::Shared;

use crate::support::*;

/// 市町村国保, 64 years old on the reference date: drugs and checkups.
const PERSON: &str = "valid-kokuho";
/// The reader's (and so the consenting) facility, a clinic.
const CLINIC: &str = "1311234567";
/// Another facility (a hospital of the register).
const HOSPITAL: &str = "1319999990";
/// A pharmacy of the register (点数表番号 4).
const PHARMACY: &str = "1340400041";

fn consent(shared: &Shared, person: &str, answers: CardConsents) {
    let r = &shared.reader;
    r.insert(shared, Some(person), CardKind::Mynumber).unwrap();
    r.choose(Mode::Pin).unwrap();
    let s = r.enter_pin(shared, "1234").unwrap();
    assert_eq!(s.screen, "consent", "{s:?}");
    r.consent(shared, answers).unwrap();
    r.remove().unwrap();
}

fn drug_and_checkup() -> CardConsents {
    CardConsents {
        drug: true,
        checkup: true,
        ..CardConsents::default()
    }
}

/// A request as OQSDrug writes it (Shift_JIS, CRLF).
fn request(
    mic: &str,
    category: &str,
    period: Option<(&str, &str)>,
    keys: (&str, &str, &str, &str),
) -> Vec<u8> {
    let (insurer, symbol, number, branch) = keys;
    let period = period.map_or(String::new(), |(s, e)| {
        format!("    <StartDate>{s}</StartDate>\r\n    <EndDate>{e}</EndDate>\r\n")
    });
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n<XmlMsg>\r\n  <MessageHeader>\r\n    \
         <MedicalInstitutionCode>{mic}</MedicalInstitutionCode>\r\n    <InsurerNumber>{insurer}</InsurerNumber>\r\n    \
         <InsuranceCardSymbol>{symbol}</InsuranceCardSymbol>\r\n    \
         <InsuredPersonIdentificationNumber>{number}</InsuredPersonIdentificationNumber>\r\n    \
         <BranchNumber>{branch}</BranchNumber>\r\n    <ArbitraryFileIdentifier>pt000123</ArbitraryFileIdentifier>\r\n  \
         </MessageHeader>\r\n  <MessageBody>\r\n{period}    <FileCategory>{category}</FileCategory>\r\n    \
         <PrDiInfClassification>1</PrDiInfClassification>\r\n    <MedicalTreatmentFlag>1</MedicalTreatmentFlag>\r\n  \
         </MessageBody>\r\n</XmlMsg>\r\n"
    );
    TextEncoding::ShiftJis.encode(&text).into_owned()
}

const KOKUHO: (&str, &str, &str, &str) = ("  131011", "千代", "123456", "00");

/// Answers a request in process with the server's stores, at `at`.
fn answer(
    shared: &Shared,
    name: &str,
    bytes: &[u8],
    at: chrono::NaiveDateTime,
) -> (String, Vec<u8>) {
    match shared
        .engine
        .handle_file_with(&shared.population, shared.stores(), name, bytes, at)
        .unwrap()
    {
        FileOutcome::Answered {
            result_name, bytes, ..
        } => (result_name, bytes),
        FileOutcome::Rejected {
            err_name, bytes, ..
        } => {
            panic!("{err_name}: {}", String::from_utf8_lossy(&bytes))
        }
    }
}

/// The result text of a drug (`YZK`) or checkup (`TKK`) request of the clinic for 鈴木　和子,
/// answered in process at `at`.
fn clinic_answer(
    shared: &Shared,
    kind: &str,
    category: &str,
    period: Option<(&str, &str)>,
    at: chrono::NaiveDateTime,
) -> Vec<u8> {
    let name = format!("{kind}siquc01req_x.xml");
    answer(
        shared,
        &name,
        &request(CLINIC, category, period, KOKUHO),
        at,
    )
    .1
}

/// Drops a drug request (over `period`) and a checkup request of the clinic for 鈴木　和子 into
/// `req/`, both of FileCategory `category`, and waits for their results (XML, or PDF for 1).
async fn drop_both(
    server: &TestServer,
    stem: &str,
    category: &str,
    period: Option<(&str, &str)>,
) -> (Vec<u8>, Vec<u8>) {
    server.drop_request(
        &format!("YZKsiquc01req_{stem}.xml"),
        &request(CLINIC, category, period, KOKUHO),
    );
    server.drop_request(
        &format!("TKKsiquc01req_{stem}.xml"),
        &request(CLINIC, category, None, KOKUHO),
    );
    let ext = if category == "1" { "pdf" } else { "xml" };
    let mut results = Vec::new();
    for kind in ["YZK", "TKK"] {
        let path = server.res(&format!("{kind}siquc01res_{stem}.{ext}"));
        results.push(wait_for(&path, Duration::from_secs(20)).await);
    }
    let checkup = results.pop().expect("two results");
    (results.pop().expect("two results"), checkup)
}

fn refusal_code(
    shared: &Shared,
    kind: &str,
    mic: &str,
    category: &str,
    keys: (&str, &str, &str, &str),
    at: chrono::NaiveDateTime,
) -> String {
    let name = format!("{kind}siquc01req_refused.xml");
    let (result, bytes) = answer(shared, &name, &request(mic, category, None, keys), at);
    assert_eq!(
        result,
        format!("{kind}siquc01res_refused.xml"),
        "refusals are XML"
    );
    let text = text(&bytes, TextEncoding::ShiftJis);
    assert_eq!(
        element(&text, "SegmentOfResult").as_deref(),
        Some("9"),
        "{text}"
    );
    assert_eq!(element(&text, "ResultCode").as_deref(), Some("2"), "{text}");
    assert!(element(&text, "MessageContents").is_some(), "{text}");
    assert!(!text.contains("<MessageBody>"), "{text}");
    element(&text, "ErrorCode").unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_consent_drug_and_checkup_xml_come_back_through_the_folder() {
    let server = TestServer::start(test_config()).await;
    let shared = &server.shared;
    consent(shared, PERSON, drug_and_checkup());
    let (drug, checkup) = drop_both(
        &server,
        "022611250930000123",
        "2",
        Some(("202311", "202611")),
    )
    .await;
    let drug = text(&drug, TextEncoding::ShiftJis);
    let checkup = text(&checkup, TextEncoding::ShiftJis);
    for t in [&drug, &checkup] {
        assert_eq!(element(t, "SegmentOfResult").as_deref(), Some("1"), "{t}");
        assert_eq!(element(t, "ResultCode").as_deref(), Some("1"), "{t}");
        assert!(t.contains("<ArbitraryFileIdentifier>pt000123</ArbitraryFileIdentifier>"));
        assert!(t.contains("鈴木　和子"));
    }
    assert!(drug.contains("<KanaName>ｽｽﾞｷ ｶｽﾞｺ</KanaName>"), "{drug}");
    assert!(drug.contains("<MeTrMonthInf>"), "{drug}");
    // The window: 36 months including this one; 202311 is clipped to 202312.
    let months: Vec<&str> = drug
        .match_indices("<MeTrMonth>")
        .map(|(i, _)| &drug[i + 11..i + 17])
        .collect();
    assert!(
        months.iter().all(|m| *m >= "202312" && *m <= "202611"),
        "{months:?}"
    );
    // No 診療情報 without FileCategory 3/4.
    assert!(!drug.contains("<MeTrInfs>"));
    assert!(
        checkup.contains("<KanasName>ｽｽﾞｷ ｶｽﾞｺ</KanasName>"),
        "{checkup}"
    );
    assert!(
        checkup.contains("<ItemCode>3D046000001906202</ItemCode>"),
        "HbA1c: {checkup}"
    );
    // Born 1962: 40–74 in every fiscal year of the 5-year window.
    assert!(
        checkup.matches("<SpecificHealthCheckupInfo>").count() >= 1,
        "{checkup}"
    );
    insta::assert_snapshot!("medinfo_drug_xml", drug);
    insta::assert_snapshot!("medinfo_checkup_xml", checkup);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnosis_comes_with_drugs_only_with_both_consents() {
    let server = TestServer::start(test_config()).await;
    let shared = &server.shared;
    consent(shared, PERSON, drug_and_checkup());
    let code = refusal_code(shared, "YZK", CLINIC, "4", KOKUHO, now());
    assert_eq!(code, "MOCK-M0001", "診療情報 needs its own consent");
    consent(
        shared,
        PERSON,
        CardConsents {
            drug: true,
            diagnosis: true,
            ..CardConsents::default()
        },
    );
    let (name, bytes) = answer(
        shared,
        "YZKsiquc01req_4.xml",
        &request(CLINIC, "4", None, KOKUHO),
        now(),
    );
    assert_eq!(name, "YZKsiquc01res_4.xml");
    let t = text(&bytes, TextEncoding::ShiftJis);
    assert!(t.contains("<MeTrInfs>") && t.contains("再診料"), "{t}");
    // The latest answers count: checkup consent was not given again.
    assert_eq!(
        refusal_code(shared, "TKK", CLINIC, "2", KOKUHO, now()),
        "MOCK-M0001"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_is_refused_with_its_code() {
    let server = TestServer::start(test_config()).await;
    let shared = &server.shared;
    // No consent at all.
    assert_eq!(
        refusal_code(shared, "YZK", CLINIC, "2", KOKUHO, now()),
        "MOCK-M0001"
    );
    assert_eq!(
        refusal_code(shared, "TKK", CLINIC, "2", KOKUHO, now()),
        "MOCK-M0001"
    );
    consent(shared, PERSON, drug_and_checkup());
    // A facility other than the one that obtained consent.
    assert_eq!(
        refusal_code(shared, "YZK", HOSPITAL, "2", KOKUHO, now()),
        "MOCK-M0003"
    );
    // A pharmacy asking for checkups (drugs are fine for a pharmacy, but its consent is elsewhere).
    assert_eq!(
        refusal_code(shared, "TKK", PHARMACY, "2", KOKUHO, now()),
        "MOCK-M0004"
    );
    assert_eq!(
        refusal_code(shared, "YZK", PHARMACY, "2", KOKUHO, now()),
        "MOCK-M0003"
    );
    // Consent expired: the default window ends at 23:59:59 of the next day.
    let day_after = now() + chrono::Duration::days(2);
    assert_eq!(
        refusal_code(shared, "YZK", CLINIC, "2", KOKUHO, day_after),
        "MOCK-M0002"
    );
    let next_evening = now()
        .date()
        .succ_opt()
        .unwrap()
        .and_hms_opt(23, 59, 59)
        .unwrap();
    let ok = clinic_answer(shared, "YZK", "2", None, next_evening);
    assert_eq!(
        element(&text(&ok, TextEncoding::ShiftJis), "ResultCode").as_deref(),
        Some("1")
    );
    // Unknown person, several persons, bad keys.
    assert_eq!(
        refusal_code(
            shared,
            "YZK",
            CLINIC,
            "2",
            ("  131011", "千代", "999999", "00"),
            now()
        ),
        "MOCK-I0001"
    );
    assert_eq!(
        refusal_code(
            shared,
            "YZK",
            CLINIC,
            "2",
            ("  131012", "千代", "123456", "00"),
            now()
        ),
        "MOCK-P0002"
    );
    // FileCategory 3/4 are drug-only; 5 is nothing.
    assert_eq!(
        refusal_code(shared, "TKK", CLINIC, "4", KOKUHO, now()),
        "MOCK-M0005"
    );
    assert_eq!(
        refusal_code(shared, "YZK", CLINIC, "5", KOKUHO, now()),
        "MOCK-M0005"
    );
    // A period in the future or reversed.
    let b = clinic_answer(shared, "YZK", "2", Some(("202611", "202612")), now());
    assert_eq!(
        element(&text(&b, TextEncoding::ShiftJis), "ErrorCode").as_deref(),
        Some("MOCK-M0006")
    );
    let b = clinic_answer(shared, "YZK", "2", Some(("202610", "202601")), now());
    assert_eq!(
        element(&text(&b, TextEncoding::ShiftJis), "ErrorCode").as_deref(),
        Some("MOCK-M0006")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_missing_its_keys_is_rejected_with_an_err_file() {
    let server = TestServer::start(test_config()).await;
    let bytes = request(CLINIC, "2", None, KOKUHO);
    let wrong = text(&bytes, TextEncoding::ShiftJis).replace(
        "InsuredPersonIdentificationNumber",
        "InsuredIdentificationNumber",
    );
    server.drop_request(
        "YZKsiquc01req_bad.xml",
        &TextEncoding::ShiftJis.encode(&wrong),
    );
    let err = wait_for(
        &server.res("YZKsiquc01req_bad.err"),
        Duration::from_secs(10),
    )
    .await;
    let err = text(&err, TextEncoding::ShiftJis);
    assert!(err.contains("InsuredPersonIdentificationNumber"), "{err}");
    server.stop().await;
}

fn pdftotext(pdf: &[u8]) -> Option<String> {
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        if std::env::var_os("CI").is_some() {
            panic!("pdftotext (poppler-utils) is required under CI: bash .ci/setup-medinfo.sh");
        }
        eprintln!("skipped: pdftotext not installed (apt-get install poppler-utils)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn pdf_results_carry_the_patient_the_drugs_and_the_checkup_values() {
    let server = TestServer::start(test_config()).await;
    let shared = &server.shared;
    consent(shared, PERSON, drug_and_checkup());
    let (drug_pdf, checkup_pdf) =
        drop_both(&server, "01pdf", "1", Some(("202401", "202611"))).await;
    assert!(drug_pdf.starts_with(b"%PDF-") && checkup_pdf.starts_with(b"%PDF-"));
    // The same requests as XML give the drugs and values the PDF must show.
    let xml = clinic_answer(shared, "YZK", "2", Some(("202401", "202611")), now());
    let drug_xml = text(&xml, TextEncoding::ShiftJis);
    let xml = clinic_answer(shared, "TKK", "2", None, now());
    let checkup_xml = text(&xml, TextEncoding::ShiftJis);
    let Some(drug_text) = pdftotext(&drug_pdf) else {
        return;
    };
    let checkup_text = pdftotext(&checkup_pdf).unwrap();
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    let (drug_text, checkup_text) = (squash(&drug_text), squash(&checkup_text));
    for t in [&drug_text, &checkup_text] {
        assert!(t.contains("鈴木和子"), "{t}");
        assert!(t.contains("スズキカズコ"), "{t}");
        assert!(t.contains("1962年02月20日") && t.contains("131011"), "{t}");
    }
    let drugs: Vec<String> = drug_xml
        .match_indices("<DrugN>")
        .map(|(i, _)| {
            let rest = &drug_xml[i + 7..];
            rest[..rest.find("</DrugN>").unwrap()].to_owned()
        })
        .collect();
    assert!(!drugs.is_empty());
    for d in &drugs {
        assert!(drug_text.contains(&squash(d)), "{d} missing from the PDF");
    }
    assert!(
        drug_text.contains("2026年10月") || drug_text.contains("2026年11月"),
        "monthly sections"
    );
    let values: Vec<String> = checkup_xml
        .match_indices("<DataValue>")
        .map(|(i, _)| {
            let rest = &checkup_xml[i + 11..];
            rest[..rest.find("</DataValue>").unwrap()].to_owned()
        })
        .collect();
    assert!(values.len() >= 16);
    for name in [
        "ＨｂＡ１ｃ",
        "空腹時血糖",
        "ＬＤＬコレステロール",
        "収縮期血圧",
    ] {
        assert!(checkup_text.contains(name), "{name}");
    }
    for v in values.iter().filter(|v| v.contains('.')) {
        assert!(
            checkup_text.contains(v.as_str()),
            "value {v} missing from the PDF"
        );
    }
    server.stop().await;
}

const LIMIT: Keys = Keys {
    insurer: "01130012",
    symbol: Some("30120077"),
    number: "301",
    branch: Some("00"),
    birthdate: "19791030",
};

fn limit_flags(
    shared: &Shared,
    mic: &str,
    at: chrono::NaiveDateTime,
) -> (Option<String>, Option<String>, Option<String>) {
    let mut req = request_single(&LIMIT);
    req.header.medical_institution_code = Some(mic.to_owned());
    let bytes = sim_messages::xml::write_document(
        &req,
        TextEncoding::Utf8,
        sim_messages::XmlStyle::default(),
    )
    .unwrap();
    let (_, out) = answer(shared, "OQSsiquc01req_limit.xml", &bytes, at);
    let t = text(&out, TextEncoding::ShiftJis);
    // After the echo of the request's keys (which has the request's flag).
    let echo_end = "</QualificationConfirmSearchInfo>";
    let t = &t[t.find(echo_end).map_or(0, |i| i + echo_end.len())..];
    (
        element(t, "LimitApplicationCertificateRelatedConsFlg"),
        element(t, "LimitApplicationCertificateRelatedConsTime"),
        element(t, "LimitApplicationCertificateClassificationFlag"),
    )
}

fn request_single(keys: &Keys) -> sim_messages::siquc01::QualificationConfirmRequest {
    crate::support::request(keys, "limit")
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_data_in_qualification_results_follows_the_same_consent_records() {
    let server = TestServer::start(test_config()).await;
    let shared = &server.shared;
    // Without consent, and the request's flag 0: no 限度額 data.
    assert_eq!(
        limit_flags(shared, CLINIC, now()),
        (Some("0".into()), None, None)
    );
    consent(
        shared,
        "limit-certificate",
        CardConsents {
            limit: true,
            ..CardConsents::default()
        },
    );
    let at = sim_core::date::ymdhms(now());
    // This facility, within the window: the consent at its reader counts.
    let later = now() + chrono::Duration::hours(3);
    assert_eq!(
        limit_flags(shared, CLINIC, later),
        (Some("1".into()), Some(at), Some("A05".into()))
    );
    // Another facility, or after the window: not.
    assert_eq!(
        limit_flags(shared, HOSPITAL, later),
        (Some("0".into()), None, None)
    );
    let expired = now() + chrono::Duration::days(2);
    assert_eq!(
        limit_flags(shared, CLINIC, expired),
        (Some("0".into()), None, None)
    );
    // The patient withdraws at the next visit: the latest answers count.
    consent(shared, "limit-certificate", CardConsents::default());
    assert_eq!(
        limit_flags(shared, CLINIC, later),
        (Some("0".into()), None, None)
    );
    server.stop().await;
}

#[test]
fn every_drug_of_the_table_prints_in_full() {
    use sim_core::medical::*;
    let table = sim_fixtures::medical::drugs::table();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let clinic = Institution {
        code: CLINIC.into(),
        name: "模擬さくら内科クリニック".into(),
    };
    let report = DrugReport {
        patient: Patient {
            name: "模擬　花子".into(),
            name_kana: "モギ　ハナコ".into(),
            birthdate: chrono::NaiveDate::from_ymd_opt(1980, 4, 1).unwrap(),
            sex: "女",
            sex_code: "2",
            insurer_number: "06139018".into(),
            symbol: None,
            number: "1".into(),
            branch: "00".into(),
        },
        medical_institution_code: CLINIC.into(),
        arbitrary_file_identifier: None,
        from: YearMonth::of(day),
        to: YearMonth::of(day),
        with_diagnosis: false,
        made_at: now(),
        months: vec![DrugMonth {
            month: YearMonth::of(day),
            dispensing: clinic.clone(),
            prescribing: clinic,
            outside: false,
            days: vec![DispensingDay {
                dispensed: day,
                prescribed: day,
                drugs: table
                    .iter()
                    .map(|d| DrugLine {
                        code: d.code.clone(),
                        name: d.name.clone(),
                        generic_name: d.generic.clone(),
                        quantity: d.per_day,
                        unit: d.unit.clone(),
                        usage: d.usage.clone(),
                        special_instruction: None,
                        times: 7,
                        class: DrugClass::Internal,
                    })
                    .collect(),
                treatments: Vec::new(),
            }],
        }],
    };
    let pdf = sim_server::medinfo::render_drug_pdf(&report).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    let text: String = text.split_whitespace().collect();
    for d in table {
        for part in [&d.name, &d.generic, &d.usage, &d.code] {
            let part: String = part.split_whitespace().collect();
            assert!(text.contains(&part), "{part} of {} is cut or missing", d.id);
        }
    }
    assert!(
        text.contains("1/2") || text.contains("1/3"),
        "several pages are numbered"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn xml_over_http_answers_a_pdf_with_its_type_and_the_journal_says_so() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    consent(&shared, PERSON, drug_and_checkup());
    let req = Request::post("/oqs/req/TKKsiquc01req_http.xml")
        .body(Body::from(request(CLINIC, "1", None, KOKUHO)))
        .unwrap();
    let response = sim_server::http::app(shared.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-oqs-result-name"], "TKKsiquc01res_http.pdf");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"%PDF-"));
    shared.journal.flush();
    let entries = shared.journal.list(5, None).unwrap();
    let entry = entries
        .iter()
        .find(|e| e.answer_name.as_deref() == Some("TKKsiquc01res_http.pdf"))
        .expect("journalled");
    let req = Request::get(format!("/admin/journal/{}", entry.id))
        .body(Body::empty())
        .unwrap();
    let response = sim_server::http::app(shared.clone())
        .oneshot(req)
        .await
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["answer_text"].as_str().unwrap().starts_with("(PDF, "),
        "{v}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_for_other_viewers_match_the_file_answers() {
    let server = TestServer::start(test_config()).await;
    let shared = &server.shared;
    let drugs = sim_server::medinfo::drug_report(shared, PERSON, CLINIC, now()).unwrap();
    let checkups = sim_server::medinfo::checkup_report(shared, PERSON, CLINIC, now()).unwrap();
    assert!(sim_server::medinfo::drug_report(shared, "nobody", CLINIC, now()).is_none());
    consent(shared, PERSON, drug_and_checkup());
    let xml = clinic_answer(shared, "YZK", "2", None, now());
    let xml = text(&xml, TextEncoding::ShiftJis);
    assert_eq!(xml.matches("<MeTrMonthInf>").count(), drugs.months.len());
    let xml = clinic_answer(shared, "TKK", "2", None, now());
    let xml = text(&xml, TextEncoding::ShiftJis);
    assert_eq!(
        xml.matches("<SpecificHealthCheckupInfo>").count(),
        checkups.checkups.len()
    );
    let html = sim_server::medinfo::render_drug_html(&drugs);
    assert!(html.starts_with("<section") && html.contains("鈴木　和子"));
    for m in &drugs.months {
        for d in &m.days {
            for l in &d.drugs {
                assert!(html.contains(&sim_server::medinfo::html::escape(&l.name)));
            }
        }
    }
    let html = sim_server::medinfo::render_checkup_html(&checkups);
    assert!(html.contains("ＨｂＡ１ｃ") && !html.contains("<script"));
    assert_eq!(
        sim_server::medinfo::html::escape("<a href='x'>&\""),
        "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
    );
    server.stop().await;
}
