//! 照会番号 registration (`OQSsiimm01` / `OQSmuimm01`) through the shared folder: the number
//! shows up in later single and bulk results of the registering facility only, re-registration
//! replaces it, and it survives a restart; and the SQLite job store on its own.

use sim_messages::TextEncoding;
use sim_messages::imm::{
    ReferenceNumberRegistrationInfo, ReferenceNumberRequest, ReferenceNumberRequestHeader,
    ReferenceNumberResult,
};
use sim_messages::siquc01::QualificationConfirmResult;
use sim_messages::xml::{XmlStyle, read_document, write_document};

use crate::bulk::{Bulk, MIC, OTHER_MIC, bulk_config, search, upload_bytes};
use crate::support::*;

fn imm(mic: &str, keys: &Keys, number: &str) -> Vec<u8> {
    let req = ReferenceNumberRequest {
        header: ReferenceNumberRequestHeader {
            medical_institution_code: Some(mic.into()),
            arbitrary_file_identifier: Some(format!("imm-{number}")),
            ..Default::default()
        },
        body: sim_messages::imm::ReferenceNumberRequestBody {
            entries: vec![ReferenceNumberRegistrationInfo {
                insurer_number: Some(keys.insurer.into()),
                insured_card_symbol: keys.symbol.map(Into::into),
                insured_identification_number: Some(keys.number.into()),
                insured_branch_number: keys.branch.map(Into::into),
                birthdate: Some(keys.birthdate.into()),
                reference_number: Some(number.into()),
            }],
        },
    };
    write_document(&req, TextEncoding::Utf8, XmlStyle::default()).unwrap()
}

async fn single_reference(server: &Bulk, mic: &str, tag: &str) -> Option<String> {
    let mut req = request(&KOKUHO, tag);
    req.header.medical_institution_code = Some(mic.into());
    let bytes = write_document(&req, TextEncoding::ShiftJis, XmlStyle::default()).unwrap();
    let res = server
        .exchange(&format!("OQSsiquc01req_{tag}.xml"), &bytes)
        .await;
    let result: QualificationConfirmResult = read_document(&res).unwrap().0;
    result
        .body?
        .result_list?
        .results
        .first()?
        .reference_number
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn reference_numbers_show_up_only_for_their_facility() {
    let server = Bulk::start(tempfile::tempdir().unwrap(), bulk_config(0, 0.0, 50), false).await;
    assert_eq!(single_reference(&server, MIC, "s0").await, None);

    let res = server
        .exchange("OQSsiimm01req_1.xml", &imm(MIC, &KOKUHO, "000123"))
        .await;
    let r: ReferenceNumberResult = read_document(&res).unwrap().0;
    assert_eq!(r.header.segment_of_result, "1");
    assert_eq!(
        r.body.unwrap().processing_result_status.as_deref(),
        Some("1")
    );
    assert_eq!(
        single_reference(&server, MIC, "s1").await.as_deref(),
        Some("000123")
    );
    assert_eq!(single_reference(&server, OTHER_MIC, "s2").await, None);

    // Re-registration replaces; the other facility registers its own.
    server
        .exchange("OQSsiimm01req_2.xml", &imm(MIC, &KOKUHO, "000456"))
        .await;
    server
        .exchange("OQSsiimm01req_3.xml", &imm(OTHER_MIC, &KOKUHO, "K-9"))
        .await;
    assert_eq!(
        single_reference(&server, MIC, "s3").await.as_deref(),
        Some("000456")
    );
    assert_eq!(
        single_reference(&server, OTHER_MIC, "s4").await.as_deref(),
        Some("K-9")
    );

    // Bulk units of the facility carry it too, and it survives a restart.
    let dir = server.stop().await;
    let server = Bulk::start(dir, bulk_config(0, 0.0, 50), false).await;
    let up = server
        .upload(
            "OQSmuquc01req_r.xml",
            &upload_bytes(vec![search(&KOKUHO, "k"), search(&SHAHO, "s")]),
        )
        .await;
    let (result, _) = server
        .download("r", MIC, &up.body.unwrap().reception_number)
        .await;
    let units = result.body.unwrap().units;
    assert_eq!(units[0].reference_number.as_deref(), Some("000456"));
    assert_eq!(units[1].reference_number, None);
    server.stop().await;
}

#[test]
fn the_job_store_is_idempotent_and_durable() {
    use sim_core::engine::stores::NewJob;
    use sim_core::engine::{BulkJobs, ReferenceNumbers};
    use sim_server::jobs::JobStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite3");
    let job = NewJob {
        kind: sim_messages::MessageKind::BulkQualificationUpload,
        medical_institution_code: MIC,
        request_name: "OQSmuquc01req_1.xml",
        request: b"<XmlMsg/>",
        units: 1,
        accepted_at: now(),
        ready_at: now() + chrono::Duration::seconds(5),
    };
    let store = JobStore::open(&path).unwrap();
    let first = store.accept(&job).unwrap();
    assert_eq!(first.reception_number, "20261125000000000001");
    // A replay of the same file (a crash before it left req/) is the same job.
    assert_eq!(store.accept(&job).unwrap(), first);
    let other = store
        .accept(&NewJob {
            request: b"<XmlMsg></XmlMsg>",
            ..job.clone()
        })
        .unwrap();
    assert_eq!(other.reception_number, "20261125000000000002");
    store.register(MIC, "p1", "A").unwrap();
    store.register(MIC, "p1", "B").unwrap();
    drop(store);
    let store = JobStore::open(&path).unwrap();
    assert_eq!(store.job(&first.reception_number).unwrap(), Some(first));
    assert_eq!(store.job("20261125000000000009").unwrap(), None);
    assert_eq!(store.reference_number(MIC, "p1").as_deref(), Some("B"));
    assert_eq!(store.reference_number(OTHER_MIC, "p1"), None);
    assert_eq!(store.job_count().unwrap(), 2);
}
