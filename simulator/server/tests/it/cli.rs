//! The `simulator` binary as a user runs it: `config show`, `persons --json`, a catalogue file
//! given with `--error-catalogue`, and `journal` against a running simulator found through
//! `SIMULATOR_URL`.

use std::process::{Command, Stdio};
use std::time::Duration;

use sim_messages::TextEncoding;

use crate::support::*;

fn simulator() -> Command {
    Command::new(env!("CARGO_BIN_EXE_simulator"))
}

#[test]
fn config_show_prints_the_defaults_as_valid_toml() {
    let out = simulator().args(["config", "show"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, sim_server::config::DEFAULT_CONFIG);
    let parsed: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        parsed["terminal"]["result_encoding"].as_str(),
        Some("shift_jis")
    );
}

#[test]
fn persons_lists_keys_and_outcomes_as_json() {
    let out = simulator()
        .args([
            "persons", "--json", "--limit", "25", "--date", "20261125", "--size", "10",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 25);
    let by_id = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(by_id("not-found")["outcome"], "4");
    assert_eq!(by_id("multiple-matches")["outcome"], "5");
    assert_eq!(by_id("lapsed-job-change-old-card")["outcome"], "3");
    assert_eq!(by_id("lapsed-no-new")["outcome"], "2");
    assert_eq!(by_id("valid-kokuho")["insurer_number"], "  131011");
    assert_eq!(by_id("valid-kokuho")["outcome_label"], "有効");
    // Invalid usage exits 2; an invalid value exits 1 with a message.
    assert_eq!(
        simulator()
            .args(["persons", "--no-such-flag"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let bad = simulator()
        .args(["persons", "--date", "2026-11-25"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected yyyyMMdd"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_official_catalogue_file_replaces_the_mock_codes_and_the_journal_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("codes.toml");
    std::fs::write(
        &catalogue,
        "[codes.\"qualification.not_found\"]\ncode = \"TEST4001\"\nmessage = \"該当なし（試験）\"\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = simulator()
        .args([
            "serve",
            "--delay-ms",
            "0",
            "--size",
            "10",
            "--encoding",
            "utf-8",
        ])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--error-catalogue")
        .arg(&catalogue)
        .arg("--oqs-dir")
        .arg(dir.path().join("oqs"))
        .arg("--state")
        .arg(dir.path().join("state"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let req = dir.path().join("oqs").join("req");
    for _ in 0..500 {
        if req.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    write_atomic(&req, "OQSsiquc01req_cat.xml", &sjis_request(&NOBODY, "cat"));
    let res = dir
        .path()
        .join("oqs")
        .join("res")
        .join("OQSsiquc01res_cat.xml");
    let text = text(
        &wait_for(&res, Duration::from_secs(10)).await,
        TextEncoding::Utf8,
    );
    assert_eq!(
        element(&text, "QualificationValidity").as_deref(),
        Some("4")
    );
    assert_eq!(
        element(&text, "ProcessingResultCode").as_deref(),
        Some("TEST4001")
    );
    assert_eq!(
        element(&text, "ProcessingResultMessage").as_deref(),
        Some("該当なし（試験）")
    );

    // `simulator journal` finds the running simulator through SIMULATOR_URL.
    let mut listed = String::new();
    for _ in 0..100 {
        let out = simulator()
            .args(["journal", "--json"])
            .env("SIMULATOR_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        listed = String::from_utf8(out.stdout).unwrap();
        if listed.contains("OQSsiquc01req_cat.xml") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listed.contains("TEST4001"), "{listed}");
    child.kill().unwrap();
    child.wait().unwrap();

    // With the simulator gone, the same command explains what is wrong and exits 1.
    let out = simulator()
        .args(["journal"])
        .env("SIMULATOR_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the simulator"));
}
