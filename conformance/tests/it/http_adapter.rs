//! The HTTP adapter against a mock SUT endpoint (wiremock).

use std::time::Duration;

use conformance::adapter::{AdapterError, HttpSession, Session};
use conformance::proto::{Hello, PROTOCOL, Request};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn hello() -> Request {
    Request::Hello(Hello {
        protocol: PROTOCOL,
        case: "QC-1.01".into(),
        oqs_dir: "/tmp/oqs".into(),
        webapi_url: "http://127.0.0.1:1".into(),
        medical_institution_code: "1311234567".into(),
        today: "20261125".into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_the_envelope_and_reads_the_reply() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sut"))
        .and(body_partial_json(
            serde_json::json!({"id": 1, "action": "hello", "case": "QC-1.01"}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"id": 1, "ok": true, "sut": "mock", "protocol": 1}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sut"))
        .and(body_partial_json(serde_json::json!({"id": 2, "action": "report", "patient": "P1"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 2, "ok": true, "recorded": {"outcome": "valid", "validity": "1"}})))
        .expect(1)
        .mount(&server)
        .await;
    let url = format!("{}/sut", server.uri());
    let replies = tokio::task::spawn_blocking(move || {
        let mut s = HttpSession::new(&url).expect("session");
        let a = s.call(hello(), Duration::from_secs(5));
        let b = s.call(
            Request::Report(conformance::proto::ReportQuery {
                patient: "P1".into(),
            }),
            Duration::from_secs(5),
        );
        (a, b)
    })
    .await
    .expect("blocking");
    let hello_reply = replies.0.expect("hello reply");
    assert_eq!(hello_reply.sut.as_deref(), Some("mock"));
    let report = replies.1.expect("report reply");
    assert_eq!(
        report.recorded.map(|r| r.outcome),
        Some(conformance::proto::Outcome::Valid)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_replies_are_the_suts_fault_and_no_endpoint_is_the_harnesss() {
    let server = MockServer::start().await;
    Mock::given(path("/500"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    Mock::given(path("/notjson"))
        .respond_with(ResponseTemplate::new(200).set_body_string("hello"))
        .mount(&server)
        .await;
    Mock::given(path("/wrongid"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 7, "ok": true})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(serde_json::json!({"id": 1, "ok": true})),
        )
        .mount(&server)
        .await;
    let base = server.uri();
    let results = tokio::task::spawn_blocking(move || {
        ["/500", "/notjson", "/wrongid", "/slow"]
            .iter()
            .map(|p| {
                HttpSession::new(&format!("{base}{p}"))
                    .expect("session")
                    .call(hello(), Duration::from_millis(500))
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("blocking");
    for r in &results {
        assert!(matches!(r, Err(AdapterError::Sut(_))), "{r:?}");
    }
    let unreachable = tokio::task::spawn_blocking(|| {
        HttpSession::new("http://127.0.0.1:9/sut")
            .expect("session")
            .call(hello(), Duration::from_secs(2))
    })
    .await
    .expect("blocking");
    assert!(
        matches!(unreachable, Err(AdapterError::Harness(_))),
        "{unreachable:?}"
    );
}

/// A case run through the HTTP adapter against a SUT that answers but does nothing fails with
/// the missing request, not with an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_over_http_judges_the_sut() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(move |req: &wiremock::Request| {
            let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id": v["id"], "ok": true, "protocol": 1}))
        })
        .mount(&server)
        .await;
    let url = server.uri();
    let result = tokio::task::spawn_blocking(move || {
        let cfg = conformance::runner::RunConfig::new(conformance::adapter::AdapterKind::Http(url));
        let named = sim_fixtures::NamedFixtures::embedded().expect("fixtures");
        conformance::runner::run_case(
            &cfg,
            conformance::cases::case("QC-1.01").expect("case"),
            &named,
        )
    })
    .await
    .expect("blocking");
    assert_eq!(
        result.status,
        conformance::runner::Status::Failed,
        "{result:?}"
    );
    assert!(
        result
            .failures()
            .any(|c| c.rule == "FILE-NAME" && c.message.contains("no OQSsiquc01req_")),
        "{result:?}"
    );
}
