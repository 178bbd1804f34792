//! `--expectations FILE`: known deviations of the SUT, each with a reason (like BoGo's shim
//! configuration). A listed case that fails is an expected failure; a listed case that passes is
//! a stale entry, reported so the file stays honest.
//!
//! ```toml
//! [[deviation]]
//! case = "QC-3.03"
//! reason = "our reception screen times out after 1 s; ticket RC-1234"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::runner::{CaseResult, Status};

/// One known deviation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// The case id.
    pub case: String,
    /// Why the SUT deviates.
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    deviation: Vec<Deviation>,
}

/// The deviations of a file, by case id.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Case id → reason.
    pub deviations: BTreeMap<String, String>,
}

impl Expectations {
    /// Reads and validates a file: every case must exist and be listed once, with a reason.
    pub fn load(path: &Path) -> Result<Expectations, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Expectations::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut deviations = BTreeMap::new();
        for d in file.deviation {
            if crate::cases::case(&d.case).is_none() {
                return Err(format!("deviation for unknown case {:?}", d.case));
            }
            if d.reason.trim().is_empty() {
                return Err(format!("the deviation for {} gives no reason", d.case));
            }
            if deviations.insert(d.case.clone(), d.reason).is_some() {
                return Err(format!("{} is listed twice", d.case));
            }
        }
        Ok(Expectations { deviations })
    }

    /// Applies the deviations to the results; the stale entries (listed cases that passed).
    pub fn apply(&self, results: &mut [CaseResult]) -> Vec<Deviation> {
        let mut stale = Vec::new();
        for r in results {
            let Some(reason) = self.deviations.get(&r.id) else {
                continue;
            };
            match r.status {
                Status::Failed => {
                    r.status = Status::ExpectedFailure;
                    r.reason = Some(reason.clone());
                }
                Status::Passed => stale.push(Deviation {
                    case: r.id.clone(),
                    reason: reason.clone(),
                }),
                _ => {}
            }
        }
        stale
    }
}
