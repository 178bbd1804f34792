//! Property tests of the medical-information messages (`YZKsiquc01` / `TKKsiquc01` requests, the
//! drug and checkup results), on the template approach of `proptests.rs`: each round-trips in both
//! encodings and layouts, and reading arbitrary bytes never panics.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::medreq::*;
use crate::proptests::{REQUIRED, ambiguous, like, round_trip, styles};
use crate::tkk::*;
use crate::xml::read_document;
use crate::yzk::*;

fn full_request() -> MedicalInfoRequest {
    serde_json::from_value(json!({
        "MessageHeader": {
            "MedicalInstitutionCode": "x", "InsurerNumber": "x", "InsuranceCardSymbol": "x",
            "InsuredPersonIdentificationNumber": "x", "BranchNumber": "x",
            "ArbitraryFileIdentifier": "x"
        },
        "MessageBody": {
            "StartDate": "x", "EndDate": "x", "FileCategory": "x",
            "PrDiInfClassification": "x", "MedicalTreatmentFlag": "x"
        }
    }))
    .expect("well-formed")
}

fn header(patient: (&str, Value)) -> Value {
    let mut h = json!({
        "ProcessExecutionTime": REQUIRED, "MedicalInstitutionCode": "x",
        "ArbitraryFileIdentifier": "x", "SegmentOfResult": REQUIRED, "ErrorCode": "x",
        "ErrorMessage": "x", "CharacterCodeIdentifier": REQUIRED,
        "ResultCode": REQUIRED, "MessageContents": "x"
    });
    h[patient.0] = patient.1;
    h
}

fn full_drug_result() -> DrugInfoResult {
    let drug = json!({
        "DrugC": REQUIRED, "DrugN": REQUIRED, "IngreN": "x", "Qua1": REQUIRED, "Unit": "x",
        "UsageN": "x", "SpInst": "x", "Times": REQUIRED, "MeTrIdCl": "x"
    });
    let treatment = json!({
        "SinInfN": REQUIRED, "SinInfCd": REQUIRED, "MeTrIdCl": "x", "Qua1": "x", "Times": "x",
        "Unit": "x"
    });
    serde_json::from_value(json!({
        "MessageHeader": header(("QuaInf", json!({
            "Name": REQUIRED, "KanaName": "x", "Birth": REQUIRED, "AdmGendCode": REQUIRED
        }))),
        "MessageBody": { "MeTrMonthInf": [{
            "DiOrg": "x", "MeTrDiHCd": REQUIRED, "MeTrDiHNm": REQUIRED, "PrlsHCd": "x",
            "PrlsHNm": "x", "MeTrMonth": REQUIRED, "PrIsOrg": "x", "InOut": "x",
            "DiDateInfs": { "DiDateInf": [{
                "DiDate": REQUIRED, "PrDate": "x",
                "DrugInfs": { "DrugInf": [drug.clone(), drug] },
                "MeTrInfs": { "MeTrInf": [treatment] }
            }] }
        }] }
    }))
    .expect("well-formed")
}

fn full_checkup_result() -> CheckupInfoResult {
    let item = json!({
        "ItemCode": REQUIRED, "ItemName": REQUIRED, "DataType": REQUIRED,
        "DataValue": REQUIRED, "Unit": "x", "Oid": "x", "DataValueName": "x"
    });
    serde_json::from_value(json!({
        "MessageHeader": header(("QualificationsInfo", json!({
            "Name": REQUIRED, "KanasName": "x", "Birthday": REQUIRED,
            "AdministrativeGenderCode": REQUIRED
        }))),
        "MessageBody": { "SpecificHealthCheckupInfo": [{
            "EffectiveTime": REQUIRED,
            "HealthCheckupResultAndQuestionInfos": {
                "HealthCheckupResultAndQuestionInfo": [item.clone(), item]
            }
        }] }
    }))
    .expect("well-formed")
}

#[test]
fn the_medinfo_templates_have_every_element() {
    // A misspelt element name would be dropped silently by serde; count what survives.
    let count = |v: &Value| v.as_object().map_or(0, |o| o.len());
    let req = serde_json::to_value(full_request()).unwrap();
    assert_eq!(count(&req["MessageHeader"]), 6);
    assert_eq!(count(&req["MessageBody"]), 5);
    let drug = serde_json::to_value(full_drug_result()).unwrap();
    assert_eq!(count(&drug["MessageHeader"]), 10);
    assert_eq!(count(&drug["MessageHeader"]["QuaInf"]), 4);
    let month = &drug["MessageBody"]["MeTrMonthInf"][0];
    assert_eq!(count(month), 9);
    let day = &month["DiDateInfs"]["DiDateInf"][0];
    assert_eq!(count(day), 4);
    assert_eq!(count(&day["DrugInfs"]["DrugInf"][0]), 9);
    assert_eq!(count(&day["MeTrInfs"]["MeTrInf"][0]), 6);
    let tkk = serde_json::to_value(full_checkup_result()).unwrap();
    assert_eq!(count(&tkk["MessageHeader"]), 10);
    assert_eq!(count(&tkk["MessageHeader"]["QualificationsInfo"]), 4);
    let info = &tkk["MessageBody"]["SpecificHealthCheckupInfo"][0];
    assert_eq!(
        count(
            &info["HealthCheckupResultAndQuestionInfos"]["HealthCheckupResultAndQuestionInfo"][0]
        ),
        7
    );
}

proptest! {
    #[test]
    fn medinfo_request_round_trips(v in like(&full_request()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn drug_result_round_trips(v in like(&full_drug_result()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn checkup_result_round_trips(v in like(&full_checkup_result()), style in styles()) {
        prop_assume!(!ambiguous(&v, style));
        prop_assert_eq!(round_trip(&v, style), v);
    }

    #[test]
    fn reading_arbitrary_medinfo_bytes_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..512)
    ) {
        let _ = read_document::<MedicalInfoRequest>(&bytes).map(|(r, _)| r.required().is_ok());
    }

    #[test]
    fn medinfo_request_with_arbitrary_text_never_panics(s in "\\PC{0,40}") {
        let text = format!(
            "<XmlMsg><MessageHeader><MedicalInstitutionCode>{s}</MedicalInstitutionCode>\
             <InsurerNumber>{s}</InsurerNumber></MessageHeader><MessageBody>\
             <FileCategory>{s}</FileCategory><StartDate>{s}</StartDate></MessageBody></XmlMsg>"
        );
        let _ = read_document::<MedicalInfoRequest>(text.as_bytes()).map(|(r, _)| r.required().is_ok());
    }
}
