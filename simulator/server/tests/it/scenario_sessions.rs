//! Scenario sessions through every interface of a served simulator: each session's own shared
//! folder (watched), the served `req/` and the Web API route by 医療機関コード (or the
//! `X-Simulator-Session` header) to the session's world; sessions survive a restart of the
//! server (state dir) at their cursor with the same bytes, and a script broken in between is
//! shown, never fatal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sim_messages::TextEncoding;
use sim_messages::xml::{XmlStyle, write_document};
use sim_server::shared::Shared;
use tokio::sync::oneshot;
use tower::ServiceExt;

use crate::support::*;

/// A served simulator as `serve` builds it: sessions stored in the state dir and their folders
/// watched, the served folder watched, the HTTP router in-process.
struct Served {
    shared: Arc<Shared>,
    oqs: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Served {
    async fn start(dir: &Path) -> Served {
        let mut opts =
            sim_server::serve::ServeOptions::new(test_config(), dir.join("oqs"), dir.join("state"));
        opts.clock = Arc::new(sim_server::clock::VirtualClock::new(now(), false));
        let shared = sim_server::serve::build_shared(&opts).unwrap();
        let config = sim_server::serve::dropbox_config(&opts);
        sim_server::serve::start_sessions(&opts, &shared, &config)
            .await
            .unwrap();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(sim_server::dropbox::run(config, shared.clone(), async {
            let _ = stop_rx.await;
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        Served {
            shared,
            oqs: dir.join("oqs"),
            stop: Some(stop_tx),
            task: Some(task),
        }
    }

    /// Stops as `serve` does at shutdown.
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
        self.shared.scenarios.clear();
        self.shared.journal.flush();
        // The sessions' watchers notice their sessions are gone.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, String) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = sim_server::http::app(self.shared.clone())
            .oneshot(req.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn json(&self, method: &str, uri: &str, body: &str) -> Value {
        let (status, text) = self.call(method, uri, &[], body).await;
        assert_eq!(status, StatusCode::OK, "{method} {uri}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// The same person on two worlds a day apart: 国保 until 2026-11-30, 後期高齢 from 2026-12-01.
fn script(code: &str, start: &str) -> String {
    format!(
        "title: session {code}
medical-institution-code: \"{code}\"
clock: {{ start: {start}, mode: frozen }}
steps:
  - drop: kouki-75th-birthday
  - expect-result: {{ QualificationValidity: \"1\" }}
  - advance: 1d
  - drop: kouki-75th-birthday
  - expect-result: {{ InsurerNumber: \"39130018\" }}
"
    )
}

const EAST: &str = "1310000011";
const WEST: &str = "1310000022";

/// The 後期高齢 card of kouki-75th-birthday, checked for 2026-12-01 by clinic `code`.
fn kouki_request(code: &str) -> sim_messages::siquc01::QualificationConfirmRequest {
    let keys = Keys {
        insurer: "39130018",
        symbol: None,
        number: "00054321",
        branch: Some("00"),
        birthdate: "19511201",
    };
    let mut r = request(&keys, "sessions");
    r.header.qualification_confirmation_date = Some("20261201".into());
    r.header.medical_institution_code = Some(code.into());
    r
}

fn kouki_file(code: &str) -> Vec<u8> {
    write_document(
        &kouki_request(code),
        TextEncoding::Utf8,
        XmlStyle {
            indent: 0,
            crlf: false,
        },
    )
    .unwrap()
}

async fn answer_in(root: &Path, name: &str, bytes: &[u8]) -> String {
    write_atomic(&root.join("req"), name, bytes);
    let result = name.replace("req_", "res_");
    let out = wait_for(&root.join("res").join(result), Duration::from_secs(10)).await;
    text(&out, TextEncoding::Utf8)
}

fn el(text: &str, tag: &str) -> String {
    element(text, tag).unwrap_or_else(|| format!("<no {tag}>"))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sessions_are_isolated_through_their_folders_the_served_folder_and_the_web_api() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path()).await;
    // EAST is on 2026-11-30, WEST on 2026-12-01; the served world on 2026-11-25.
    let body = |code: &str, start: &str| {
        serde_json::json!({ "yaml": script(code, start), "name": format!("{code}.yaml") })
            .to_string()
    };
    let east = served
        .json(
            "POST",
            "/admin/scenario/load",
            &body(EAST, "2026-11-30T09:00:00"),
        )
        .await;
    let west = served
        .json(
            "POST",
            "/admin/scenario/load",
            &body(WEST, "2026-12-01T09:00:00"),
        )
        .await;
    // The folders are known in advance: under the served folder, by key.
    let east_dir = served.oqs.join("sessions").join(EAST);
    let west_dir = served.oqs.join("sessions").join(WEST);
    assert_eq!(east["folder"], east_dir.display().to_string());
    assert_eq!(west["folder"], west_dir.display().to_string());

    // Each session's own req/ is answered by its world: the same bytes, different answers.
    let name = "OQSsiquc01req_20261201090000001.xml";
    let e = answer_in(&east_dir, name, &kouki_file(EAST)).await;
    let w = answer_in(&west_dir, name, &kouki_file(EAST)).await;
    assert_eq!(el(&e, "SegmentOfResult"), "9", "{e}");
    assert_eq!(el(&e, "ProcessExecutionTime"), "20261130090000", "{e}");
    assert_eq!(el(&w, "QualificationValidity"), "1", "{w}");
    assert_eq!(el(&w, "InsurerNumber"), "39130018", "{w}");
    assert_eq!(el(&w, "ProcessExecutionTime"), "20261201090000", "{w}");

    // The served req/: by the request's 医療機関コード; other codes stay with the served world.
    let s = answer_in(&served.oqs, "OQSsiquc01req_west.xml", &kouki_file(WEST)).await;
    assert_eq!(el(&s, "QualificationValidity"), "1", "{s}");
    assert_eq!(el(&s, "ProcessExecutionTime"), "20261201090000", "{s}");
    let s = answer_in(&served.oqs, "OQSsiquc01req_east.xml", &kouki_file(EAST)).await;
    assert_eq!(el(&s, "ProcessExecutionTime"), "20261130090000", "{s}");
    let s = answer_in(
        &served.oqs,
        "OQSsiquc01req_other.xml",
        &kouki_file("1319999999"),
    )
    .await;
    assert_eq!(el(&s, "ProcessExecutionTime"), "20261125093015", "{s}");
    // Nothing of it reached the sessions' folders.
    assert_eq!(
        list(&east_dir.join("res")),
        vec!["OQSsiquc01res_20261201090000001.xml"]
    );

    // The Web API: a login by header, or by the 医療機関コード of its body.
    let login = |headers: Vec<(&'static str, String)>, body: String| {
        let served = &served;
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, text) = served
                .call("POST", sim_server::http::AUTH_PATH, &h, &body)
                .await;
            assert_eq!(status, StatusCode::OK, "{text}");
            let v: Value = serde_json::from_str(&text).unwrap();
            v["result"]["idToken"].as_str().unwrap().to_owned()
        }
    };
    let search = |token: String, code: &'static str, session: Option<&'static str>| {
        let served = &served;
        async move {
            let body = serde_json::json!({ "XmlMsg": kouki_request(code) }).to_string();
            let mut h = vec![("authorization", token.as_str())];
            if let Some(s) = session {
                h.push(("x-simulator-session", s));
            }
            let (status, text) = served
                .call("POST", sim_server::http::SEARCH_PATH, &h, &body)
                .await;
            (
                status,
                serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)),
            )
        }
    };
    let header = |v: Value, k: &str| v["XmlMsg"]["MessageHeader"][k].clone();
    let body_of = |v: Value, k: &str| v["XmlMsg"]["MessageBody"][k].clone();
    let east_token = login(vec![("x-simulator-session", EAST.into())], "{}".into()).await;
    let west_token = login(
        vec![],
        serde_json::json!({ "medicalInstitutionCode": WEST }).to_string(),
    )
    .await;
    let (status, v) = search(east_token.clone(), EAST, None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        header(v.clone(), "ProcessExecutionTime"),
        "20261130090000",
        "{v}"
    );
    assert_eq!(header(v, "SegmentOfResult"), "9");
    let (status, v) = search(west_token.clone(), WEST, None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(body_of(v.clone(), "QualificationValidity"), "1", "{v}");
    assert_eq!(header(v, "ProcessExecutionTime"), "20261201090000");
    // A code no session has: the token's world answers.
    let (_, v) = search(west_token.clone(), "1319999999", None).await;
    assert_eq!(
        header(v.clone(), "ProcessExecutionTime"),
        "20261201090000",
        "{v}"
    );
    // A session's token is not valid in another session, nor on the served world.
    let (status, v) = search(east_token.clone(), WEST, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
    // The served world's token is valid everywhere; the header decides.
    let served_token = login(vec![], "{}".into()).await;
    let (_, v) = search(served_token.clone(), "1319999999", Some(WEST)).await;
    assert_eq!(header(v, "ProcessExecutionTime"), "20261201090000");
    let (_, v) = search(served_token.clone(), "1319999999", None).await;
    assert_eq!(header(v, "ProcessExecutionTime"), "20261125093015");
    let (status, v) = search(served_token, EAST, Some("nobody")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    assert!(
        v.to_string().contains("no scenario session \\\"nobody\\\""),
        "{v}"
    );

    // XML over HTTP honours the header too.
    let (status, text) = served
        .call(
            "POST",
            "/oqs/xml",
            &[("x-simulator-session", WEST)],
            std::str::from_utf8(&kouki_file("1319999999")).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(el(&text, "ProcessExecutionTime"), "20261201090000");

    // Unloaded: the code is the served world's again.
    served
        .json("POST", "/admin/scenario/unload?session=1310000022", "")
        .await;
    let s = answer_in(&served.oqs, "OQSsiquc01req_west2.xml", &kouki_file(WEST)).await;
    assert_eq!(el(&s, "ProcessExecutionTime"), "20261125093015", "{s}");
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_survives_a_restart_at_its_cursor_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ci-job-7");
    let yaml = script(EAST, "2026-11-30T09:00:00");
    // What an uninterrupted play writes.
    let known = sim_scenario::Known::fixtures().unwrap();
    let scenario = sim_scenario::parse("east.yaml", &yaml, &known).unwrap();
    let whole = sim_server::scenario_run::run_scenario(&scenario).unwrap();
    assert!(whole.passed(), "{:?}", whole.steps);
    assert_eq!(whole.results.len(), 2);

    let served = Served::start(dir.path()).await;
    let load = serde_json::json!({ "yaml": yaml, "name": "east.yaml", "session": "job-7", "folder": folder });
    let view = served
        .json("POST", "/admin/scenario/load", &load.to_string())
        .await;
    assert_eq!(view["folder"], folder.display().to_string());
    let out = served.json("POST", "/admin/scenario/step", "").await;
    assert_eq!(out["files"][0]["name"], whole.results[0].0);
    served.json("POST", "/admin/scenario/step", "").await;
    served.stop().await;

    // Restarted on the same state dir: the session is back at its cursor, its folder watched.
    let served = Served::start(dir.path()).await;
    let view = served.json("GET", "/admin/scenario", "").await;
    assert_eq!(view["session"], "job-7");
    assert_eq!(view["cursor"], 2, "{view}");
    assert_eq!(view["passed"], 2, "{view}");
    assert_eq!(view["clock"], "2026-11-30T09:00:00");
    assert_eq!(view["folder"], folder.display().to_string());
    let first = std::fs::read(folder.join(&whole.results[0].0)).unwrap();
    assert_eq!(
        first, whole.results[0].1,
        "the replay rewrote the same bytes"
    );
    // It continues where it stood, with what an uninterrupted play writes.
    let out = served.json("POST", "/admin/scenario/step", "").await;
    assert_eq!(out["clock"], "2026-12-01T09:00:00", "{out}");
    let out = served.json("POST", "/admin/scenario/step", "").await;
    assert_eq!(out["step"]["state"], "passed", "{out}");
    let out = served.json("POST", "/admin/scenario/step", "").await;
    assert_eq!(out["step"]["state"], "passed", "{out}");
    assert_eq!(out["finished"], true);
    let second = std::fs::read(folder.join(&whole.results[1].0)).unwrap();
    assert_eq!(second, whole.results[1].1);
    // A clinic's file in the session's req/ meets the session's world after the restart.
    let r = answer_in(&folder, "OQSsiquc01req_after.xml", &kouki_file(EAST)).await;
    assert_eq!(el(&r, "QualificationValidity"), "1", "{r}");
    assert_eq!(el(&r, "ProcessExecutionTime"), "20261201090000", "{r}");

    // Unloaded: not there after the next restart.
    served.json("POST", "/admin/scenario/unload", "").await;
    served.stop().await;
    let served = Served::start(dir.path()).await;
    assert!(
        served
            .json("GET", "/admin/scenarios", "")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_broken_before_a_restart_is_shown_and_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.yaml");
    std::fs::write(&file, script(WEST, "2026-12-01T09:00:00")).unwrap();
    let served = Served::start(dir.path()).await;
    let load = serde_json::json!({ "file": file });
    served
        .json("POST", "/admin/scenario/load", &load.to_string())
        .await;
    served.json("POST", "/admin/scenario/step", "").await;
    served.stop().await;

    // The trainer edits the script while the simulator is down, and breaks it.
    std::fs::write(
        &file,
        "title: demo\nclock: { start: 2026-12-01T09:00:00 }\nsteps:\n  - drop: nobody-at-all\n",
    )
    .unwrap();
    let served = Served::start(dir.path()).await;
    let list = served.json("GET", "/admin/scenarios", "").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let broken = list[0]["broken"].as_str().unwrap();
    assert!(
        broken.contains("demo.yaml:4:11: error: unknown person or probe id"),
        "{broken}"
    );
    assert_eq!(list[0]["session"], WEST);
    let (status, text) = served.call("POST", "/admin/scenario/step", &[], "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("is broken"), "{text}");
    // The served world goes on meanwhile; the broken session's code is the served world's.
    let s = answer_in(&served.oqs, "OQSsiquc01req_x.xml", &kouki_file(WEST)).await;
    assert_eq!(el(&s, "ProcessExecutionTime"), "20261125093015", "{s}");

    // Fixed and reset: played again from the start.
    std::fs::write(&file, script(WEST, "2026-12-01T09:00:00")).unwrap();
    let view = served
        .json("POST", "/admin/scenario/reset?session=1310000022", "")
        .await;
    assert_eq!(view["cursor"], 0, "{view}");
    assert!(view.get("broken").is_none(), "{view}");
    let out = served.json("POST", "/admin/scenario/step", "").await;
    assert_eq!(out["step"]["state"], "passed", "{out}");
    served.stop().await;
}

/// A session's world settings: `result-encoding: utf-8` answers in UTF-8 (CharacterCodeIdentifier
/// 0, while the served world stays Shift_JIS), `client-delay` holds each answer to a client's file
/// that long in wall time, and the step answer of a card check carries the reader's message code.
#[tokio::test(flavor = "multi_thread")]
async fn a_sessions_world_settings_apply_to_its_clients() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path()).await;
    let yaml = format!(
        "title: settings
medical-institution-code: \"{EAST}\"
clock: {{ start: 2026-12-01T09:00:00, mode: frozen }}
result-encoding: utf-8
client-delay: 400ms
steps:
  - card-check: {{ person: valid-shaho-honnin, mode: pin, pin: [\"0000\", \"0000\", \"0000\"] }}
  - card-check: {{ person: valid-kokuho, mode: face, consent: [] }}
"
    );
    let body = serde_json::json!({ "yaml": yaml, "name": "settings.yaml" }).to_string();
    served.json("POST", "/admin/scenario/load", &body).await;
    let folder = served.oqs.join("sessions").join(EAST);

    let locked = served.json("POST", "/admin/scenario/step", "").await;
    let code = locked["reader_message"].as_str().unwrap_or_default();
    assert!(code.starts_with("MOCK-R"), "{locked}");
    let ok = served.json("POST", "/admin/scenario/step", "").await;
    assert!(
        ok.get("reader_message")
            .is_none_or(|m| *m != locked["reader_message"]),
        "{ok}"
    );

    let started = std::time::Instant::now();
    let name = "OQSsiquc01req_20261201090000001.xml";
    write_atomic(&folder.join("req"), name, &kouki_file(EAST));
    let bytes = wait_for(
        &folder.join("res").join(name.replace("req_", "res_")),
        Duration::from_secs(10),
    )
    .await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "answered after {:?}",
        started.elapsed()
    );
    let decoded = sim_messages::encoding::decode(&bytes).unwrap();
    assert_eq!(decoded.encoding, TextEncoding::Utf8);
    assert_eq!(
        el(&decoded.text, "CharacterCodeIdentifier"),
        "0",
        "{}",
        decoded.text
    );
    // The served world keeps its own encoding.
    write_atomic(
        &served.oqs.join("req"),
        "OQSsiquc01req_other.xml",
        &kouki_file("1319999999"),
    );
    let raw = wait_for(
        &served.oqs.join("res/OQSsiquc01res_other.xml"),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        sim_messages::encoding::decode(&raw).unwrap().encoding,
        TextEncoding::ShiftJis
    );
    // An attached session plays on the served world: another encoding is refused, and said why.
    let attached = serde_json::json!({
        "yaml": yaml.replace(EAST, WEST),
        "name": "attached.yaml",
        "attach": true,
    })
    .to_string();
    let (status, text) = served
        .call("POST", "/admin/scenario/load", &[], &attached)
        .await;
    assert!(!status.is_success(), "{status} {text}");
    assert!(text.contains("result-encoding"), "{text}");
    served.stop().await;
}
