//! Property tests of the bulk (`OQSmuquc01/02`) and 照会番号 (`OQSsiimm01` / `OQSmuimm01`)
//! messages, on the template approach of `proptests.rs`: every message round-trips in both
//! encodings and layouts, and reading arbitrary bytes never panics.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::imm::*;
use crate::mucriteria::*;
use crate::muquc::*;
use crate::proptests::{
    REQUIRED, ambiguous, full_result_item, full_search_info, like, round_trip, styles,
};
use crate::xml::read_document;

fn search() -> Value {
    serde_json::to_value(full_search_info()).expect("serializes")
}

fn full_upload_request() -> BulkUploadRequest {
    serde_json::from_value(json!({
        "MessageHeader": {
            "QualificationConfirmationDate": "x", "MedicalInstitutionCode": "x",
            "ArbitraryFileIdentifier": "x"
        },
        "MessageBody": { "QualificationConfirmSearchInfo": [search()] }
    }))
    .expect("well-formed")
}

fn full_upload_result() -> BulkUploadResult {
    serde_json::from_value(json!({
        "MessageHeader": {
            "ProcessExecutionTime": REQUIRED, "QualificationConfirmationDate": "x",
            "MedicalInstitutionCode": "x", "ArbitraryFileIdentifier": "x",
            "SegmentOfResult": REQUIRED, "ErrorCode": "x", "ErrorMessage": "x",
            "CharacterCodeIdentifier": REQUIRED
        },
        "MessageBody": { "ReceptionNumber": REQUIRED, "ReceptionDateTime": "x" }
    }))
    .expect("well-formed")
}

fn full_download_request() -> BulkDownloadRequest {
    serde_json::from_value(json!({
        "MessageHeader": { "MedicalInstitutionCode": "x", "ArbitraryFileIdentifier": "x" },
        "MessageBody": { "ReceptionNumber": "x" }
    }))
    .expect("well-formed")
}

fn full_download_result() -> BulkDownloadResult {
    serde_json::from_value(json!({
        "MessageHeader": {
            "ProcessExecutionTime": REQUIRED, "QualificationConfirmationDate": "x",
            "MedicalInstitutionCode": "x", "ArbitraryFileIdentifier": "x",
            "ReceptionNumber": "x", "SegmentOfResult": REQUIRED, "ErrorCode": "x",
            "ErrorMessage": "x", "NumberOfProcessingResult": "x",
            "NumberOfNormalProcessing": "x", "NumberOfError": "x",
            "CharacterCodeIdentifier": REQUIRED
        },
        "MessageBody": { "BulkConfirmUnit": [{
            "QualificationConfirmSearchInfo": search(),
            "ProcessingResultStatus": REQUIRED, "ProcessingResultCode": "x",
            "ProcessingResultMessage": "x", "QualificationValidity": "x",
            "ResultOfQualificationConfirmation": [full_result_item()],
            "ReferenceNumber": "x"
        }] }
    }))
    .expect("well-formed")
}

fn info() -> Value {
    json!({
        "InsurerNumber": "x", "InsuredCardSymbol": "x", "InsuredIdentificationNumber": "x",
        "InsuredBranchNumber": "x", "Birthdate": "x", "ReferenceNumber": "x"
    })
}

fn full_imm_request() -> ReferenceNumberRequest {
    serde_json::from_value(json!({
        "MessageHeader": {
            "QualificationConfirmationDate": "x", "MedicalInstitutionCode": "x",
            "ArbitraryFileIdentifier": "x"
        },
        "MessageBody": { "ReferenceNumberRegistrationInfo": [info()] }
    }))
    .expect("well-formed")
}

fn full_imm_result() -> ReferenceNumberResult {
    serde_json::from_value(json!({
        "MessageHeader": {
            "ProcessExecutionTime": REQUIRED, "MedicalInstitutionCode": "x",
            "ArbitraryFileIdentifier": "x", "SegmentOfResult": REQUIRED, "ErrorCode": "x",
            "ErrorMessage": "x", "NumberOfProcessingResult": "x",
            "NumberOfNormalProcessing": "x", "NumberOfError": "x",
            "CharacterCodeIdentifier": REQUIRED
        },
        "MessageBody": {
            "ProcessingResultStatus": "x", "ProcessingResultCode": "x",
            "ProcessingResultMessage": "x", "QualificationValidity": "x",
            "ReferenceNumberRegistrationInfo": info(),
            "ReferenceNumberRegistrationUnit": [{
                "ReferenceNumberRegistrationInfo": info(),
                "ProcessingResultStatus": REQUIRED, "ProcessingResultCode": "x",
                "ProcessingResultMessage": "x", "QualificationValidity": "x"
            }]
        }
    }))
    .expect("well-formed")
}

fn full_criteria_request() -> CriteriaUploadRequest {
    serde_json::from_value(json!({
        "MessageHeader": { "MedicalInstitutionCode": "x", "ArbitraryFileIdentifier": "x" },
        "MessageBody": { "QualificationConfirmSearchInfo": {
            "ConsentDateFrom": "x", "ConsentDateTo": "x", "ExaminationDateFrom": "x",
            "ExaminationDateTo": "x", "MedicalTreatmentFlag": "x", "MedicalTreatmentMonth": "x"
        } }
    }))
    .expect("well-formed")
}

#[test]
fn the_bulk_templates_have_every_element() {
    // A misspelt element name would be dropped silently by serde; count what survives.
    let count = |v: &Value| v.as_object().map_or(0, |o| o.len());
    let up = serde_json::to_value(full_upload_result()).unwrap();
    assert_eq!(count(&up["MessageHeader"]), 8);
    assert_eq!(count(&up["MessageBody"]), 2);
    let down = serde_json::to_value(full_download_result()).unwrap();
    assert_eq!(count(&down["MessageHeader"]), 12);
    let unit = &down["MessageBody"]["BulkConfirmUnit"][0];
    assert_eq!(count(unit), 7);
    assert_eq!(count(&unit["ResultOfQualificationConfirmation"][0]), 47);
    let imm = serde_json::to_value(full_imm_result()).unwrap();
    assert_eq!(count(&imm["MessageHeader"]), 10);
    assert_eq!(count(&imm["MessageBody"]), 6);
    assert_eq!(
        count(&imm["MessageBody"]["ReferenceNumberRegistrationUnit"][0]),
        5
    );
    let req = serde_json::to_value(full_imm_request()).unwrap();
    assert_eq!(
        count(&req["MessageBody"]["ReferenceNumberRegistrationInfo"][0]),
        6
    );
    assert_eq!(
        count(&serde_json::to_value(full_download_request()).unwrap()["MessageHeader"]),
        2
    );
    let criteria = serde_json::to_value(full_criteria_request()).unwrap();
    assert_eq!(
        count(&criteria["MessageBody"]["QualificationConfirmSearchInfo"]),
        6
    );
}

proptest! {
    #[test]
    fn upload_request_round_trips(v in like(&full_upload_request()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn upload_result_round_trips(v in like(&full_upload_result()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn download_request_round_trips(v in like(&full_download_request()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn download_result_round_trips(v in like(&full_download_result()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn imm_request_round_trips(v in like(&full_imm_request()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn imm_result_round_trips(v in like(&full_imm_result()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn criteria_request_round_trips(v in like(&full_criteria_request()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_document::<BulkUploadRequest>(&bytes).map(|(r, _)| r.required().is_ok());
        let _ = read_document::<BulkDownloadRequest>(&bytes).map(|(r, _)| r.required().is_ok());
        let _ = read_document::<ReferenceNumberRequest>(&bytes).map(|(r, _)| r.required().is_ok());
        let _ = read_document::<CriteriaUploadRequest>(&bytes)
            .map(|(r, _)| r.required(crate::MessageKind::OnlineUpload).is_ok());
    }
}
