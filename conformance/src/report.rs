//! Reports: the console summary, JUnit XML (`<failure>` for a SUT fault, `<error>` for a harness
//! or environment problem, `<skipped>` for pending cases and expected failures), JSON with every
//! check, its evidence and timings; and the exit code.
//!
//! Exit codes (stable): 0 every case that ran passed (expected failures included); 1 at least one
//! case failed (the SUT's fault); 2 a harness or environment error (a case could not be judged,
//! invalid arguments or expectations file); 3 no case ran (the filters left none, or all pending).

use serde::Serialize;

use crate::expectations::Deviation;
use crate::runner::{CaseResult, Status};

/// Every case passed.
pub const EXIT_PASS: u8 = 0;
/// The SUT failed a case.
pub const EXIT_FAILURES: u8 = 1;
/// The harness could not judge (or was used wrongly).
pub const EXIT_HARNESS: u8 = 2;
/// No case ran.
pub const EXIT_NO_CASES: u8 = 3;

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// `conformance`.
    pub harness: String,
    /// The harness's version.
    pub harness_version: String,
    /// The case catalogue's version.
    pub suite_version: String,
    /// The SUT's name (from `hello`).
    pub sut: String,
    /// The day of the visits, `yyyyMMdd`.
    pub today: String,
    /// Wall-clock start, RFC 3339.
    pub started_at: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Counts.
    pub summary: Summary,
    /// Every case selected, in catalogue order.
    pub cases: Vec<CaseResult>,
    /// Deviations listed for cases that passed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_expectations: Vec<Deviation>,
}

/// Counts by status.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Cases selected.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Harness errors.
    pub errors: usize,
    /// Pending.
    pub pending: usize,
    /// Expected failures.
    pub expected_failures: usize,
}

impl Summary {
    /// Counts `cases`.
    pub fn of(cases: &[CaseResult]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Summary::default()
        };
        for c in cases {
            match c.status {
                Status::Passed => s.passed += 1,
                Status::Failed => s.failed += 1,
                Status::Error => s.errors += 1,
                Status::Pending => s.pending += 1,
                Status::ExpectedFailure => s.expected_failures += 1,
            }
        }
        s
    }

    /// The exit code of the run.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            EXIT_HARNESS
        } else if self.failed > 0 {
            EXIT_FAILURES
        } else if self.passed + self.expected_failures == 0 {
            EXIT_NO_CASES
        } else {
            EXIT_PASS
        }
    }
}

/// One line per case as it finishes.
pub fn case_line(r: &CaseResult) -> String {
    let tag = match r.status {
        Status::Passed => "PASS ",
        Status::Failed => "FAIL ",
        Status::Error => "ERROR",
        Status::Pending => "PEND ",
        Status::ExpectedFailure => "XFAIL",
    };
    let mut line = format!(
        "{tag} {:<8} {:<9} {} ({} ms)",
        r.id,
        r.suite.name(),
        r.title,
        r.duration_ms
    );
    for f in r.failures() {
        line.push_str(&format!("\n        [{}] {}", f.rule, f.message));
        for e in f.evidence.iter().filter(|e| !e.file.is_empty()) {
            if e.excerpt.is_empty() {
                line.push_str(&format!("\n          {}", e.file));
            } else {
                line.push_str(&format!(
                    "\n          {}: {}",
                    e.file,
                    e.excerpt.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    if let Some(reason) = &r.reason
        && r.status != Status::Passed
    {
        line.push_str(&format!("\n        {reason}"));
    }
    line
}

/// The summary at the end.
pub fn console_summary(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = format!(
        "\n{} case(s): {} passed, {} failed, {} error(s), {} pending, {} expected failure(s) — SUT {}, suite {}, {} ms",
        s.total,
        s.passed,
        s.failed,
        s.errors,
        s.pending,
        s.expected_failures,
        report.sut,
        report.suite_version,
        report.duration_ms
    );
    for d in &report.stale_expectations {
        out.push_str(&format!(
            "\nstale expectation: {} passed although listed as a deviation ({})",
            d.case, d.reason
        ));
    }
    out
}

/// The JSON report.
pub fn json(report: &RunReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// The JUnit report: a test suite per suite, a test case per case.
pub fn junit(report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut junit = Report::new(format!("conformance {}", report.suite_version));
    junit.set_time(std::time::Duration::from_millis(report.duration_ms));
    for suite in crate::cases::Suite::ALL {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.suite == suite).collect();
        if cases.is_empty() {
            continue;
        }
        let mut ts = TestSuite::new(suite.name());
        ts.add_property(quick_junit::Property::new(
            "suite_version",
            report.suite_version.as_str(),
        ));
        ts.add_property(quick_junit::Property::new("sut", report.sut.as_str()));
        for c in cases {
            let failures: Vec<String> = c
                .failures()
                .map(|f| format!("[{}] {}", f.rule, f.message))
                .collect();
            let status = match c.status {
                Status::Passed => TestCaseStatus::success(),
                Status::Failed => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(failures.first().cloned().unwrap_or_default());
                    s.set_type("sut");
                    s.set_description(failures.join("\n"));
                    s
                }
                Status::Error => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(c.reason.clone().unwrap_or_default());
                    s.set_type("harness");
                    s
                }
                Status::Pending => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("pending: {}", c.reason.clone().unwrap_or_default()));
                    s
                }
                Status::ExpectedFailure => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!(
                        "expected failure: {}",
                        c.reason.clone().unwrap_or_default()
                    ));
                    s.set_description(failures.join("\n"));
                    s
                }
            };
            let mut tc = TestCase::new(format!("{} {}", c.id, c.title), status);
            tc.set_classname(format!("conformance.{}", suite.name()));
            tc.set_time(std::time::Duration::from_millis(c.duration_ms));
            for rule in &c.rules {
                tc.add_property(quick_junit::Property::new("rule", rule.as_str()));
            }
            if let Some(stderr) = &c.sut_stderr {
                tc.set_system_err(stderr.as_str());
            }
            ts.add_test_case(tc);
        }
        junit.add_test_suite(ts);
    }
    junit.to_string()
}
