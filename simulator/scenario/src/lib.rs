//! Scripted scenarios for the オン資 terminal simulator: the YAML format, its model, and a
//! validation that reports every problem of a script at once, each with `file:line:column` and a
//! hint (house style §4.3). Running a scenario is the server's job (`simulator scenario run`);
//! this crate only reads and checks scripts, so it has no IO besides reading the file.
//!
//! ```yaml
//! title: 転職後の旧保険証
//! description: The old card of a job changer gives validity 3 with the new insurer.
//! world: fixtures
//! clock: { start: 2026-11-25T09:30:00, mode: frozen }
//! steps:
//!   - drop: lapsed-job-change-old-card
//!     encoding: shift_jis
//!     crlf: true
//!   - expect-result:
//!       QualificationValidity: "3"
//!       InsurerNumber: "01270016"
//!   - advance: 1d
//!   - drop-raw: "hello"
//!     name: OQSsiquc01req_bad.xml
//!   - expect-error: MOCK-F0003
//!   - fault: { maintenance: 30m }       # also slow, err, partial-result, malformed-result
//!   - card-check: { person: valid-shaho-honnin, mode: pin, pin: "1234", consent: [drug] }
//!   - card-check: { person: valid-kokuho, mode: face, face-image: corrupt }   # MOCK-R111
//!   - expect-face: { PharmacistsInfoConsFlg: "1" }
//!   - expect-reader-message: none
//! ```
//!
//! The YAML crate is `marked-yaml`: it keeps a line and column on every node, mapping keys
//! included, and it never coerces scalars (`01270016` stays a string, `no` stays `no`). The
//! script is read by walking that tree rather than through `#[derive(Deserialize)]`, because a
//! serde deserializer stops at the first error while a scenario author wants them all. The
//! alternatives were weighed: `serde_yaml` is unmaintained; `serde_norway` positions only its
//! one error; `serde-saphyr` has spans but needs Rust 1.89, above the workspace's 1.85.

pub mod disaster;
mod model;
mod parse;
mod requests;

pub use model::{
    Action, CONSENT_NAMES, CardCheck, ClockSpec, DropRequest, Encoding, Fault, FaultScope,
    InfoKind, MedicalInfoDrop, RESULT_ELEMENTS, ReaderMode, Scenario, Step, Target, World,
};
pub use parse::{Diagnostic, Known, parse, parse_duration, parse_file};
pub use requests::{BulkDownload, BulkUpload, Reception, ReferenceRegistration, WebApiCheck};

/// Why a scenario cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the scenario: {source}")]
    Read {
        /// The file.
        file: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The embedded named fixtures could not be read (a build defect).
    #[error("the embedded named fixtures: {0}")]
    Fixtures(String),
    /// The file was read, and has these problems (never empty).
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.to_string());
    }
    out
}

#[cfg(test)]
mod scripts_tests;
