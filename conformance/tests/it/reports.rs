//! The JUnit and JSON reports (insta snapshots, timings and paths redacted) and the signed report
//! (`verify-report` accepts it and rejects any changed byte).

use conformance::report::{self, RunReport, Summary};
use conformance::runner::run_case;

use crate::support::{config, named};

/// A small run of `ids` against `--fault ignores-validity-3`. `QC-3.03` is marked not runnable
/// yet (as a case of the table can be, with its reason), so the report shows a pending case: it
/// is never run.
fn small_report(ids: &[&str]) -> RunReport {
    let cfg = config("ignores-validity-3");
    let named = named();
    let cases: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut case = conformance::cases::case(id).expect("case").clone();
            if *id == "QC-3.03" {
                case.pending = Some("not runnable here: a pending case of the report test");
            }
            run_case(&cfg, &case, &named)
        })
        .collect();
    RunReport {
        harness: "conformance".into(),
        harness_version: "0.1.0".into(),
        suite_version: conformance::cases::SUITE_VERSION.into(),
        sut: "reference-clinic --fault ignores-validity-3".into(),
        today: "20261125".into(),
        started_at: "2026-12-01T00:00:00Z".into(),
        duration_ms: 0,
        summary: Summary::of(&cases),
        cases,
        stale_expectations: Vec::new(),
    }
}

fn redact_junit(text: &str) -> String {
    // time="…" and timestamp="…" attributes vary from run to run.
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(" time=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 7..];
        let end = after.find('"').unwrap_or(0);
        out.push_str(" time=\"[time]\"");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn junit_and_json_reports() {
    // A pass, a failure, a pass through an .err, and a pending case.
    let mut report = small_report(&["QC-1.01", "QC-1.03", "QC-3.01", "QC-3.03"]);
    assert_eq!(report.summary.passed, 2);
    assert_eq!(report.summary.failed, 1);
    assert_eq!(report.summary.pending, 1);
    assert_eq!(report.summary.exit_code(), report::EXIT_FAILURES);
    for c in &mut report.cases {
        c.duration_ms = 0;
        c.sut_stderr = None;
    }
    let junit = report::junit(&report).expect("junit");
    assert!(junit.contains("<failure"), "{junit}");
    assert!(junit.contains("<skipped"), "{junit}");
    insta::assert_snapshot!("junit", redact_junit(&junit));
    let json: serde_json::Value = serde_json::from_str(&report::json(&report)).expect("json");
    // Timings are zeroed above; the rest is deterministic (frozen terminal clock, fixed names).
    insta::assert_json_snapshot!("json", json);
}

#[test]
fn signed_report_verifies_and_any_changed_byte_is_rejected() {
    // A failure and a pending case: every byte of it is changed in turn.
    let report = small_report(&["QC-1.03", "QC-3.03"]);
    let key = conformance::signed::signing_key(None).expect("key");
    let text = conformance::signed::render(&report, &key);
    let public = conformance::signed::public_key_hex(&key);
    let bytes = text.as_bytes();
    let v = conformance::signed::verify(bytes, Some(&public)).expect("valid");
    assert_eq!(v.entries, 2);
    assert_eq!(v.header.suite_version, conformance::cases::SUITE_VERSION);
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] ^= 0x01;
        assert!(
            conformance::signed::verify(&changed, None).is_err(),
            "byte {i} changed from {:?} was accepted",
            bytes[i] as char
        );
    }
    // Removed or added bytes.
    assert!(conformance::signed::verify(&bytes[..bytes.len() - 1], None).is_err());
    let mut longer = bytes.to_vec();
    longer.extend_from_slice(b"x\n");
    assert!(conformance::signed::verify(&longer, None).is_err());
    // A report re-signed with another key is valid only without the pinned key.
    let other = conformance::signed::signing_key(None).expect("key");
    let forged = conformance::signed::render(&report, &other);
    assert!(conformance::signed::verify(forged.as_bytes(), None).is_ok());
    assert!(conformance::signed::verify(forged.as_bytes(), Some(&public)).is_err());
}
