//! Claim re-routing through `simulator claims route` (JSON and CSV, exit codes) and
//! `POST /claims/route`, on the named fixture persons.

use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::support::*;

const CSV: &str = "claim_id,facility,service_month,insurer_number,symbol,number,branch,birthdate,billed_insurer,visit_date,points
R-100,1311234567,202611,01130012,30120045,31,00,19870314,,20261105,120
R-100,1311234567,202611,01130012,30120045,31,00,19870314,,20261116,200
R-200,1311234567,202611,271270,,5550123,00,19581205,,20261110,75
R-100,1311234567,202611,01130012,30120045,31,00,19870314,,20261120,80
R-300,1319999990,202611,01130012,30120045,999,00,19840615,,20261102,40
";

fn json_claims() -> String {
    r#"{"claims": [
  {"claim_id": "R-100", "facility": "1311234567", "service_month": "202611",
   "patient": {"insurer_number": "01130012", "symbol": "30120045", "number": "31",
               "branch": "00", "birthdate": "19870314"},
   "visits": [{"date": "20261105", "points": 120}, {"date": "20261116", "points": 200},
              {"date": "20261120", "points": 80}]},
  {"claim_id": "R-200", "facility": "1311234567", "service_month": "202611",
   "patient": {"insurer_number": "271270", "number": "5550123", "branch": "00",
               "birthdate": "19581205"},
   "visits": [{"date": "20261110", "points": 75}]},
  {"claim_id": "R-300", "facility": "1319999990", "service_month": "202611",
   "patient": {"insurer_number": "01130012", "symbol": "30120045", "number": "999",
               "branch": "00", "birthdate": "19840615"},
   "visits": [{"date": "20261102", "points": 40}]}
]}"#
    .to_owned()
}

fn simulator() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_simulator"));
    c.args(["claims", "route", "--size", "10"]);
    c
}

fn check_report(report: &Value) {
    let claims = report["claims"].as_array().unwrap();
    let split = &claims[0];
    assert_eq!(split["claim_id"], "R-100");
    assert_eq!(split["outcome"], "split");
    assert_eq!(split["person_id"], "job-change-mid-month");
    let parts = split["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["insurer_number"], "01130012");
    assert_eq!(parts[0]["visits"][0]["date"], "20261105");
    assert_eq!(parts[0]["points"], 120);
    assert_eq!(parts[1]["insurer_number"], "06139018");
    assert_eq!(parts[1]["number"], "812");
    assert_eq!(parts[1]["points"], 280);
    assert_eq!(claims[1]["outcome"], "returned");
    assert_eq!(claims[2]["outcome"], "returned");
    let s = &report["summary"];
    assert_eq!(s["points_billed"], 515);
    assert_eq!(s["points_routed"], 400);
    assert_eq!(s["points_unresolved"], 115);
    let unresolvable: Vec<(&str, &str)> = report["unresolvable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["claim_id"].as_str().unwrap(),
                u["reason_code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        unresolvable,
        [
            ("R-200", "public-assistance"),
            ("R-300", "person-not-found")
        ]
    );
    // One notice per facility: both parts of the split, the 返戻 of R-200; R-300 elsewhere.
    let notices = report["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[0]["facility"], "1311234567");
    let entries = notices[0]["entries"].as_array().unwrap();
    let lines: Vec<(&str, &str, i64)> = entries
        .iter()
        .map(|e| {
            (
                e["claim_id"].as_str().unwrap(),
                e["change"].as_str().unwrap(),
                e["points_adjustment"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("R-100", "分割", 0),
            ("R-100", "分割", -280),
            ("R-200", "返戻", -75)
        ]
    );
    assert_eq!(entries[1]["decided_insurer"], "06139018");
    assert_eq!(entries[1]["patient_name"], "小林　美咲");
    assert!(entries[1]["reason"].as_str().unwrap().contains("20261116"));
    assert_eq!(notices[1]["facility"], "1319999990");
}

#[test]
fn claims_route_splits_a_mid_month_job_change_from_json_and_csv_alike() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("claims.json");
    std::fs::write(&json, json_claims()).unwrap();
    let out = simulator().arg(&json).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_json: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_report(&from_json);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("515 points billed = 400 routed + 115 unresolved")
    );

    let csv = dir.path().join("claims.csv");
    std::fs::write(&csv, CSV).unwrap();
    let report = dir.path().join("report.json");
    let out = simulator()
        .arg(&csv)
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_csv: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(from_csv, from_json);
}

#[test]
fn malformed_claims_exit_2_naming_every_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("claims.txt");
    let bad = CSV
        .replace("20261116,200", "20261216,200")
        .replace("20261110,75", "20261110,7x");
    std::fs::write(&csv, bad).unwrap();
    let out = simulator()
        .arg(&csv)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("claims.txt: line 3: claim \"R-100\": visit date 20261216 is outside the service month 202611"), "{err}");
    assert!(
        err.contains("claims.txt: line 4: claim \"R-200\": points \"7x\" is not a whole number"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let json = dir.path().join("claims.json");
    std::fs::write(
        &json,
        json_claims().replace("\"points\": 75}", "\"points\": 75,}"),
    )
    .unwrap();
    let out = simulator().arg(&json).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("claims.json: line 10, column"));
    // A missing file is an error (1), a bad option invalid usage (2).
    let out = simulator()
        .arg(dir.path().join("none.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = simulator()
        .arg(&json)
        .args(["--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn post_claims_route_answers_the_report_or_400_with_positions() {
    let server = TestServer::start(test_config()).await;
    let app = || sim_server::http::app(server.shared.clone());
    let call = |req: Request<Body>| async move {
        let r = app().oneshot(req).await.unwrap();
        let status = r.status();
        let body = r.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice::<Value>(&body).unwrap())
    };
    let (status, report) = call(
        Request::post("/claims/route")
            .body(Body::from(json_claims()))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    check_report(&report);
    let (status, from_csv) = call(
        Request::post("/claims/route")
            .header("content-type", "text/csv; charset=utf-8")
            .body(Body::from(CSV))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(from_csv, report);
    let (status, err) = call(
        Request::post("/claims/route")
            .body(Body::from(json_claims().replace(
                "202611\",\n   \"patient\": {\"insurer_number\": \"271270\"",
                "202613\",\n   \"patient\": {\"insurer_number\": \"271270\"",
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["problems"][0]["line"], 11);
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("`service_month` \"202613\""),
        "{err}"
    );
    server.stop().await;
}
