//! The bulk check (`OQSmuquc01/02`) and 照会番号 registration (`OQSsiimm01` / `OQSmuimm01`)
//! through [`Engine::handle_file_with`], on the two-person population of `tests.rs` with
//! in-memory stores.

use chrono::Duration;
use sim_messages::imm::{
    ReferenceNumberRegistrationInfo, ReferenceNumberRequest, ReferenceNumberRequestHeader,
    ReferenceNumberResult,
};
use sim_messages::muquc::{
    BulkDownloadRequest, BulkDownloadResult, BulkUploadRequest, BulkUploadResult,
};
use sim_messages::siquc01::{QualificationConfirmSearchInfo, RequestHeader};
use sim_messages::xml::{read_document, write_document};

use super::tests::{now, population};
use super::*;

const MIC: &str = "1311234567";

fn engine(base_ms: u64, max_units: usize) -> Engine {
    Engine::new(EngineConfig {
        result_encoding: TextEncoding::Utf8,
        bulk: BulkConfig {
            max_units,
            base_ms,
            per_unit_ms: if base_ms == 0 { 0.0 } else { 1.0 },
            reference_placement: ReferencePlacement::Unit,
            zip_results: false,
            retention: Duration::days(7),
        },
        ..EngineConfig::default()
    })
}

fn person(insurer: &str, number: &str, birth: &str, id: &str) -> QualificationConfirmSearchInfo {
    QualificationConfirmSearchInfo {
        insurer_number: Some(insurer.into()),
        insured_identification_number: Some(number.into()),
        birthdate: Some(birth.into()),
        limit_application_certificate_related_cons_flg: Some("0".into()),
        arbitrary_identifier: Some(id.into()),
        ..Default::default()
    }
}

fn upload_bytes(search: Vec<QualificationConfirmSearchInfo>) -> Vec<u8> {
    let req = BulkUploadRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some("20261125".into()),
            medical_institution_code: Some(MIC.into()),
            arbitrary_file_identifier: Some("up1".into()),
        },
        body: sim_messages::muquc::BulkUploadRequestBody { search },
    };
    write_document(&req, TextEncoding::Utf8, XmlStyle::default()).unwrap()
}

fn download_bytes(mic: &str, number: &str) -> Vec<u8> {
    let mut req = BulkDownloadRequest::default();
    req.header.medical_institution_code = Some(mic.into());
    req.body.reception_number = Some(number.into());
    write_document(&req, TextEncoding::Utf8, XmlStyle::default()).unwrap()
}

fn answered(outcome: FileOutcome) -> (String, Vec<u8>) {
    match outcome {
        FileOutcome::Answered {
            result_name, bytes, ..
        } => (result_name, bytes),
        FileOutcome::Rejected { bytes, .. } => {
            panic!("rejected: {}", String::from_utf8_lossy(&bytes))
        }
    }
}

fn upload(e: &Engine, stores: &MemoryStores, bytes: &[u8]) -> BulkUploadResult {
    let out = e
        .handle_file_with(
            &population(),
            stores.stores(),
            "OQSmuquc01req_1.xml",
            bytes,
            now(),
        )
        .unwrap();
    let (name, bytes) = answered(out);
    assert_eq!(name, "OQSmuquc01res_1.xml");
    read_document(&bytes).unwrap().0
}

fn download(
    e: &Engine,
    stores: &MemoryStores,
    mic: &str,
    number: &str,
    at: NaiveDateTime,
) -> BulkDownloadResult {
    let out = e
        .handle_file_with(
            &population(),
            stores.stores(),
            "OQSmuquc02req_1.xml",
            &download_bytes(mic, number),
            at,
        )
        .unwrap();
    read_document(&answered(out).1).unwrap().0
}

#[test]
fn upload_then_processing_then_units() {
    let e = engine(1000, 10);
    let stores = MemoryStores::default();
    let bytes = upload_bytes(vec![
        person("06139018", "3", "19800101", "worker"),
        person("06139018", "1", "19900101", "changed"),
        person("06139018", "999", "19800101", "nobody"),
        QualificationConfirmSearchInfo {
            insurer_number: None,
            ..person("06139018", "3", "19800101", "no-insurer")
        },
    ]);
    let up = upload(&e, &stores, &bytes);
    assert_eq!(up.header.segment_of_result, "1");
    let body = up.body.unwrap();
    assert_eq!(body.reception_number, "20261125000000000001");
    assert_eq!(body.reception_date_time.as_deref(), Some("20261125100000"));
    // The same file again (a replay after a crash) is the same job.
    let again = upload(&e, &stores, &bytes).body.unwrap();
    assert_eq!(again.reception_number, body.reception_number);

    // 1000 ms + 4 × 1 ms: still processing just before, done at the ready time.
    let early = download(
        &e,
        &stores,
        MIC,
        &body.reception_number,
        now() + Duration::milliseconds(1003),
    );
    assert_eq!(early.header.segment_of_result, "2");
    assert!(early.body.is_none());
    assert_eq!(
        early.header.reception_number.as_deref(),
        Some(body.reception_number.as_str())
    );

    let done = download(
        &e,
        &stores,
        MIC,
        &body.reception_number,
        now() + Duration::seconds(2),
    );
    let h = &done.header;
    assert_eq!(h.segment_of_result, "1");
    assert_eq!(
        h.qualification_confirmation_date.as_deref(),
        Some("20261125")
    );
    assert_eq!(h.arbitrary_file_identifier.as_deref(), Some("up1"));
    assert_eq!(
        (
            h.number_of_processing_result.as_deref(),
            h.number_of_normal_processing.as_deref(),
            h.number_of_error.as_deref()
        ),
        (Some("4"), Some("3"), Some("1"))
    );
    let units = done.body.unwrap().units;
    let summary: Vec<(String, String, Option<String>, usize)> = units
        .iter()
        .map(|u| {
            (
                u.qualification_confirm_search_info
                    .as_ref()
                    .and_then(|s| s.arbitrary_identifier.clone())
                    .unwrap_or_default(),
                u.processing_result_status.clone(),
                u.qualification_validity.clone(),
                u.results.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("worker".into(), "1".into(), Some("1".into()), 1),
            ("changed".into(), "1".into(), Some("3".into()), 1),
            ("nobody".into(), "1".into(), Some("4".into()), 0),
            ("no-insurer".into(), "2".into(), None, 0),
        ]
    );
    assert_eq!(
        units[3].processing_result_code.as_deref(),
        Some(
            e.config()
                .catalogue
                .get(ErrorKey::PersonInsurerNumber)
                .code
                .as_str()
        )
    );
}

#[test]
fn unknown_and_foreign_reception_numbers_are_one_documented_error() {
    let e = engine(0, 10);
    let stores = MemoryStores::default();
    let up = upload(
        &e,
        &stores,
        &upload_bytes(vec![person("06139018", "3", "19800101", "a")]),
    );
    let number = up.body.unwrap().reception_number;
    let code = e
        .config()
        .catalogue
        .get(ErrorKey::BulkReceptionUnknown)
        .code;
    for (mic, n) in [
        ("1399999999", number.as_str()),
        (MIC, "20261125999999999999"),
    ] {
        let r = download(&e, &stores, mic, n, now());
        assert_eq!(r.header.segment_of_result, "9");
        assert_eq!(r.header.error_code.as_deref(), Some(code.as_str()));
        assert!(r.body.is_none());
    }
    assert_eq!(
        download(&e, &stores, MIC, &number, now())
            .header
            .segment_of_result,
        "1"
    );
}

#[test]
fn limits_headers_and_missing_persons() {
    let e = engine(0, 2);
    let stores = MemoryStores::default();
    let three = vec![person("06139018", "3", "19800101", "a"); 3];
    let r = upload(&e, &stores, &upload_bytes(three));
    assert_eq!(r.header.segment_of_result, "9");
    assert_eq!(
        r.header.error_code,
        Some(e.config().catalogue.get(ErrorKey::BulkTooManyUnits).code)
    );
    assert!(r.body.is_none());
    // No person at all: the file cannot be processed.
    let out = e
        .handle_file_with(
            &population(),
            stores.stores(),
            "OQSmuquc01req_2.xml",
            &upload_bytes(vec![]),
            now(),
        )
        .unwrap();
    assert!(matches!(out, FileOutcome::Rejected { .. }));
    // Without stores, the request is refused as unsupported rather than half-answered.
    let out = e.handle_file(
        &population(),
        "OQSmuquc01req_3.xml",
        &upload_bytes(vec![person("06139018", "3", "19800101", "a")]),
        now(),
    );
    assert!(matches!(out, FileOutcome::Rejected { .. }));
}

fn register(
    e: &Engine,
    stores: &MemoryStores,
    name: &str,
    mic: &str,
    entries: Vec<(&str, &str, &str, Option<&str>)>,
) -> ReferenceNumberResult {
    let mut req = ReferenceNumberRequest {
        header: ReferenceNumberRequestHeader {
            medical_institution_code: Some(mic.into()),
            arbitrary_file_identifier: Some("imm".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    for (insurer, number, birth, reference) in entries {
        req.body.entries.push(ReferenceNumberRegistrationInfo {
            insurer_number: Some(insurer.into()),
            insured_identification_number: Some(number.into()),
            birthdate: Some(birth.into()),
            reference_number: reference.map(Into::into),
            ..Default::default()
        });
    }
    let bytes = write_document(&req, TextEncoding::Utf8, XmlStyle::default()).unwrap();
    let out = e
        .handle_file_with(&population(), stores.stores(), name, &bytes, now())
        .unwrap();
    let (result_name, bytes) = answered(out);
    assert_eq!(result_name, name.replacen("req_", "res_", 1));
    read_document(&bytes).unwrap().0
}

#[test]
fn reference_numbers_are_per_facility_and_replaced() {
    let e = engine(0, 10);
    let stores = MemoryStores::default();
    let r = register(
        &e,
        &stores,
        "OQSsiimm01req_1.xml",
        MIC,
        vec![("06139018", "3", "19800101", Some("A-1"))],
    );
    assert_eq!(r.header.segment_of_result, "1");
    let body = r.body.unwrap();
    assert_eq!(body.processing_result_status.as_deref(), Some("1"));
    assert_eq!(body.qualification_validity.as_deref(), Some("1"));
    // Re-registration replaces.
    register(
        &e,
        &stores,
        "OQSsiimm01req_2.xml",
        MIC,
        vec![("06139018", "3", "19800101", Some("A-2"))],
    );
    assert_eq!(
        stores.reference_number(MIC, "worker").as_deref(),
        Some("A-2")
    );
    assert_eq!(stores.reference_number("1399999999", "worker"), None);

    // Bulk form: one unit per entry, with counts.
    let r = register(
        &e,
        &stores,
        "OQSmuimm01req_1.xml",
        MIC,
        vec![
            ("06139018", "1", "19900101", Some("B-7")),
            ("06139018", "999", "19900101", Some("B-8")),
            ("06139018", "3", "19800101", None),
        ],
    );
    assert_eq!(r.header.number_of_normal_processing.as_deref(), Some("1"));
    assert_eq!(r.header.number_of_error.as_deref(), Some("2"));
    let units = r.body.unwrap().units;
    assert_eq!(units[1].qualification_validity.as_deref(), Some("4"));
    assert_eq!(
        units[2].processing_result_code,
        Some(
            e.config()
                .catalogue
                .get(ErrorKey::ReferenceNumberInvalid)
                .code
        )
    );
    assert_eq!(
        stores.reference_number(MIC, "changed").as_deref(),
        Some("B-7")
    );

    // Single checks and bulk units of that facility carry it; another facility's do not.
    let single = |mic: &str| {
        let mut req = super::tests::request_for("06139018", "3", "19800101");
        req.header.medical_institution_code = Some(mic.into());
        e.single_check_with(&population(), &stores, &req, now())
            .unwrap()
            .0
    };
    let item = |r: QualificationConfirmResult| {
        r.body.unwrap().result_list.unwrap().results[0]
            .reference_number
            .clone()
    };
    assert_eq!(item(single(MIC)).as_deref(), Some("A-2"));
    assert_eq!(item(single("1399999999")), None);
    let up = upload(
        &e,
        &stores,
        &upload_bytes(vec![person("06139018", "3", "19800101", "w")]),
    );
    let done = download(&e, &stores, MIC, &up.body.unwrap().reception_number, now());
    let unit = &done.body.unwrap().units[0];
    assert_eq!(unit.reference_number.as_deref(), Some("A-2"));
    assert_eq!(unit.results[0].reference_number, None, "placement \"unit\"");
}

fn criteria_upload(e: &Engine, stores: &MemoryStores, name: &str, body: &str) -> FileOutcome {
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader>\
         <MedicalInstitutionCode>{MIC}</MedicalInstitutionCode>\
         <ArbitraryFileIdentifier>od2</ArbitraryFileIdentifier></MessageHeader>\
         <MessageBody><QualificationConfirmSearchInfo>{body}</QualificationConfirmSearchInfo>\
         </MessageBody></XmlMsg>"
    );
    e.handle_file_with(&population(), stores.stores(), name, doc.as_bytes(), now())
        .unwrap()
}

#[test]
fn criteria_bulks_are_accepted_checked_and_answered_without_units() {
    let e = engine(0, 10);
    let stores = MemoryStores::default();
    let consent =
        "<ConsentDateFrom>20261101</ConsentDateFrom><ConsentDateTo>20261130</ConsentDateTo>";
    let cases = [
        ("OQSmuhvq01req_1.xml", format!("{consent}<MedicalTreatmentFlag>2</MedicalTreatmentFlag>"), "1"),
        ("OQSmuhvq01req_2.xml", format!("{consent}<MedicalTreatmentFlag>3</MedicalTreatmentFlag>"), "9"),
        ("OQSmuonq01req_1.xml", "<ExaminationDateFrom>20261101</ExaminationDateFrom><ExaminationDateTo>20261030</ExaminationDateTo><MedicalTreatmentFlag>3</MedicalTreatmentFlag>".to_owned(), "9"),
        ("OQSmuonq01req_2.xml", format!("{consent}<MedicalTreatmentFlag>3</MedicalTreatmentFlag>"), "1"),
        ("OQSmutic01req_1.xml", "<MedicalTreatmentMonth>202611</MedicalTreatmentMonth>".to_owned(), "1"),
        ("OQSmutic01req_2.xml", "<MedicalTreatmentMonth>202613</MedicalTreatmentMonth>".to_owned(), "9"),
    ];
    let criteria_code = e.config().catalogue.get(ErrorKey::BulkCriteria).code;
    let mut numbers = Vec::new();
    for (name, body, segment) in &cases {
        let (result_name, bytes) = answered(criteria_upload(&e, &stores, name, body));
        assert_eq!(result_name, name.replacen("req_", "res_", 1));
        let up: BulkUploadResult = read_document(&bytes).unwrap().0;
        assert_eq!(up.header.segment_of_result, *segment, "{name}");
        assert_eq!(up.header.arbitrary_file_identifier.as_deref(), Some("od2"));
        match up.body {
            Some(b) => numbers.push((name.replace("01req_", "02req_"), b.reception_number)),
            None => assert_eq!(
                up.header.error_code.as_deref(),
                Some(criteria_code.as_str())
            ),
        }
    }
    assert_eq!(numbers.len(), 3);
    for (name, number) in &numbers {
        let out = e
            .handle_file_with(
                &population(),
                stores.stores(),
                name,
                &download_bytes(MIC, number),
                now(),
            )
            .unwrap();
        let r: BulkDownloadResult = read_document(&answered(out).1).unwrap().0;
        assert_eq!(r.header.segment_of_result, "1", "{name}");
        assert_eq!(r.header.number_of_processing_result.as_deref(), Some("0"));
        assert!(r.body.unwrap().units.is_empty());
    }
    // A criteria job is not downloadable as another kind.
    let r = download(&e, &stores, MIC, &numbers[0].1, now());
    assert_eq!(r.header.segment_of_result, "9");
    // A missing criterion makes the file unprocessable.
    let out = criteria_upload(
        &e,
        &stores,
        "OQSmuhvq01req_3.xml",
        "<ConsentDateFrom>20261101</ConsentDateFrom>",
    );
    assert!(matches!(out, FileOutcome::Rejected { .. }));
}
