//! The web console through the router, without a browser (see `browser` for Chromium): the
//! redirect to the console, the pages, the patient screen's form posts driving the same reader
//! session as the admin API, and bad input answered without harm.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    form: &str,
) -> (StatusCode, String, String) {
    let app = sim_server::http::app(server.shared.clone());
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn decoded(location: &str) -> String {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn root_redirects_to_the_console_and_the_pages_render() {
    let server = TestServer::start(test_config()).await;
    let (status, location, _) = call(&server, "GET", "/", "").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/console/")
    );
    let (status, _, home) = call(&server, "GET", "/console/", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains(r#"href="/console/reader""#), "{home}");
    let (status, _, page) = call(&server, "GET", "/console/reader", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("マイナンバーカードを置いてください"),
        "{page}"
    );
    assert!(page.contains(r#"aria-current="page""#), "{page}");
    assert!(
        page.contains(r#"value="valid-kokuho""#),
        "the fixture persons are offered"
    );
    let (status, _, css) = call(&server, "GET", "/console/static/console.css", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains(".device-screen"));
    let (status, _, js) = call(&server, "GET", "/console/static/console.js", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.contains("data-poll") || js.contains("dataset.poll"));
}

#[tokio::test]
async fn form_posts_drive_the_reader_session_to_a_face_file() {
    let server = TestServer::start(test_config()).await;
    let steps = [
        ("insert", "person=valid-kokuho&kind=mynumber", "choose-mode"),
        ("mode", "mode=pin", "enter-pin"),
        ("pin", "pin=1234", "consent"),
    ];
    for (action, form, screen) in steps {
        let (status, location, _) =
            call(&server, "POST", &format!("/console/reader/{action}"), form).await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, "/console/reader"),
            "{action}"
        );
        assert_eq!(server.shared.reader.status().screen, screen, "{action}");
    }
    // The answers so far travel in the page's address; the page shows the next question.
    let (_, location, _) = call(&server, "POST", "/console/reader/consent", "answers=10").await;
    assert_eq!(location, "/console/reader?answers=10");
    let (_, _, page) = call(&server, "GET", &location, "").await;
    assert!(page.contains(r#"data-consent="diagnosis""#), "{page}");
    assert!(page.contains("診療情報"), "{page}");
    let (_, location, _) = call(&server, "POST", "/console/reader/consent", "answers=100001").await;
    let file = decoded(&location);
    assert!(file.starts_with("file=OQSsiquc01res_face_"), "{location}");
    let name = file.trim_start_matches("file=");
    let xml = text(
        &std::fs::read(server.folders.face.join(name)).unwrap(),
        sim_messages::TextEncoding::ShiftJis,
    );
    assert_eq!(
        element(&xml, "PharmacistsInfoConsFlg").as_deref(),
        Some("1")
    );
    assert_eq!(element(&xml, "DiagnosisInfoConsFlg").as_deref(), Some("0"));
    assert_eq!(
        element(&xml, "SpecificDiseasesCertificateRelatedConsFlg").as_deref(),
        Some("1")
    );
    // The trainer's view of the file.
    let (status, _, page) = call(&server, "GET", &format!("/console/reader/face/{name}"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("PharmacistsInfoConsFlg"), "{page}");
    // The admin API sees the same session.
    let (_, _, page) = call(&server, "GET", "/console/reader", "").await;
    assert!(page.contains("受付が完了しました"), "{page}");
    let (_, location, _) = call(&server, "POST", "/console/reader/remove", "").await;
    assert_eq!(location, "/console/reader");
    assert_eq!(server.shared.reader.status().screen, "idle");
}

#[tokio::test]
async fn bad_input_is_answered_with_a_message_and_changes_nothing() {
    let server = TestServer::start(test_config()).await;
    // A step that does not fit the screen, an unknown person, bad values.
    let cases = [
        ("mode", "mode=pin", "no card"),
        ("insert", "person=nobody", "nobody"),
        ("insert", "person=valid-kokuho&kind=floppy", "floppy"),
        ("consent", "answers=12", "invalid consent answers"),
        ("face", "matched=perhaps", "matched"),
    ];
    for (action, form, expect) in cases {
        let (status, location, _) =
            call(&server, "POST", &format!("/console/reader/{action}"), form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{action}");
        let q = decoded(&location);
        assert!(
            q.starts_with("error=") && q.contains(expect),
            "{action}: {q}"
        );
        assert_eq!(server.shared.reader.status().screen, "idle", "{action}");
    }
    // The error is shown on the page, escaped.
    let (_, _, page) = call(&server, "GET", "/console/reader?error=%3Cb%3Ex", "").await;
    assert!(page.contains("&lt;b&gt;x"), "{page}");
    let (status, _, _) = call(&server, "POST", "/console/reader/explode", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Face files only, by name: no way out of face/.
    for name in [
        "..%2F..%2Fetc%2Fpasswd",
        "OQSsiquc01res_face_..xml",
        "x.xml",
    ] {
        let (status, _, _) =
            call(&server, "GET", &format!("/console/reader/face/{name}"), "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
    }
    let (status, _, _) = call(
        &server,
        "GET",
        "/console/reader/face/OQSsiquc01res_face_1_2.xml",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_card_with_a_damaged_face_photo_falls_back_to_pin_on_the_patient_screen() {
    let server = TestServer::start(test_config()).await;
    let (status, _, page) = call(&server, "GET", "/console/reader", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"value="mynumber-face-corrupt""#), "{page}");
    assert!(page.contains(r#"value="mynumber-face-absent""#), "{page}");
    for kind in ["mynumber-face-corrupt", "mynumber-face-absent"] {
        let form = format!("person=valid-kokuho&kind={kind}");
        call(&server, "POST", "/console/reader/insert", &form).await;
        assert_eq!(
            server.shared.reader.status().screen,
            "choose-mode",
            "{kind}"
        );
        call(&server, "POST", "/console/reader/mode", "mode=face").await;
        let s = server.shared.reader.status();
        assert_eq!(
            (s.screen, s.message_code),
            ("failed", Some("MOCK-R111")),
            "{kind}"
        );
        let (_, _, page) = call(&server, "GET", "/console/reader", "").await;
        assert!(page.contains("MOCK-R111"), "{page}");
        assert!(page.contains("顔写真を読み取れない"), "{page}");
        // The fallback buttons are offered on the failed screen.
        assert!(page.contains(r#"value="pin""#), "{page}");
        assert!(page.contains(r#"value="visual""#), "{page}");
        call(&server, "POST", "/console/reader/remove", "").await;
    }
    // PIN still works on the same damaged card and writes the result.
    let steps = [
        (
            "insert",
            "person=valid-kokuho&kind=mynumber-face-corrupt",
            "choose-mode",
        ),
        ("mode", "mode=face", "failed"),
        ("mode", "mode=pin", "enter-pin"),
        ("pin", "pin=1234", "consent"),
    ];
    for (action, form, screen) in steps {
        call(&server, "POST", &format!("/console/reader/{action}"), form).await;
        assert_eq!(
            server.shared.reader.status().screen,
            screen,
            "{action} {form}"
        );
    }
    let (_, location, _) = call(&server, "POST", "/console/reader/consent", "answers=000000").await;
    assert!(
        decoded(&location).starts_with("file=OQSsiquc01res_face_"),
        "{location}"
    );
}
