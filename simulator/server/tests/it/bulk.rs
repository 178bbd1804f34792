//! The bulk checks through the shared folder (and once over HTTP): a client loop that re-issues
//! the `OQSmuquc02` download while the answer is `SegmentOfResult` 2, a restart in the middle of a
//! job, limits, `.zip` results, an OD2-shaped 訪問診療 bulk, and snapshots of a small bulk result.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sim_messages::muquc::{
    BulkDownloadRequest, BulkDownloadResult, BulkUploadRequest, BulkUploadRequestBody,
    BulkUploadResult,
};
use sim_messages::siquc01::{QualificationConfirmSearchInfo, RequestHeader};
use sim_messages::xml::{XmlStyle, read_document, write_document};
use sim_messages::{ErrorKey, TextEncoding};
use sim_server::clock::VirtualClock;
use sim_server::config::Config;
use sim_server::dropbox::{self, DropboxConfig, Folders, WatchMode};
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::support::*;

pub(crate) const MIC: &str = "1311234567";
pub(crate) const OTHER_MIC: &str = "2711234567";

/// The file interface on `dir` with a virtual clock starting at [`NOW`], running or frozen.
pub(crate) struct Bulk {
    dir: TempDir,
    pub(crate) shared: Arc<Shared>,
    folders: Folders,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Bulk {
    pub(crate) async fn start(dir: TempDir, config: Config, running: bool) -> Bulk {
        let mut opts = ServeOptions::new(
            config.clone(),
            dir.path().join("oqs"),
            dir.path().join("state"),
        );
        opts.clock = Arc::new(VirtualClock::new(now(), running));
        let shared = build_shared(&opts).unwrap();
        let folders = Folders::create(&opts.oqs_dir).unwrap();
        let dconfig = DropboxConfig {
            root: opts.oqs_dir.clone(),
            watch: WatchMode::Auto,
            poll_interval: Duration::from_millis(config.terminal.poll_interval_ms),
            delay: (Duration::ZERO, Duration::ZERO),
            fsync: false,
        };
        let (stop, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(dropbox::run(dconfig, shared.clone(), async {
            let _ = stop_rx.await;
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        Bulk {
            dir,
            shared,
            folders,
            stop,
            task,
        }
    }

    fn res(&self, name: &str) -> std::path::PathBuf {
        self.folders.res.join(name)
    }

    pub(crate) async fn stop(self) -> TempDir {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
        self.shared.journal.flush();
        self.dir
    }

    /// Drops `req/NAME` and waits for `res/` + the result name.
    pub(crate) async fn exchange(&self, name: &str, bytes: &[u8]) -> Vec<u8> {
        write_atomic(&self.folders.req, name, bytes);
        let result = name.replacen("req_", "res_", 1);
        wait_for(&self.folders.res.join(result), Duration::from_secs(30)).await
    }

    pub(crate) async fn upload(&self, name: &str, bytes: &[u8]) -> BulkUploadResult {
        read_document(&self.exchange(name, bytes).await).unwrap().0
    }

    /// The client loop: download, and while the answer is 2 (処理中) ask again.
    pub(crate) async fn download(
        &self,
        tag: &str,
        mic: &str,
        number: &str,
    ) -> (BulkDownloadResult, u32) {
        let mut req = BulkDownloadRequest::default();
        req.header.medical_institution_code = Some(mic.into());
        req.body.reception_number = Some(number.into());
        let bytes = write_document(&req, TextEncoding::ShiftJis, XmlStyle::default()).unwrap();
        let started = Instant::now();
        for attempt in 0u32.. {
            let name = format!("OQSmuquc02req_{tag}{attempt:03}.xml");
            let result: BulkDownloadResult = read_document(&self.exchange(&name, &bytes).await)
                .unwrap()
                .0;
            if result.header.segment_of_result != "2" {
                return (result, attempt);
            }
            assert!(result.body.is_none());
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the job never finished"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        unreachable!()
    }
}

pub(crate) fn bulk_config(base_ms: u64, per_unit_ms: f64, size: usize) -> Config {
    let mut c = test_config();
    c.population.size = size;
    c.bulk.base_ms = base_ms;
    c.bulk.per_unit_ms = per_unit_ms;
    c
}

pub(crate) fn upload_bytes(search: Vec<QualificationConfirmSearchInfo>) -> Vec<u8> {
    let req = BulkUploadRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some("20261125".into()),
            medical_institution_code: Some(MIC.into()),
            arbitrary_file_identifier: Some("bulk-afi".into()),
        },
        body: BulkUploadRequestBody { search },
    };
    write_document(
        &req,
        TextEncoding::ShiftJis,
        XmlStyle {
            indent: 2,
            crlf: true,
        },
    )
    .unwrap()
}

pub(crate) fn search(keys: &Keys, id: &str) -> QualificationConfirmSearchInfo {
    let mut s = request(keys, "x")
        .body
        .qualification_confirm_search_info
        .unwrap();
    s.arbitrary_identifier = Some(id.into());
    s
}

/// What a booked patient should come back as.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    /// Validity 1, with this 氏名.
    Valid(String),
    /// Validity 2 or 3.
    Lapsed,
    /// Validity 4 (status 1, not-found code).
    NotFound,
    /// Status 2 (malformed keys).
    Error,
}

/// 1,000 booked patients from the population: valid cards, lapsed cards, a wrong 生年月日 and a
/// malformed 保険者番号.
fn booked(shared: &Shared, n: usize) -> Vec<(QualificationConfirmSearchInfo, Expect)> {
    let on = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let info = |q: &sim_core::Qualification, birth: NaiveDate, id: String| {
        QualificationConfirmSearchInfo {
            insurer_number: Some(q.insurer.to_wire()),
            insured_card_symbol: q.card.symbol.clone(),
            insured_identification_number: Some(q.card.number.clone()),
            insured_branch_number: Some(q.card.branch.clone()),
            birthdate: Some(sim_core::date::ymd(birth)),
            limit_application_certificate_related_cons_flg: Some("0".into()),
            arbitrary_identifier: Some(id),
        }
    };
    let mut out = Vec::new();
    let mut lapsed = 0;
    for (i, p) in shared.population.persons().iter().enumerate() {
        if out.len() >= n {
            break;
        }
        let id = format!("pt{i:05}_1");
        if let Some(q) = p
            .qualifications
            .iter()
            .find(|q| q.lost.is_some_and(|l| l.date <= on))
            && lapsed < n / 8
        {
            lapsed += 1;
            out.push((info(q, p.birthdate, id), Expect::Lapsed));
            continue;
        }
        let Some(q) = p.card_on(on).filter(|q| q.is_active_on(on)) else {
            continue;
        };
        match i % 10 {
            0 => {
                let wrong = p.birthdate.succ_opt().unwrap_or(p.birthdate);
                out.push((info(q, wrong, id), Expect::NotFound));
            }
            5 => {
                let mut s = info(q, p.birthdate, id);
                s.insurer_number = Some("12AB".into());
                out.push((s, Expect::Error));
            }
            _ => out.push((info(q, p.birthdate, id), Expect::Valid(p.name.clone()))),
        }
    }
    assert_eq!(out.len(), n, "the population has enough persons");
    out
}

fn check_units(result: &BulkDownloadResult, booked: &[(QualificationConfirmSearchInfo, Expect)]) {
    let h = &result.header;
    assert_eq!(h.segment_of_result, "1");
    let units = &result.body.as_ref().unwrap().units;
    assert_eq!(units.len(), booked.len());
    let errors = booked.iter().filter(|(_, e)| *e == Expect::Error).count();
    assert_eq!(
        h.number_of_processing_result,
        Some(booked.len().to_string())
    );
    assert_eq!(h.number_of_error, Some(errors.to_string()));
    assert_eq!(
        h.number_of_normal_processing,
        Some((booked.len() - errors).to_string())
    );
    for (unit, (search, expect)) in units.iter().zip(booked) {
        let id = &search.arbitrary_identifier;
        assert_eq!(
            unit.qualification_confirm_search_info.as_ref(),
            Some(search),
            "{id:?}"
        );
        let validity = unit.qualification_validity.as_deref();
        match expect {
            Expect::Valid(name) => {
                assert_eq!(validity, Some("1"), "{id:?}");
                assert_eq!(unit.results[0].name.as_ref(), Some(name), "{id:?}");
            }
            Expect::Lapsed => assert!(matches!(validity, Some("2" | "3")), "{id:?}: {validity:?}"),
            Expect::NotFound => {
                assert_eq!(validity, Some("4"), "{id:?}");
                assert_eq!(unit.processing_result_status, "1");
                assert!(unit.results.is_empty());
            }
            Expect::Error => {
                assert_eq!(unit.processing_result_status, "2", "{id:?}");
                assert!(unit.processing_result_code.is_some());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_of_1000_round_trips_and_survives_a_restart() {
    // 2 s + 0.5 ms per person on a running clock (started before the population is built, so
    // keep a margin): the first downloads after the restart see 処理中.
    let config = bulk_config(2000, 0.5, 1500);
    let server = Bulk::start(tempfile::tempdir().unwrap(), config.clone(), true).await;
    let booked = booked(&server.shared, 1000);
    let bytes = upload_bytes(booked.iter().map(|(s, _)| s.clone()).collect());
    let up = server
        .upload("OQSmuquc01req_202611250001.xml", &bytes)
        .await;
    assert_eq!(up.header.segment_of_result, "1");
    assert_eq!(
        up.header.arbitrary_file_identifier.as_deref(),
        Some("bulk-afi")
    );
    let number = up.body.unwrap().reception_number;
    assert_eq!(number.len(), 20);

    // Stop in the middle of the job and start again on the same folder and state.
    let dir = server.stop().await;
    let server = Bulk::start(dir, config, true).await;
    let (result, retries) = server.download("a", MIC, &number).await;
    assert!(
        retries >= 1,
        "the client saw SegmentOfResult 2 at least once"
    );
    assert_eq!(
        result.header.reception_number.as_deref(),
        Some(number.as_str())
    );
    assert_eq!(
        result.header.arbitrary_file_identifier.as_deref(),
        Some("bulk-afi")
    );
    check_units(&result, &booked);

    // Another facility asking for the number gets the documented error, not the data.
    let (foreign, _) = server.download("b", OTHER_MIC, &number).await;
    assert_eq!(foreign.header.segment_of_result, "9");
    let code = server
        .shared
        .engine
        .config()
        .catalogue
        .get(ErrorKey::BulkReceptionUnknown);
    assert_eq!(foreign.header.error_code, Some(code.code));
    assert!(foreign.body.is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_persons_is_a_clear_error() {
    let mut config = bulk_config(0, 0.0, 50);
    config.bulk.max_units = 2;
    let server = Bulk::start(tempfile::tempdir().unwrap(), config, false).await;
    let bytes = upload_bytes(vec![
        search(&SHAHO, "1"),
        search(&SHAHO, "2"),
        search(&SHAHO, "3"),
    ]);
    let up = server.upload("OQSmuquc01req_big.xml", &bytes).await;
    assert_eq!(up.header.segment_of_result, "9");
    let code = server
        .shared
        .engine
        .config()
        .catalogue
        .get(ErrorKey::BulkTooManyUnits);
    assert_eq!(up.header.error_code, Some(code.code));
    assert_eq!(server.shared.jobs.job_count().unwrap(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn small_bulk_result_snapshot() {
    let server = Bulk::start(tempfile::tempdir().unwrap(), bulk_config(0, 0.0, 50), false).await;
    let mut broken = search(&SHAHO, "broken");
    broken.birthdate = None;
    let bytes = upload_bytes(vec![
        search(&SHAHO, "shaho"),
        search(&NOBODY, "nobody"),
        broken,
    ]);
    let up = server.exchange("OQSmuquc01req_snap.xml", &bytes).await;
    insta::assert_snapshot!("bulk_upload_result", text(&up, TextEncoding::ShiftJis));
    let number: BulkUploadResult = read_document(&up).unwrap().0;
    let number = number.body.unwrap().reception_number;
    let mut req = BulkDownloadRequest::default();
    req.header.medical_institution_code = Some(MIC.into());
    req.body.reception_number = Some(number);
    let req = write_document(&req, TextEncoding::Utf8, XmlStyle::default()).unwrap();
    let res = server.exchange("OQSmuquc02req_snap.xml", &req).await;
    insta::assert_snapshot!("bulk_download_result", text(&res, TextEncoding::ShiftJis));
    assert!(
        Path::new(&server.folders.res)
            .join("OQSmuquc02res_snap.xml")
            .exists()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn download_results_as_zip() {
    let mut config = bulk_config(0, 0.0, 50);
    config.bulk.download_format = "zip".into();
    let server = Bulk::start(tempfile::tempdir().unwrap(), config, false).await;
    let up = server
        .upload(
            "OQSmuquc01req_z.xml",
            &upload_bytes(vec![search(&SHAHO, "z1")]),
        )
        .await;
    let mut req = BulkDownloadRequest::default();
    req.header.medical_institution_code = Some(MIC.into());
    req.body.reception_number = Some(up.body.unwrap().reception_number);
    let req = write_document(&req, TextEncoding::ShiftJis, XmlStyle::default()).unwrap();
    write_atomic(&server.folders.req, "OQSmuquc02req_z.xml", &req);
    let zip = wait_for(&server.res("OQSmuquc02res_z.zip"), Duration::from_secs(30)).await;
    let entries = sim_messages::zip::read_stored(&zip).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, "OQSmuquc02res_z.xml");
    let result: BulkDownloadResult = read_document(&entries[0].1).unwrap().0;
    assert_eq!(result.header.segment_of_result, "1");
    assert_eq!(result.body.unwrap().units.len(), 1);
    assert!(!server.res("OQSmuquc02res_z.xml").exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_od2_home_visit_bulk_goes_through_both_phases() {
    let server = Bulk::start(tempfile::tempdir().unwrap(), bulk_config(0, 0.0, 50), false).await;
    // The shape OD2 writes (oqs-interface.md §2.4), Shift_JIS with CRLF.
    let upload = format!(
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n<XmlMsg>\r\n\
         <MessageHeader><MedicalInstitutionCode>{MIC}</MedicalInstitutionCode>\
         <ArbitraryFileIdentifier>20261125090000123PC1</ArbitraryFileIdentifier></MessageHeader>\r\n\
         <MessageBody><QualificationConfirmSearchInfo><ConsentDateFrom>20261101</ConsentDateFrom>\
         <ConsentDateTo>20261130</ConsentDateTo><MedicalTreatmentFlag>2</MedicalTreatmentFlag>\
         </QualificationConfirmSearchInfo></MessageBody>\r\n</XmlMsg>\r\n"
    );
    let up = server
        .upload("OQSmuhvq01req_202611250001.xml", upload.as_bytes())
        .await;
    assert_eq!(up.header.segment_of_result, "1");
    let number = up.body.unwrap().reception_number;
    let req = format!(
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n<XmlMsg><MessageHeader>\
         <MedicalInstitutionCode>{MIC}</MedicalInstitutionCode></MessageHeader><MessageBody>\
         <ReceptionNumber>{number}</ReceptionNumber></MessageBody></XmlMsg>\r\n"
    );
    let res = server
        .exchange("OQSmuhvq02req_202611250002.xml", req.as_bytes())
        .await;
    let result: BulkDownloadResult = read_document(&res).unwrap().0;
    assert_eq!(result.header.segment_of_result, "1");
    assert_eq!(
        result.header.reception_number.as_deref(),
        Some(number.as_str())
    );
    // valid-kouki consented to this facility for 訪問診療 on 2026-11-10 (fixtures).
    assert_eq!(
        result.header.number_of_processing_result.as_deref(),
        Some("1")
    );
    let units = result.body.unwrap().units;
    assert_eq!(units[0].qualification_validity.as_deref(), Some("1"));
    assert_eq!(units[0].results[0].name.as_deref(), Some("髙橋　昭"));
    assert_eq!(
        units[0].results[0].insurer_number.as_deref(),
        Some("39130018")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn both_phases_over_xml_over_http() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let server = Bulk::start(tempfile::tempdir().unwrap(), bulk_config(0, 0.0, 50), false).await;
    let call = |name: &str, body: Vec<u8>| {
        let app = sim_server::http::app(server.shared.clone());
        let req = Request::post(format!("/oqs/req/{name}"))
            .body(Body::from(body))
            .unwrap();
        async move {
            let response = app.oneshot(req).await.unwrap();
            let status = response.status();
            let name = response.headers().get("x-oqs-result-name").cloned();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, name, bytes.to_vec())
        }
    };
    let (status, name, bytes) = call(
        "OQSmuquc01req_h.xml",
        upload_bytes(vec![search(&SHAHO, "h1"), search(&NOBODY, "h2")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(name.unwrap(), "OQSmuquc01res_h.xml");
    let up: BulkUploadResult = read_document(&bytes).unwrap().0;
    let mut req = BulkDownloadRequest::default();
    req.header.medical_institution_code = Some(MIC.into());
    req.body.reception_number = Some(up.body.unwrap().reception_number);
    let req = write_document(&req, TextEncoding::Utf8, XmlStyle::default()).unwrap();
    let (status, _, bytes) = call("OQSmuquc02req_h.xml", req).await;
    assert_eq!(status, StatusCode::OK);
    let result: BulkDownloadResult = read_document(&bytes).unwrap().0;
    assert_eq!(
        result.header.number_of_processing_result.as_deref(),
        Some("2")
    );
    server.stop().await;
}
