//! Nothing is lost across a crash: requests pending when the process is killed with SIGKILL are
//! answered after a restart, and a request answered just before a crash is not answered twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use sim_messages::TextEncoding;
use sim_server::dropbox;

use crate::support::*;

fn spawn(dir: &Path, delay: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--size",
            "50",
            "--delay-ms",
            delay,
        ])
        .arg("--oqs-dir")
        .arg(dir.join("oqs"))
        .arg("--state")
        .arg(dir.join("state"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the simulator binary starts")
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_lost_across_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("oqs").join("req");
    let res = dir.path().join("oqs").join("res");
    let mut child = spawn(dir.path(), "200-1500");
    // Wait for the folders to exist.
    for _ in 0..500 {
        if req.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    const N: usize = 40;
    for i in 0..N {
        write_atomic(
            &req,
            &format!("OQSsiquc01req_k{i:02}.xml"),
            &sjis_request(&SHAHO, &format!("k{i:02}")),
        );
    }
    // Some requests get answered, most are still waiting for their delay: then SIGKILL.
    tokio::time::sleep(Duration::from_millis(700)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    // Every request is answered or still in req/ (or both: killed between writing the result and
    // removing the request, it is checked again after the restart).
    let pending = list(&req).iter().filter(|n| !n.starts_with('.')).count();
    assert!(pending > 0, "the crash must happen with requests pending");
    for i in 0..N {
        let answered = res.join(format!("OQSsiquc01res_k{i:02}.xml")).exists();
        let waiting = req.join(format!("OQSsiquc01req_k{i:02}.xml")).exists();
        assert!(answered || waiting, "request k{i:02} was lost");
    }

    let mut child = spawn(dir.path(), "0");
    for i in 0..N {
        let bytes = wait_for(
            &res.join(format!("OQSsiquc01res_k{i:02}.xml")),
            Duration::from_secs(20),
        )
        .await;
        let text = text(&bytes, TextEncoding::ShiftJis);
        assert_eq!(
            element(&text, "ArbitraryFileIdentifier"),
            Some(format!("k{i:02}"))
        );
        assert_eq!(
            element(&text, "QualificationValidity").as_deref(),
            Some("1")
        );
    }
    // A request leaves req/ just after its result is in place (and fsynced): give the last
    // removals a moment before stopping the process.
    for _ in 0..200 {
        if list(&req).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(list(&req).is_empty());
    // Temporary files of a write cut short by the kill are cleaned up at start-up.
    assert_eq!(list(&res).len(), N, "{:?}", list(&res));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_answered_just_before_a_crash_is_not_answered_twice() {
    let server = TestServer::start(test_config()).await;
    let name = "OQSsiquc01req_twice.xml";
    let bytes = sjis_request(&SHAHO, "twice");
    let shared = server.shared.clone();
    let folders = server.folders.clone();
    let dir = server.stop().await;

    // Answer it once, then put the same file back with its old modification time, as if the
    // process had died between writing the result and removing the request.
    let path = folders.req.join(name);
    std::fs::write(&path, &bytes).unwrap();
    let written = SystemTime::now() - Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(written)
        .unwrap();
    dropbox::answer(&shared, &folders, name, false).unwrap();
    shared.journal.flush();
    let result = folders.res.join("OQSsiquc01res_twice.xml");
    let first = std::fs::read(&result).unwrap();
    std::fs::remove_file(&result).unwrap();

    std::fs::write(&path, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(written)
        .unwrap();
    dropbox::answer(&shared, &folders, name, false).unwrap();
    assert!(!path.exists(), "the stale request is removed");
    assert!(!result.exists(), "and not answered a second time");

    // A new copy of the same request (written now) is a new request and is answered.
    std::fs::write(&path, &bytes).unwrap();
    dropbox::answer(&shared, &folders, name, false).unwrap();
    assert_eq!(std::fs::read(&result).unwrap(), first);
    drop(dir);
}
