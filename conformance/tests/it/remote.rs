//! `--simulator URL`: the harness against a running simulator (started in-process here, served
//! on loopback as `simulator serve` would be) instead of the embedded engine: each case loads its
//! world as a session of its own, the reference clinic talks to the session's folder, and faults
//! are still caught. A few cases of each kind (file, reader, fault, bulk, medical information),
//! to keep it fast.

use std::net::TcpListener;
use std::time::Duration;

use conformance::cases::case;
use conformance::remote::RemoteSimulator;
use conformance::runner::{Status, run_case};

use crate::support::{config, named};

const TOKEN: &str = "conformance-test-token";

/// A simulator served on a free loopback port until the returned sender is dropped.
struct Served {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _thread: std::thread::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = sim_server::config::Config::default_config();
    cfg.population.size = 0;
    cfg.http.listen = format!("127.0.0.1:{port}");
    // Short, but long enough for the harness to see each request before it is answered.
    cfg.terminal.response_delay_ms = [60, 60];
    cfg.terminal.fsync = false;
    let mut opts =
        sim_server::serve::ServeOptions::new(cfg, dir.path().join("oqs"), dir.path().join("state"));
    opts.admin_token = Some(TOKEN.into());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(sim_server::serve::run(opts, async {
                let _ = rx.await;
            }))
            .unwrap();
    });
    let url = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the simulator did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Served {
        url,
        _stop: tx,
        _thread: thread,
        _dir: dir,
    }
}

#[test]
fn the_reference_clinic_passes_against_a_running_simulator_and_faults_still_fail() {
    let served = serve();
    let named = named();
    let sim = RemoteSimulator {
        url: served.url.clone(),
        token: Some(TOKEN.into()),
    };
    let run = |fault: &str, id: &str| {
        let mut cfg = config(fault);
        cfg.simulator = Some(sim.clone());
        run_case(&cfg, case(id).unwrap(), &named)
    };
    for id in [
        "QC-1.03", "QC-2.02", "QC-3.01", "QC-3.03", "QC-4.04", "QC-4.05", "QC-5.04", "QC-6.01",
        "QC-7.03",
    ] {
        let r = run("", id);
        assert_eq!(
            r.status,
            Status::Passed,
            "{id}: {:?} {:#?}",
            r.reason,
            r.failures().collect::<Vec<_>>()
        );
    }
    // The slow terminal answers in wall time: the case took at least the delay, and the clinic
    // waited for the answer.
    let r = run("", "QC-3.03");
    assert!(r.duration_ms >= 1500, "QC-3.03 took {} ms", r.duration_ms);
    assert!(
        r.checks.iter().any(|c| c.rule == "POLL-WAIT" && c.ok),
        "{:#?}",
        r.checks
    );
    // The reader's message codes reach the evidence (the step answer carries them).
    let r = run("", "QC-4.05");
    let nofile: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.rule == "READER-NOFILE")
        .collect();
    assert_eq!(nofile.len(), 2, "{:#?}", r.checks);
    for c in nofile {
        assert!(c.message.contains("(MOCK-R"), "{}", c.message);
    }
    for (fault, id) in [
        ("non-atomic-writes", "QC-1.03"),
        ("ignores-validity-3", "QC-1.03"),
        ("shows-stale-medical-info", "QC-7.03"),
    ] {
        let r = run(fault, id);
        assert_eq!(r.status, Status::Failed, "{fault} on {id}: {:?}", r.reason);
    }
    // Every session was unloaded.
    let sessions = http_get(&format!("{}/admin/scenarios", served.url));
    assert_eq!(sessions.trim(), "[]", "{sessions}");
}

fn http_get(url: &str) -> String {
    use http_body_util::BodyExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<hyper::body::Bytes>>();
        let req = hyper::Request::get(url)
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(http_body_util::Full::default())
            .unwrap();
        let response = client.request(req).await.unwrap();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[test]
fn every_cases_script_is_a_valid_scenario() {
    let known = sim_scenario::Known::fixtures().unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap();
    let mut runnable = 0;
    for c in conformance::cases::CASES {
        let Ok(steps) = conformance::remote::script(c.id) else {
            continue;
        };
        runnable += 1;
        let yaml = conformance::remote::scenario_yaml(
            c.id,
            start,
            "1311234567",
            &conformance::remote::settings(c.id, std::time::Duration::from_millis(1500)),
            &steps,
        );
        if let Err(d) = sim_scenario::parse(c.id, &yaml, &known) {
            panic!("{}: {d:?}\n{yaml}", c.id);
        }
    }
    assert_eq!(
        runnable,
        conformance::cases::CASES.len(),
        "no case is left pending"
    );
}
