//! Scripted scenarios (`simulator scenario run`): every catalogue scenario in `scenarios/` runs
//! green through the runner, two runs write byte-identical result files, and the command's exit
//! codes and JUnit report.

use std::path::{Path, PathBuf};
use std::process::Command;

use sim_server::scenario_run::{load_all, run_scenario};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn catalogue() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_catalogue_scenario_passes() {
    let scenarios = load_all(&catalogue()).unwrap();
    assert!(scenarios.len() >= 11);
    for scenario in &scenarios {
        let report = run_scenario(scenario).unwrap();
        let failures: Vec<String> = report
            .steps
            .iter()
            .filter_map(|s| s.failure.as_ref().map(|f| format!("line {}: {f}", s.line)))
            .collect();
        assert!(failures.is_empty(), "{}: {failures:#?}", scenario.file);
        assert_eq!(report.steps.len(), scenario.steps.len());
    }
}

/// Replay determinism: result files and face files (their ArbitraryFileIdentifier derived from
/// the virtual clock and the face file's sequence) are byte-identical from run to run.
#[test]
fn two_runs_write_byte_identical_results_and_face_files() {
    let mut faces = 0;
    for scenario in load_all(&catalogue()).unwrap() {
        let first = run_scenario(&scenario).unwrap();
        let second = run_scenario(&scenario).unwrap();
        let drops = scenario
            .steps
            .iter()
            .any(|s| matches!(s.action, sim_scenario::Action::Drop(_)));
        if drops {
            assert!(!first.results.is_empty(), "{}", scenario.file);
        }
        assert_eq!(first.results, second.results, "{}", scenario.file);
        faces += first
            .results
            .iter()
            .filter(|(n, _)| n.starts_with("face/"))
            .count();
    }
    assert!(faces >= 5, "the catalogue writes face files ({faces})");
}

/// The ArbitraryFileIdentifier of face files: 16 characters shaped as the terminal's, unique
/// within a run, the same on a replay.
#[test]
fn face_file_identifiers_are_unique_and_replayed() {
    let scenario = inline(
        "title: t\nclock: { start: 2026-11-25T09:30:00 }\nsteps:\n  - card-check: { person: valid-kokuho }\n  - card-check: { person: valid-kokuho }\n  - card-check: { person: valid-shaho-honnin }\n",
    );
    let ids = |report: &sim_server::scenario_run::ScenarioReport| -> Vec<String> {
        report
            .results
            .iter()
            .map(|(_, b)| {
                let text = String::from_utf8_lossy(b).into_owned();
                let start = text.find("<ArbitraryFileIdentifier>").unwrap() + 25;
                text[start..start + 16].to_owned()
            })
            .collect()
    };
    let first = ids(&run_scenario(&scenario).unwrap());
    assert_eq!(first.len(), 3);
    let mut unique = first.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "{first:?}");
    assert!(
        first.iter().all(|id| id.len() == 16 && id.ends_with('=')),
        "{first:?}"
    );
    assert_eq!(first, ids(&run_scenario(&scenario).unwrap()));
}

/// `scenario run --pcsc`: the whole catalogue with card and reader steps through the real pcscd +
/// vpcd stack (vpcd slot 0, under the machine-wide pcscd lock); the same results as in-process.
/// Mandatory under CI.
#[test]
fn e2e_the_catalogue_runs_through_pcsc() {
    let Some(_guard) = crate::card::e2e_lock() else {
        return;
    };
    crate::card::release_slot0();
    let options = sim_server::scenario_run::RunOptions {
        pcsc: true,
        ..Default::default()
    };
    for scenario in load_all(&catalogue()).unwrap() {
        let report = sim_server::scenario_run::run_scenario_with(&scenario, &options)
            .unwrap_or_else(|e| panic!("{}: {e:#}", scenario.file));
        let failures: Vec<String> = report
            .steps
            .iter()
            .filter_map(|s| s.failure.as_ref().map(|f| format!("line {}: {f}", s.line)))
            .collect();
        assert!(
            failures.is_empty(),
            "{} (--pcsc): {failures:#?}",
            scenario.file
        );
        let in_process = run_scenario(&scenario).unwrap();
        assert_eq!(report.results, in_process.results, "{}", scenario.file);
    }
}

fn simulator() -> Command {
    Command::new(env!("CARGO_BIN_EXE_simulator"))
}

/// What CI runs: `simulator scenario run scenarios/*.yaml`, with a JUnit report.
#[test]
fn the_command_runs_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = simulator()
        .args(["scenario", "run", "--junit"])
        .arg(&junit)
        .args(catalogue())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("scenario(s) passed"), "{stdout}");
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(junit.contains("<testsuites"), "{junit}");
    assert!(junit.contains("failures=\"0\""), "{junit}");
}

#[test]
fn a_failing_expectation_exits_1_and_an_invalid_script_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let failing = dir.path().join("failing.yaml");
    std::fs::write(
        &failing,
        "title: wrong on purpose\nclock: { start: 2026-11-25T09:30:00 }\nsteps:\n  - drop: not-found\n  - expect-result: { QualificationValidity: \"1\" }\n",
    )
    .unwrap();
    let out = simulator()
        .args(["scenario", "run"])
        .arg(&failing)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("QualificationValidity is \"4\", expected \"1\""),
        "{stdout}"
    );

    let out = simulator()
        .args(["scenario", "run"])
        .arg(scenarios_dir().join("error/unknown-names.yaml"))
        .arg(&failing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown-names.yaml:6:11:"), "{stderr}");
    assert!(
        stderr.contains("unknown result element `ShoeSize`"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing runs when a script is invalid"
    );
}

mod admin_clock {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use sim_server::serve::{ServeOptions, build_shared};
    use sim_server::shared::Shared;
    use tower::ServiceExt;

    use crate::support::*;

    async fn call(shared: &Arc<Shared>, req: Request<Body>) -> (StatusCode, String) {
        let response = sim_server::http::app(shared.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    fn post(json: &str) -> Request<Body> {
        Request::post("/admin/clock")
            .body(Body::from(json.to_owned()))
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_virtual_clock_is_set_through_the_admin_api() {
        let server = TestServer::start(test_config()).await;
        let shared = server.shared.clone();
        let get = Request::get("/admin/clock").body(Body::empty()).unwrap();
        let (status, body) = call(&shared, get).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, r#"{"now":"2026-11-25T09:30:15","mode":"frozen"}"#);

        let (status, body) = call(&shared, post(r#"{"advance": "1d"}"#)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("2026-11-26T09:30:15"), "{body}");

        // The running file interface answers with the new time.
        let (_, body) = call(&shared, post(r#"{"set": "2026-12-01T09:00:00"}"#)).await;
        assert!(body.contains("2026-12-01T09:00:00"), "{body}");
        server.drop_request("OQSsiquc01req_clock.xml", &utf8_request(&KOKUHO, "clock"));
        let bytes = wait_for(
            &server.res("OQSsiquc01res_clock.xml"),
            Duration::from_secs(10),
        )
        .await;
        let text = text(&bytes, sim_messages::TextEncoding::ShiftJis);
        assert_eq!(
            element(&text, "ProcessExecutionTime").as_deref(),
            Some("20261201090000")
        );

        // Every problem of a change is reported, and nothing changes.
        let (status, body) = call(&shared, post(r#"{"set": "tomorrow", "mode": "paused"}"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("set:") && body.contains("mode:"), "{body}");

        let (_, body) = call(&shared, post(r#"{"mode": "running"}"#)).await;
        assert!(body.contains(r#""mode":"running""#), "{body}");
        let (_, body) = call(&shared, post(r#"{"mode": "frozen"}"#)).await;
        assert!(body.contains(r#""mode":"frozen""#), "{body}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_wall_clock_cannot_be_set() {
        let dir = tempfile::tempdir().unwrap();
        let opts = ServeOptions::new(
            test_config(),
            dir.path().join("oqs"),
            dir.path().join("state"),
        );
        let shared = build_shared(&opts).unwrap();
        let (status, body) = call(&shared, post(r#"{"advance": "1d"}"#)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("serve --clock"), "{body}");
        let get = Request::get("/admin/clock").body(Body::empty()).unwrap();
        let (_, body) = call(&shared, get).await;
        assert!(body.contains(r#""mode":"wall""#), "{body}");
    }
}

fn inline(text: &str) -> sim_scenario::Scenario {
    let known = sim_scenario::Known::fixtures().unwrap();
    match sim_scenario::parse("inline.yaml", text, &known) {
        Ok(s) => s,
        Err(d) => panic!("{d:#?}"),
    }
}

/// Client-robustness faults: a result cut short is not well-formed XML; a result written in two
/// parts is complete in the end, and the pause moved the virtual clock.
#[test]
fn result_file_faults() {
    let scenario = inline(
        "title: t\nclock: { start: 2026-11-25T09:30:00 }\nsteps:\n  - fault: malformed-result\n  - drop: valid-shaho-honnin\n  - drop: valid-shaho-honnin\n  - fault: { partial-result: 1m }\n  - drop: valid-shaho-honnin\n  - drop: valid-shaho-honnin\n",
    );
    let report = run_scenario(&scenario).unwrap();
    assert!(report.passed());
    let results: Vec<&(String, Vec<u8>)> = report.results.iter().collect();
    assert_eq!(results.len(), 4, "{:?}", report.steps);
    let (cut, whole) = (&results[0].1, &results[1].1);
    assert!(cut.len() < whole.len());
    assert!(whole.ends_with(b"</XmlMsg>\r\n"));
    assert!(!cut.windows(9).any(|w| w == b"</XmlMsg>"));
    // The two-part result is whole; the next request is answered a minute later.
    assert!(results[2].1.windows(9).any(|w| w == b"</XmlMsg>"));
    assert!(results[3].0.contains("20261125093100"), "{}", results[3].0);
    assert!(
        report.steps[4]
            .label
            .contains("written in two parts, 60s apart"),
        "{}",
        report.steps[4].label
    );
}

/// `simulator serve --scenario FILE` validates the script first: an invalid one is refused with
/// its diagnostics before anything starts.
#[test]
fn serve_refuses_an_invalid_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = simulator()
        .arg("serve")
        .arg("--oqs-dir")
        .arg(dir.path().join("oqs"))
        .arg("--state")
        .arg(dir.path().join("state"))
        .args(["--listen", "127.0.0.1:0", "--scenario"])
        .arg(scenarios_dir().join("error/bad-clock.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("bad-clock.yaml:8:9: error: unknown clock mode"),
        "{stderr}"
    );
}
