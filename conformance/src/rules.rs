//! The requirements list (`conformance/requirements.toml`): rule id → text → section of
//! oqs-interface.md.

use serde::{Deserialize, Serialize};

/// The file, embedded.
pub const REQUIREMENTS: &str = include_str!("../requirements.toml");

/// One interface rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id, e.g. `KEY-BRANCH`.
    pub id: String,
    /// What the SUT must do.
    pub text: String,
    /// Where oqs-interface.md says so.
    pub section: String,
    /// Confidence of the source: V, S or I.
    pub source: String,
}

#[derive(Deserialize)]
struct File {
    rule: Vec<Rule>,
}

/// Every rule, in file order.
pub fn rules() -> Vec<Rule> {
    // The file is part of the binary and tested; a broken one is a build defect.
    toml::from_str::<File>(REQUIREMENTS)
        .map(|f| f.rule)
        .unwrap_or_default()
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<Rule> {
    rules().into_iter().find(|r| r.id == id)
}
