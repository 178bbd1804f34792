//! HTTP: XML over HTTP (the bytes of a request file in, the result file's bytes out), the Web API
//! (login, JSON search), and the admin journal.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sim_messages::TextEncoding;
use sim_server::shared::Shared;
use tower::ServiceExt;

use crate::support::*;

async fn call(
    shared: &Arc<Shared>,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = sim_server::http::app(shared.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri).body(body.into()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn xml_over_http_returns_the_result_file_bytes() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let (status, headers, body) = call(
        &shared,
        post(
            "/oqs/req/OQSsiquc01req_abc.xml",
            sjis_request(&KOKUHO, "h1"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-oqs-result-name"], "OQSsiquc01res_abc.xml");
    assert_eq!(
        headers["content-type"],
        "application/xml; charset=Shift_JIS"
    );
    // Byte for byte what the file interface writes for the same request.
    server.drop_request("OQSsiquc01req_abc.xml", &sjis_request(&KOKUHO, "h1"));
    let file = wait_for(
        &server.res("OQSsiquc01res_abc.xml"),
        std::time::Duration::from_secs(10),
    )
    .await;
    assert_eq!(body, file);

    let (status, headers, body) = call(&shared, post("/oqs/xml", "not xml")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["x-oqs-err-name"], "OQSsiquc01req_http.err");
    assert!(text(&body, TextEncoding::ShiftJis).starts_with("MOCK-F0003"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_api_login_and_search() {
    let server = TestServer::start(test_config()).await;
    let shared = server.shared.clone();
    let search_path = sim_server::http::SEARCH_PATH;

    let (status, _, body) = call(
        &shared,
        post(sim_server::http::AUTH_PATH, "{\"id\":\"mock\"}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let login: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(login["status"], "1");
    assert_eq!(login["result"]["linkSysCharCd"], "1");
    let token = login["result"]["idToken"].as_str().unwrap().to_owned();
    for field in ["accessToken", "refreshToken"] {
        assert!(
            login["result"][field]
                .as_str()
                .is_some_and(|t| t.len() >= 32)
        );
    }

    let search =
        serde_json::json!({"XmlMsg": serde_json::to_value(request(&SHAHO, "w1")).unwrap()});
    let with_token = |body: String| {
        Request::post(search_path)
            .header("Authorization", token.as_str())
            .body(Body::from(body))
            .unwrap()
    };
    let (status, headers, body) = call(&shared, with_token(search.to_string())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json;charset=UTF-8");
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    insta::assert_json_snapshot!("webapi_search_valid", answer);
    let results = answer["XmlMsg"]["MessageBody"]["ResultList"]
        .as_array()
        .unwrap();
    assert_eq!(
        results[0]["ResultOfQualificationConfirmation"]["Name"],
        "佐藤　健一"
    );

    // No token, a wrong token, a malformed body, a missing element.
    let (status, _, body) = call(&shared, post(search_path, search.to_string())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8(body).unwrap().contains("MOCK-W0001"));
    let bad = Request::post(search_path)
        .header("Authorization", "nope")
        .body(Body::from(search.to_string()))
        .unwrap();
    assert_eq!(call(&shared, bad).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call(&shared, with_token("{".into())).await.0,
        StatusCode::BAD_REQUEST
    );
    let mut missing = search.clone();
    missing["XmlMsg"]["MessageBody"]["QualificationConfirmSearchInfo"]
        .as_object_mut()
        .unwrap()
        .remove("Birthdate");
    let (status, _, body) = call(&shared, with_token(missing.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body).unwrap().contains("Birthdate"));

    // Both exchanges are in the journal, visible through the admin API.
    shared.journal.flush();
    let (status, _, body) = call(
        &shared,
        Request::get("/admin/journal?limit=5")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["channel"] == "webapi" && e["qualification_validity"] == "1")
    );
    // The writer thread hashes requests that the request path did not.
    assert!(
        entries
            .iter()
            .all(|e| e["request_sha256"].as_str().is_some_and(|h| h.len() == 64)),
        "{entries:?}"
    );
    let id = entries[0]["id"].as_i64().unwrap();
    let (status, _, body) = call(
        &shared,
        Request::get(format!("/admin/journal/{id}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entry: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        entry["request_text"]
            .as_str()
            .unwrap()
            .contains("QualificationConfirmSearchInfo")
    );
    server.stop().await;
}

#[test]
fn request_hashes_are_lowercase_hex_sha256() {
    assert_eq!(
        sim_server::shared::sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
