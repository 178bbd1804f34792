//! Disaster mode (災害時医療情報閲覧): the operator API with its token, search and view without the
//! card inside and outside the window, per-facility extensions, the audit log and its CSV, the
//! activations surviving a restart, and the console screens.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sim_server::clock::VirtualClock;
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;
use tower::ServiceExt;

use crate::support::*;

/// 模擬四谷せせらぎ内科, 新宿区 (131041).
const SHINJUKU_CLINIC: &str = "1310400013";
/// 模擬新宿中央病院, 新宿区.
const SHINJUKU_HOSPITAL: &str = "1310400021";
/// 模擬梅田ひまわり内科, 大阪市北区 (271276).
const UMEDA_CLINIC: &str = "2712700018";
const TOKEN: &str = "test-operator-token";

fn shared_in(dir: &std::path::Path) -> Arc<Shared> {
    let mut opts = ServeOptions::new(test_config(), dir.join("oqs"), dir.join("state"));
    opts.clock = Arc::new(VirtualClock::new(now(), false));
    opts.admin_token = Some(TOKEN.into());
    build_shared(&opts).unwrap()
}

async fn call(shared: &Arc<Shared>, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = sim_server::http::app(shared.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

async fn json_call(shared: &Arc<Shared>, req: Request<Body>) -> (StatusCode, Value) {
    let (status, body) = call(shared, req).await;
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, v)
}

fn admin_post(path: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn admin_get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap()
}

fn search(facility: &str, query: Value) -> Request<Body> {
    Request::post("/disaster/search")
        .body(Body::from(
            json!({"facility": facility, "operator": "看護師A", "query": query}).to_string(),
        ))
        .unwrap()
}

fn kouki_by_kana() -> Value {
    json!({"name": "ﾀｶﾊｼ ｱｷﾗ", "birthdate": "1945-03-10", "sex": "male", "address": "新宿区"})
}

fn view(facility: &str, kind: &str) -> Request<Body> {
    Request::get(format!(
        "/disaster/view/valid-kouki?facility={facility}&operator=A&kind={kind}&consent=waived"
    ))
    .body(Body::empty())
    .unwrap()
}

fn advance(shared: &Shared, by: Duration) {
    shared.clock.control().unwrap().advance(by);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_acceptance_story_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let shared = shared_in(dir.path());

    // Nothing open yet: refused, and recorded.
    let (status, v) = json_call(&shared, search(SHINJUKU_CLINIC, kouki_by_kana())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["reason"], "not-covered");

    // The operator needs the token.
    let open = json!({"areas": ["新宿区"], "days": 7, "title": "模擬豪雨"});
    let req = Request::post("/admin/disaster/open")
        .body(Body::from(open.to_string()))
        .unwrap();
    assert_eq!(call(&shared, req).await.0, StatusCode::UNAUTHORIZED);
    let req = Request::post("/admin/disaster/open")
        .header("authorization", "Bearer wrong")
        .body(Body::from(open.to_string()))
        .unwrap();
    assert_eq!(call(&shared, req).await.0, StatusCode::UNAUTHORIZED);
    let (status, a) = json_call(&shared, admin_post("/admin/disaster/open", open)).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["id"], 1);
    assert_eq!(a["phase"], "open");
    assert_eq!(a["municipalities"][0]["code"], "131041");

    // Inside the window, a facility there finds the patient without the card…
    let (status, v) = json_call(&shared, search(SHINJUKU_CLINIC, kouki_by_kana())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let hit = &v["hits"][0];
    assert_eq!(hit["person"], "valid-kouki");
    assert_eq!(hit["name"], "髙橋　昭");
    assert_eq!(hit["qualification"]["insurer"], "39130018");
    assert_eq!(hit["qualification"]["number"], "00012345");
    assert_eq!(hit["qualification"]["branch"], "00");
    // …also by insurance keys.
    let by_keys = json!({"insurer": "39130018", "number": "12345", "birthdate": "19450310"});
    let (status, v) = json_call(&shared, search(SHINJUKU_CLINIC, by_keys)).await;
    assert_eq!(
        (status, v["hits"][0]["person"].clone()),
        (StatusCode::OK, json!("valid-kouki"))
    );
    // …and views.
    let (status, body) = call(&shared, view(SHINJUKU_CLINIC, "qualification")).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("髙橋　昭") && html.contains("39130018"),
        "{html}"
    );
    let (status, body) = call(&shared, view(SHINJUKU_CLINIC, "drug")).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("調剤日") && html.contains("模擬"),
        "the synthetic drug history: {html}"
    );
    let (status, pdf) = call(
        &shared,
        Request::get(format!(
            "/disaster/view/valid-kouki?facility={SHINJUKU_CLINIC}&operator=A&kind=drug&format=pdf&consent=oral"
        ))
        .body(Body::empty())
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    // 資格情報 has no PDF form.
    let (status, _) = call(
        &shared,
        Request::get(format!(
            "/disaster/view/valid-kouki?facility={SHINJUKU_CLINIC}&kind=qualification&format=pdf&consent=oral"
        ))
        .body(Body::empty())
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A view needs a ground.
    let req = Request::get(format!(
        "/disaster/view/valid-kouki?facility={SHINJUKU_CLINIC}&kind=drug&consent="
    ))
    .body(Body::empty())
    .unwrap();
    assert_eq!(call(&shared, req).await.0, StatusCode::BAD_REQUEST);

    // A facility elsewhere is refused.
    let (status, v) = json_call(&shared, search(UMEDA_CLINIC, kouki_by_kana())).await;
    assert_eq!(
        (status, v["reason"].clone()),
        (StatusCode::FORBIDDEN, json!("not-covered"))
    );
    assert_eq!(
        call(&shared, view(UMEDA_CLINIC, "qualification")).await.0,
        StatusCode::FORBIDDEN
    );

    // After the window: refused.
    advance(&shared, Duration::days(8));
    let (status, v) = json_call(&shared, search(SHINJUKU_CLINIC, kouki_by_kana())).await;
    assert_eq!(
        (status, v["reason"].clone()),
        (StatusCode::FORBIDDEN, json!("ended"))
    );

    // An extension works for that facility only.
    let until = (now() + Duration::days(14))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let (status, a) = json_call(
        &shared,
        admin_post(
            "/admin/disaster/extend",
            json!({"activation": 1, "facility": SHINJUKU_CLINIC, "until": until}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["extensions"][0]["facility"], SHINJUKU_CLINIC);
    assert_eq!(
        json_call(&shared, search(SHINJUKU_CLINIC, kouki_by_kana()))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&shared, view(SHINJUKU_CLINIC, "checkup")).await.0,
        StatusCode::OK
    );
    let (status, v) = json_call(&shared, search(SHINJUKU_HOSPITAL, kouki_by_kana())).await;
    assert_eq!(
        (status, v["reason"].clone()),
        (StatusCode::FORBIDDEN, json!("ended"))
    );
    // Extending a facility elsewhere is refused.
    let (status, _) = json_call(
        &shared,
        admin_post(
            "/admin/disaster/extend",
            json!({"activation": 1, "facility": UMEDA_CLINIC, "until": until}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Closing ends the extension too.
    let (status, _) = json_call(
        &shared,
        admin_post("/admin/disaster/close", json!({"activation": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = json_call(&shared, search(SHINJUKU_CLINIC, kouki_by_kana())).await;
    assert_eq!(
        (status, v["reason"].clone()),
        (StatusCode::FORBIDDEN, json!("closed"))
    );

    // Every search and view is in the audit log, refused ones too.
    let (status, rows) = json_call(&shared, admin_get("/admin/disaster/audit")).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "refused", "search", "search", "view", "view", "view", "refused", "refused", "refused",
            "search", "view", "refused", "refused"
        ]
    );
    let first_search = &rows[1];
    assert_eq!(first_search["facility"], SHINJUKU_CLINIC);
    assert_eq!(first_search["facility_name"], "模擬四谷せせらぎ内科");
    assert_eq!(first_search["operator"], "看護師A");
    assert_eq!(first_search["persons"], "valid-kouki");
    assert!(first_search["query"].as_str().unwrap().contains("ﾀｶﾊｼ ｱｷﾗ"));
    assert_eq!(rows[3]["consent"], "waived");
    assert_eq!(rows[3]["at"], "2026-11-25T09:30:15");
    // The CSV: header + one line per row, with a BOM; needs the token.
    assert_eq!(
        call(
            &shared,
            Request::get("/admin/disaster/audit.csv")
                .body(Body::empty())
                .unwrap()
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, csv) = call(&shared, admin_get("/admin/disaster/audit.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.matches("\r\n").count(), 1 + actions.len());
    assert!(
        csv.contains("view,1310400013,模擬四谷せせらぎ内科,A,1,waived,checkup (html),valid-kouki"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn activations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let shared = shared_in(dir.path());
        let a = shared
            .disaster
            .open_mode(
                "再起動",
                &["大阪市".into()],
                now(),
                now() + Duration::days(3),
                now(),
            )
            .unwrap();
        assert_eq!(a.municipalities.len(), 24);
        shared
            .disaster
            .extend(1, UMEDA_CLINIC, now() + Duration::days(5), now())
            .unwrap();
        let second = shared
            .disaster
            .open_mode(
                "",
                &["131041".into()],
                now(),
                now() + Duration::days(1),
                now(),
            )
            .unwrap();
        shared.disaster.close(second.id, now()).unwrap();
    }
    let shared = shared_in(dir.path());
    let list = shared.disaster.activations();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].title, "再起動");
    assert_eq!(list[0].extensions[0].facility, UMEDA_CLINIC);
    assert!(list[1].closed_at.is_some());
    let later = now() + Duration::days(4);
    assert!(shared.disaster.authorize(UMEDA_CLINIC, later).is_ok());
    assert!(shared.disaster.authorize("2712700026", later).is_err());
    assert!(shared.disaster.authorize(SHINJUKU_CLINIC, now()).is_err());
    // Ids continue after a restart.
    let third = shared
        .disaster
        .open_mode("", &["13".into()], now(), now() + Duration::days(1), now())
        .unwrap();
    assert_eq!(third.id, 3);
}

#[test]
fn areas_resolve_prefectures_municipalities_and_cities() {
    use sim_server::disaster::areas::{label, prefectures, resolve};
    assert_eq!(resolve("131041").unwrap(), ["131041"]);
    assert_eq!(resolve("新宿区").unwrap(), ["131041"]);
    assert_eq!(resolve("東京都新宿区").unwrap(), ["131041"]);
    let osaka = resolve("大阪市").unwrap();
    assert!(
        osaka.contains(&"271276".to_owned()) && osaka.len() == 24,
        "{osaka:?}"
    );
    assert_eq!(resolve("271004").unwrap(), osaka);
    let tokyo = resolve("13").unwrap();
    assert_eq!(resolve("東京都").unwrap(), tokyo);
    assert!(tokyo.len() > 50);
    assert!(resolve("１３").is_ok());
    assert!(resolve("999999").is_err());
    assert!(resolve("どこか").unwrap_err().contains("どこか"));
    assert_eq!(prefectures().len(), 47);
    assert_eq!(label("131041"), "東京都新宿区");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_operator_requests_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let shared = shared_in(dir.path());
    for (body, status, needle) in [
        (
            json!({"areas": ["どこか"], "days": 1}),
            StatusCode::BAD_REQUEST,
            "どこか",
        ),
        (json!({"areas": ["13"]}), StatusCode::BAD_REQUEST, "days"),
        (
            json!({"areas": [], "days": 1}),
            StatusCode::CONFLICT,
            "municipality",
        ),
        (
            json!({"areas": ["13"], "end": "2020-01-01T00:00"}),
            StatusCode::CONFLICT,
            "after the start",
        ),
        (
            json!({"areas": ["13"], "end": "tomorrow"}),
            StatusCode::BAD_REQUEST,
            "tomorrow",
        ),
        (
            json!({"areas": ["13"], "days": 1, "colour": 1}),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
    ] {
        let (s, v) = json_call(&shared, admin_post("/admin/disaster/open", body)).await;
        assert_eq!(s, status, "{v}");
        assert!(v.to_string().contains(needle), "{v}");
    }
    let (s, _) = json_call(
        &shared,
        admin_post("/admin/disaster/close", json!({"activation": 9})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, v) = json_call(&shared, search("9999999999", kouki_by_kana())).await;
    assert_eq!(
        (s, v["reason"].clone()),
        (StatusCode::FORBIDDEN, json!("unknown-facility"))
    );
    let (s, _) = json_call(
        &shared,
        search(SHINJUKU_CLINIC, json!({"birthdate": "1945-03-10"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, facilities) = json_call(
        &shared,
        Request::get("/admin/disaster/facilities?area=新宿区&kind=pharmacy")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let list = facilities.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|f| f["kind"] == "pharmacy" && f["lg_code"] == "131041")
    );
    assert!(list.iter().all(|f| f["may_use"] == false));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_screens_drive_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let shared = shared_in(dir.path());
    let cookie = format!("{}={TOKEN}", sim_server::admin_token::COOKIE);
    // Without the token: the login form.
    let (status, body) = call(
        &shared,
        Request::get("/console/disaster")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8(body).unwrap().contains("運用者ログイン"));
    // The login link sets the cookie.
    let response = sim_server::http::app(shared.clone())
        .oneshot(
            Request::get(format!("/console/login?token={TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with(&cookie)
    );
    // Open through the panel's form.
    let form = "prefecture=13&title=%E6%A8%A1%E6%93%AC&area=131041&area=131016&start=2026-11-25T09:00&end=2026-12-02T09:00";
    let req = Request::post("/console/disaster/open")
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, _) = call(&shared, req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let a = &shared.disaster.activations()[0];
    assert_eq!(a.municipalities, ["131016", "131041"]);
    let (status, body) = call(
        &shared,
        Request::get("/console/disaster")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("実施中") && html.contains("東京都千代田区"),
        "{html}"
    );
    // The facility terminal searches without the card.
    let form = format!(
        "facility={SHINJUKU_CLINIC}&operator=A&name=%E9%AB%98%E6%A9%8B%E6%98%AD&birthdate=1945-03-10&sex=&address="
    );
    let req = Request::post("/console/disaster/search")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, body) = call(&shared, req).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("data-person=\"valid-kouki\"") && html.contains("39130018"),
        "{html}"
    );
    // The viewer.
    let (status, body) = call(
        &shared,
        Request::get(format!(
            "/console/disaster/view/valid-kouki?facility={SHINJUKU_CLINIC}&operator=A&consent=oral&kind=qualification"
        ))
        .body(Body::empty())
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("東京都後期高齢者医療広域連合")
    );
    assert_eq!(shared.disaster.audit().unwrap().len(), 2);
    // The clock control jumps time.
    let req = Request::post("/console/clock")
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("advance=7d"))
        .unwrap();
    assert_eq!(call(&shared, req).await.0, StatusCode::SEE_OTHER);
    assert_eq!(shared.clock.now(), now() + Duration::days(7));
}

#[test]
fn disaster_steps_are_validated_with_positions() {
    let known = sim_scenario::Known::fixtures().unwrap();
    let text = "title: t\nclock: { start: 2026-12-01T09:00:00 }\nsteps:\n  - disaster-open: { areas: [新宿区] }\n  - disaster-search: { facility: \"1\", name: x, birthdate: 1945-03-10, refused: over }\n  - disaster-view: { facility: \"1\", person: p, kind: drugs }\n  - disaster-search: { facility: \"1\", name: x }\n  - expect-disaster-audit: { search: many }\n";
    let diagnostics = sim_scenario::parse("bad.yaml", text, &known).unwrap_err();
    let lines: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    let all = lines.join("\n");
    assert!(
        all.contains("bad.yaml:4:") && all.contains("`for` is missing"),
        "{all}"
    );
    assert!(
        all.contains("bad.yaml:5:") && all.contains("unknown refusal `over`"),
        "{all}"
    );
    assert!(
        all.contains("bad.yaml:6:") && all.contains("`kind` is one of"),
        "{all}"
    );
    assert!(
        all.contains("bad.yaml:7:") && all.contains("`birthdate` is missing"),
        "{all}"
    );
    assert!(
        all.contains("bad.yaml:8:") && all.contains("is a count"),
        "{all}"
    );
}

/// The console's scenario remote replays `disaster-mode` step by step on the served simulator:
/// the operator panel and the audit log show what it did.
#[tokio::test(flavor = "multi_thread")]
async fn the_scenario_remote_replays_disaster_mode_on_the_served_world() {
    let dir = tempfile::tempdir().unwrap();
    let shared = shared_in(dir.path());
    let cookie = format!("{}={TOKEN}", sim_server::admin_token::COOKIE);
    let form = |path: &str, body: String| {
        Request::post(path)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/disaster-mode.yaml"
    );
    let body = format!("file=&path={}&attach=1", script.replace('/', "%2F"));
    assert_eq!(
        call(&shared, form("/console/scenario/load", body)).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, page) = call(
        &shared,
        Request::get("/console/scenario")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("災害時モード（カードなしの検索と閲覧）"),
        "{page}"
    );
    let session = shared.scenarios.list()[0].session.clone();
    for _ in 0..3 {
        let (status, _) = call(
            &shared,
            form("/console/scenario/step", format!("session={session}")),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    // Step 2 opened disaster mode on this simulator; step 3 searched as the clinic.
    assert_eq!(shared.disaster.activations().len(), 1);
    let audit = shared.disaster.audit().unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(
        (audit[0].action.as_str(), audit[1].action.as_str()),
        ("refused", "search")
    );
    let view = shared.scenarios.view(Some(&session)).unwrap();
    assert_eq!((view.cursor, view.failed), (3, 0));
    assert_eq!(view.steps[1].kind, "disaster-open");
    // Without the token the remote is closed.
    let req = Request::post("/console/scenario/step")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("session={session}")))
        .unwrap();
    assert_eq!(call(&shared, req).await.0, StatusCode::UNAUTHORIZED);
}

/// `simulator disaster …` against a running `simulator serve` (operator token from the
/// environment, facility commands without it).
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_drives_a_running_simulator() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let sim = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_simulator"));
        c.env("SIMULATOR_URL", &url)
            .env_remove("SIMULATOR_ADMIN_TOKEN");
        c
    };
    let mut child = sim()
        .args([
            "serve",
            "--delay-ms",
            "0",
            "--size",
            "10",
            "--clock",
            "2026-12-01T09:00:00",
        ])
        .args([
            "--freeze-clock",
            "--admin-token",
            TOKEN,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--oqs-dir")
        .arg(dir.path().join("oqs"))
        .arg("--state")
        .arg(dir.path().join("state"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let run = |args: &[&str], token: bool| {
        let mut c = sim();
        c.arg("disaster").args(args);
        if token {
            c.env("SIMULATOR_ADMIN_TOKEN", TOKEN);
        }
        c.output().unwrap()
    };
    let mut up = false;
    for _ in 0..200 {
        if run(&["status"], false).status.success() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the simulator did not come up");
    let out = run(&["open", "--area", "新宿区", "--days", "7"], false);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("operator token"));
    let out = run(
        &[
            "open",
            "--area",
            "新宿区",
            "--days",
            "7",
            "--title",
            "模擬豪雨",
        ],
        true,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("#1 模擬豪雨 [実施中]"));
    let out = run(
        &[
            "search",
            "--facility",
            SHINJUKU_CLINIC,
            "--operator",
            "A",
            "--name",
            "ﾀｶﾊｼ ｱｷﾗ",
            "--birthdate",
            "1945-03-10",
        ],
        false,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("valid-kouki") && text.contains("39130018"),
        "{text}"
    );
    let pdf = dir.path().join("drug.pdf");
    let out = run(
        &[
            "view",
            "valid-kouki",
            "--facility",
            SHINJUKU_CLINIC,
            "--kind",
            "drug",
            "--format",
            "pdf",
            "--consent",
            "waived",
            "--out",
            pdf.to_str().unwrap(),
        ],
        false,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let out = run(
        &[
            "search",
            "--facility",
            UMEDA_CLINIC,
            "--name",
            "高橋昭",
            "--birthdate",
            "1945-03-10",
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("実施されていません"));
    let out = run(
        &[
            "extend",
            "1",
            "--facility",
            SHINJUKU_CLINIC,
            "--until",
            "2026-12-20T09:00",
        ],
        true,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("extended: 1310400013"));
    let out = run(&["audit", "--csv"], true);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("番号(id),"), "no BOM on the CLI: {csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains(",view,1310400013,") && csv.contains(",refused,2712700018,"));
    child.kill().unwrap();
    child.wait().unwrap();
}
