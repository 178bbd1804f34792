//! The criteria bulk checks with real units, through the shared folder: `OQSmutic` (医療扶助, the
//! facility's recipients with their 医療券・調剤券) and `OQSmuonq` / `OQSmuhvq` (consents recorded
//! through `POST /admin/consents`, by the reader, or seeded from the fixtures), surviving a
//! restart.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sim_messages::muquc::BulkDownloadResult;
use sim_messages::xml::read_document;
use tower::ServiceExt;

use crate::bulk::{Bulk, MIC, OTHER_MIC, bulk_config};

fn upload(kind: &str, mic: &str, criteria: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n<XmlMsg>\
         <MessageHeader><MedicalInstitutionCode>{mic}</MedicalInstitutionCode>\
         <ArbitraryFileIdentifier>{kind}</ArbitraryFileIdentifier></MessageHeader>\
         <MessageBody><QualificationConfirmSearchInfo>{criteria}</QualificationConfirmSearchInfo>\
         </MessageBody></XmlMsg>\r\n"
    )
}

async fn both_phases(
    server: &Bulk,
    kind: &str,
    tag: &str,
    mic: &str,
    criteria: &str,
) -> BulkDownloadResult {
    let up = server
        .upload(
            &format!("{kind}01req_{tag}.xml"),
            upload(kind, mic, criteria).as_bytes(),
        )
        .await;
    let number = up.body.expect("accepted").reception_number;
    let req = format!(
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n<XmlMsg><MessageHeader>\
         <MedicalInstitutionCode>{mic}</MedicalInstitutionCode></MessageHeader><MessageBody>\
         <ReceptionNumber>{number}</ReceptionNumber></MessageBody></XmlMsg>\r\n"
    );
    let res = server
        .exchange(&format!("{kind}02req_{tag}.xml"), req.as_bytes())
        .await;
    let result: BulkDownloadResult = read_document(&res).unwrap().0;
    assert_eq!(result.header.segment_of_result, "1");
    result
}

fn names(r: &BulkDownloadResult) -> Vec<String> {
    r.body
        .as_ref()
        .map(|b| {
            b.units
                .iter()
                .filter_map(|u| u.results.first().and_then(|r| r.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn medical_aid_bulk_lists_recipients_with_tickets_of_the_month() {
    let server = Bulk::start(
        tempfile::tempdir().unwrap(),
        bulk_config(0, 0.0, 300),
        false,
    )
    .await;
    let month = "<MedicalTreatmentMonth>202611</MedicalTreatmentMonth>";
    let r = both_phases(&server, "OQSmutic", "a", MIC, month).await;
    let got = names(&r);
    assert!(got.contains(&"松本　和夫".to_owned()), "{got:?}");
    assert!(got.contains(&"渡辺　節子".to_owned()), "{got:?}");
    let units = r.body.unwrap().units;
    assert_eq!(
        r.header.number_of_processing_result.as_deref(),
        Some(units.len().to_string().as_str())
    );
    for u in &units {
        let item = &u.results[0];
        assert_eq!(item.insured_card_classification.as_deref(), Some("A1"));
        let tickets = &item.public_expense_result_list.as_ref().unwrap().tickets;
        assert!(!tickets.is_empty());
        assert!(
            tickets
                .iter()
                .all(|t| t.medical_treatment_month.as_deref() == Some("202611")
                    && t.designated_medical_institution_code.as_deref() == Some(MIC))
        );
    }
    // The same keys in a single check at this facility: 1 with the tickets.
    let medical_aid = units
        .iter()
        .find(|u| u.results[0].name.as_deref() == Some("松本　和夫"))
        .unwrap();
    assert_eq!(
        medical_aid.results[0].insurer_number.as_deref(),
        Some("12131041")
    );
    // Another facility holds no tickets.
    let r = both_phases(&server, "OQSmutic", "b", OTHER_MIC, month).await;
    assert!(names(&r).is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn online_bulk_selects_recorded_consents_and_they_survive_a_restart() {
    let server = Bulk::start(tempfile::tempdir().unwrap(), bulk_config(0, 0.0, 20), false).await;
    let post = |body: &str| {
        Request::post("/admin/consents")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let app = sim_server::http::app(server.shared.clone());
    let r = app
        .clone()
        .oneshot(post(
            r#"{"person":"valid-kokuho","treatment":"online","at":"2026-11-20T18:00:00","examined":"20261121"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    for (body, status) in [
        (
            r#"{"person":"nobody","treatment":"online"}"#,
            StatusCode::NOT_FOUND,
        ),
        (
            r#"{"person":"valid-kokuho","treatment":"walk-in"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"person":"valid-kokuho","treatment":"home","at":"20261120"}"#,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        assert_eq!(
            app.clone().oneshot(post(body)).await.unwrap().status(),
            status,
            "{body}"
        );
    }
    let listed = app
        .oneshot(
            Request::get("/admin/consents?treatment=online")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let listed: serde_json::Value =
        serde_json::from_slice(&listed.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let people: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person"].as_str().unwrap())
        .collect();
    assert_eq!(people, ["elderly-70-74", "valid-kokuho"]);

    let by_consent = "<ConsentDateFrom>20261101</ConsentDateFrom><ConsentDateTo>20261130</ConsentDateTo>\
                      <MedicalTreatmentFlag>3</MedicalTreatmentFlag>";
    let r = both_phases(&server, "OQSmuonq", "a", MIC, by_consent).await;
    assert_eq!(names(&r).len(), 2, "{:?}", names(&r));
    let dir = server.stop().await;
    // After a restart, the recorded consent is still there (and the fixtures' seeded once).
    let server = Bulk::start(dir, bulk_config(0, 0.0, 20), false).await;
    let by_exam = "<ExaminationDateFrom>20261121</ExaminationDateFrom><ExaminationDateTo>20261121</ExaminationDateTo>\
                   <MedicalTreatmentFlag>3</MedicalTreatmentFlag>";
    let r = both_phases(&server, "OQSmuonq", "b", MIC, by_exam).await;
    assert_eq!(names(&r), ["鈴木　和子"]);
    let r = both_phases(&server, "OQSmuonq", "c", MIC, by_consent).await;
    assert_eq!(names(&r).len(), 2);
    server.stop().await;
}
