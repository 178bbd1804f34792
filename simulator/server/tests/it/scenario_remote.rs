//! The trainer's remote and scenario sessions: load, step, status, reset and unload through the
//! admin API of a running simulator; two sessions on one server never see each other's state
//! (faults, clock, PIN counters, files), stepped in turn or in parallel.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sim_server::shared::Shared;
use tower::ServiceExt;

use crate::support::*;

fn server() -> (tempfile::TempDir, Arc<Shared>) {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = sim_server::serve::ServeOptions::new(
        test_config(),
        dir.path().join("oqs"),
        dir.path().join("state"),
    );
    opts.clock = Arc::new(sim_server::clock::VirtualClock::new(now(), false));
    let shared = sim_server::serve::build_shared(&opts).unwrap();
    (dir, shared)
}

async fn call(shared: &Arc<Shared>, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = sim_server::http::app(shared.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn json(shared: &Arc<Shared>, method: &str, uri: &str, body: &str) -> Value {
    let (status, text) = call(shared, method, uri, body).await;
    assert_eq!(status, StatusCode::OK, "{method} {uri}: {text}");
    serde_json::from_str(&text).unwrap()
}

const VALID: &str = "title: 有効な保険証
clock: { start: 2026-11-25T09:30:00, mode: frozen }
steps:
  - drop: valid-shaho-honnin
  - expect-result: { QualificationValidity: \"1\" }
  - advance: 1d
  - drop: lapsed-no-new
  - expect-result: { QualificationValidity: \"3\" }
";

#[tokio::test(flavor = "multi_thread")]
async fn the_remote_loads_steps_resets_and_reports() {
    let (_dir, shared) = server();
    // Nothing loaded yet.
    let (status, text) = call(&shared, "GET", "/admin/scenario", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    // An invalid script: every diagnostic, positioned, and nothing loaded.
    let (status, text) = call(
        &shared,
        "POST",
        "/admin/scenario/load",
        "title: x\nclock: { start: 2026-11-25T09:30:00 }\nsteps:\n  - drop: nobody-at-all\n",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(
        text.contains("<request>:4:11: error: unknown person or probe id"),
        "{text}"
    );
    // The YAML itself as the body; the key is the default 医療機関コード.
    let view = json(&shared, "POST", "/admin/scenario/load", VALID).await;
    assert_eq!(view["session"], "1311234567");
    assert_eq!(view["title"], "有効な保険証");
    assert_eq!(view["cursor"], 0);
    assert_eq!(view["world"], "own");
    assert_eq!(view["clock"], "2026-11-25T09:30:00");
    assert_eq!(view["steps"].as_array().unwrap().len(), 5);
    assert_eq!(view["steps"][0]["state"], "pending");

    let out = json(&shared, "POST", "/admin/scenario/step", "").await;
    assert_eq!(out["step"]["kind"], "drop");
    assert_eq!(out["step"]["state"], "passed");
    let files = out["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{out}");
    assert!(
        files[0]["name"]
            .as_str()
            .unwrap()
            .starts_with("res/OQSsiquc01res_20261125093000"),
        "{out}"
    );
    assert!(
        files[0]["text"]
            .as_str()
            .unwrap()
            .contains("<QualificationValidity>1</QualificationValidity>")
    );
    let out = json(&shared, "POST", "/admin/scenario/step", "").await;
    assert_eq!(out["step"]["state"], "passed", "{out}");
    let out = json(&shared, "POST", "/admin/scenario/step", "").await;
    assert_eq!(out["clock"], "2026-11-26T09:30:00");
    json(&shared, "POST", "/admin/scenario/step", "").await;
    // lapsed-no-new gives 2, not 3: the step fails, with the reason.
    let out = json(&shared, "POST", "/admin/scenario/step", "").await;
    assert_eq!(out["step"]["state"], "failed", "{out}");
    assert!(
        out["step"]["failure"]
            .as_str()
            .unwrap()
            .contains("QualificationValidity is \"2\", expected \"3\""),
        "{out}"
    );
    assert_eq!(out["finished"], true);
    let out = json(&shared, "POST", "/admin/scenario/step", "").await;
    assert!(out["step"].is_null(), "{out}");

    let view = json(&shared, "GET", "/admin/scenario", "").await;
    assert_eq!(view["passed"], 4);
    assert_eq!(view["failed"], 1);
    assert_eq!(view["steps"][4]["state"], "failed");
    assert_eq!(view["files"].as_array().unwrap().len(), 2);

    // Reset: back to the start on a fresh world and clock, without a restart.
    let view = json(&shared, "POST", "/admin/scenario/reset", "").await;
    assert_eq!(view["cursor"], 0);
    assert_eq!(view["clock"], "2026-11-25T09:30:00");
    assert!(view["files"].as_array().unwrap().is_empty());
    let folder = std::path::PathBuf::from(view["folder"].as_str().unwrap());
    assert!(list(&folder.join("res")).is_empty());

    // A file path, under an explicit key; now two sessions: naming one is required.
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/valid.yaml");
    let body = serde_json::json!({ "file": file, "session": "trainer-2" }).to_string();
    let view = json(&shared, "POST", "/admin/scenario/load", &body).await;
    assert_eq!(view["session"], "trainer-2");
    let (status, text) = call(&shared, "POST", "/admin/scenario/step", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("1311234567, trainer-2"), "{text}");
    let list = json(&shared, "GET", "/admin/scenarios", "").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    json(
        &shared,
        "POST",
        "/admin/scenario/unload?session=1311234567",
        "",
    )
    .await;
    let out = json(&shared, "POST", "/admin/scenario/step", "").await;
    assert_eq!(out["session"], "trainer-2");
    let (status, text) = call(&shared, "POST", "/admin/scenario/step?session=gone", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    let (status, text) = call(&shared, "POST", "/admin/scenario/load", "{\"flie\": \"x\"}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
}

/// Locks the card's PIN, injects an `.err` fault and moves its clock a day on.
const SESSION_A: &str = "title: A
clock: { start: 2026-11-25T09:30:00, mode: frozen }
steps:
  - fault: err
  - card-check: { person: valid-shaho-honnin, mode: pin, pin: [\"0000\", \"1111\", \"2222\"] }
  - expect-reader-message: MOCK-R102
  - advance: 1d
  - drop: valid-kokuho
  - expect-error: MOCK-T0001
";

/// The same person's card with the right PIN, and a request on the start date.
const SESSION_B: &str = "title: B
clock: { start: 2026-11-25T09:30:00, mode: frozen }
steps:
  - card-check: { person: valid-shaho-honnin, mode: pin, consent: [drug] }
  - expect-reader-message: none
  - expect-face: { QualificationValidity: \"1\", PharmacistsInfoConsFlg: \"1\" }
  - drop: valid-kokuho
  - expect-result: { QualificationValidity: \"1\", QualificationConfirmationDate: \"20261125\", ProcessExecutionTime: \"20261125093000\" }
";

async fn step_all(shared: &Arc<Shared>, session: &str, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            json(
                shared,
                "POST",
                &format!("/admin/scenario/step?session={session}"),
                "",
            )
            .await,
        );
    }
    out
}

fn assert_all_passed(session: &Value) {
    assert_eq!(session["failed"], 0, "{session:#}");
    assert_eq!(session["finished"], true, "{session:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_parallel_sessions_on_one_server_are_isolated() {
    let (_dir, shared) = server();
    for (id, yaml) in [("ci-a", SESSION_A), ("ci-b", SESSION_B)] {
        let body = serde_json::json!({ "yaml": yaml, "session": id }).to_string();
        json(&shared, "POST", "/admin/scenario/load", &body).await;
    }
    // In turn: A locks the PIN, arms a fault and moves its clock before B plays at all.
    step_all(&shared, "ci-a", 4).await;
    let a = json(&shared, "GET", "/admin/scenario?session=ci-a", "").await;
    let b = json(&shared, "GET", "/admin/scenario?session=ci-b", "").await;
    assert_eq!(a["clock"], "2026-11-26T09:30:00");
    assert_eq!(b["clock"], "2026-11-25T09:30:00", "B's clock is its own");
    assert_ne!(a["folder"], b["folder"]);
    step_all(&shared, "ci-b", 5).await;
    step_all(&shared, "ci-a", 2).await;
    let a = json(&shared, "GET", "/admin/scenario?session=ci-a", "").await;
    let b = json(&shared, "GET", "/admin/scenario?session=ci-b", "").await;
    assert_all_passed(&a);
    assert_all_passed(&b);
    let names = |v: &Value| -> Vec<String> {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        names(&a)
            .iter()
            .all(|n| n.ends_with(".err") || n.ends_with(".xml"))
    );
    assert!(!names(&b).iter().any(|n| n.ends_with(".err")), "{b:#}");
    assert!(names(&b).iter().any(|n| n.starts_with("face/")), "{b:#}");
    assert!(!names(&a).iter().any(|n| n.starts_with("face/")), "{a:#}");
    // The served world saw none of it.
    assert_eq!(shared.clock.now(), now());
    assert!(
        shared
            .reader
            .consents()
            .for_person("valid-shaho-honnin")
            .unwrap()
            .is_empty()
    );

    // In parallel, from a fresh start: both pass again, whatever the interleaving.
    for id in ["ci-a", "ci-b"] {
        json(
            &shared,
            "POST",
            &format!("/admin/scenario/reset?session={id}"),
            "",
        )
        .await;
    }
    let (sa, sb) = (shared.clone(), shared.clone());
    let ta = tokio::spawn(async move { step_all(&sa, "ci-a", 6).await });
    let tb = tokio::spawn(async move { step_all(&sb, "ci-b", 5).await });
    let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
    for r in ra.iter().chain(&rb) {
        assert_eq!(r["step"]["state"], "passed", "{r:#}");
    }
    assert_all_passed(&json(&shared, "GET", "/admin/scenario?session=ci-a", "").await);
    assert_all_passed(&json(&shared, "GET", "/admin/scenario?session=ci-b", "").await);

    // Each session's clock is its own through /admin/clock?session= too.
    let b = json(
        &shared,
        "POST",
        "/admin/clock?session=ci-b",
        r#"{"advance": "2h"}"#,
    )
    .await;
    assert_eq!(b["now"], "2026-11-25T11:30:00");
    let a = json(&shared, "GET", "/admin/clock?session=ci-a", "").await;
    assert_eq!(a["now"], "2026-11-26T09:30:00");
    let served = json(&shared, "GET", "/admin/clock", "").await;
    assert_eq!(served["now"], "2026-11-25T09:30:15");
    let (status, _) = call(&shared, "GET", "/admin/clock?session=nope", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_keyed_by_medical_institution_code() {
    let (_dir, shared) = server();
    for code in ["1310000001", "2710000002"] {
        let yaml = format!(
            "title: {code}\nmedical-institution-code: \"{code}\"\nclock: {{ start: 2026-11-25T09:30:00 }}\nsteps:\n  - drop: valid-kokuho\n  - expect-result: {{ MedicalInstitutionCode: \"{code}\" }}\n  - card-check: {{ person: valid-kokuho }}\n  - expect-face: {{ MedicalInstitutionCode: \"{code}\" }}\n"
        );
        let view = json(&shared, "POST", "/admin/scenario/load", &yaml).await;
        assert_eq!(view["session"], code);
        assert_eq!(view["medical_institution_code"], code);
    }
    for code in ["1310000001", "2710000002"] {
        let out = step_all(&shared, code, 4).await;
        for r in &out {
            assert_eq!(r["step"]["state"], "passed", "{r:#}");
        }
        let face = out[2]["files"][0]["name"].as_str().unwrap();
        assert!(
            face.starts_with(&format!("face/OQSsiquc01res_face_{code}")),
            "{face}"
        );
    }
    // XML over HTTP: a clinic's request is answered by the session its 医療機関コード keys, on
    // that session's clock (09:30:00), not the served one (09:30:15).
    let request = String::from_utf8(utf8_request(&KOKUHO, "routed")).unwrap();
    for (code, time) in [
        ("1310000001", "20261125093000"),
        ("1311234567", "20261125093015"),
    ] {
        let body = request.replace("1311234567", code);
        let (status, text) =
            call(&shared, "POST", "/oqs/req/OQSsiquc01req_routed.xml", &body).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert_eq!(
            element(&text, "ProcessExecutionTime").as_deref(),
            Some(time),
            "{code}"
        );
        assert_eq!(
            element(&text, "MedicalInstitutionCode").as_deref(),
            Some(code)
        );
    }
}

fn simulator() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_simulator"))
}

fn catalogue_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name)
}

/// The trainer's remote from the command line: `serve --scenario` attaches the scenario to the
/// served world, `scenario step` plays it into the served folder (where a clinic system
/// watches), `scenario reset` starts it again, `scenario load` adds a session of its own.
#[test]
fn the_trainer_drives_a_served_scenario_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = simulator()
        .args(["serve", "--delay-ms", "0", "--size", "10"])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--oqs-dir")
        .arg(dir.path().join("oqs"))
        .arg("--state")
        .arg(dir.path().join("state"))
        .arg("--scenario")
        .arg(catalogue_file("valid.yaml"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let remote = |args: &[&str]| {
        let out = simulator()
            .arg("scenario")
            .args(args)
            .env("SIMULATOR_URL", &url)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let mut status = remote(&["status"]);
    for _ in 0..300 {
        if status.0 == Some(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        status = remote(&["status"]);
    }
    assert_eq!(status.0, Some(0), "{status:?}");
    assert!(status.1.contains("attached world"), "{}", status.1);
    assert!(status.1.contains("next  line 9"), "{}", status.1);

    let (code, out, err) = remote(&["step"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("ok    line 9"), "{out}");
    let res = list(&dir.path().join("oqs").join("res"));
    assert_eq!(res.len(), 1, "the result is in the served res/: {res:?}");
    assert!(
        res[0].starts_with("OQSsiquc01res_20261125093000"),
        "{res:?}"
    );

    let (code, out, err) = remote(&["step", "--all"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("finished"), "{out}");
    let faces = list(&dir.path().join("oqs").join("face"));
    assert_eq!(faces.len(), 1, "{faces:?}");
    let (code, out, _) = remote(&["step"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("every step has been played"), "{out}");

    // Reset: the same story again on the served world (its PINs and clock rewound).
    let (code, out, err) = remote(&["reset"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, err) = remote(&["step", "--all"]);
    assert_eq!(code, Some(0), "{out}{err}");
    // The files of the first play were removed; the replay's face file is the terminal's next.
    let faces = list(&dir.path().join("oqs").join("face"));
    assert_eq!(faces.len(), 1, "{faces:?}");
    assert!(faces[0].contains("00000000000000000002_"), "{faces:?}");

    // A second session, of its own; from now on steps name their session.
    let (code, out, err) = remote(&[
        "load",
        catalogue_file("pin-lock.yaml").to_str().unwrap(),
        "--session",
        "ci-7",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("as session ci-7"), "{out}");
    let (code, _, err) = remote(&["step"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("several scenario sessions"), "{err}");
    let (code, out, err) = remote(&["step", "--all", "--session", "ci-7"]);
    assert_eq!(code, Some(0), "{out}{err}");
    // Its world is its own: the served face/ got nothing from it.
    assert_eq!(list(&dir.path().join("oqs").join("face")), faces);
    // A failing step exits 1.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "title: t\nclock: { start: 2026-11-25T09:30:00 }\nsteps:\n  - drop: not-found\n  - expect-result: { QualificationValidity: \"1\" }\n",
    )
    .unwrap();
    let (code, ..) = remote(&["load", broken.to_str().unwrap(), "--session", "b"]);
    assert_eq!(code, Some(0));
    let (code, out, _) = remote(&["step", "--all", "--session", "b"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL  line 5"), "{out}");
    child.kill().unwrap();
    child.wait().unwrap();
}
