//! Disaster mode (災害時医療情報閲覧, 「緊急時医療情報・資格確認機能」): a feature of the terminal's
//! browser UI, not of the req/res protocol (oqs-interface.md §6).
//!
//! - [`window`]: the state machine of activations. The operator opens the mode for a list of
//!   municipalities (全国地方公共団体コード) from a start to an end time; facilities located there
//!   may use it; an activation can be extended for one facility; it can be closed early; outside
//!   its window a facility is refused. Time is always a parameter.
//! - [`fold`]: how typed names and addresses are compared (NFKC, kana, 異体字 folding table).
//! - [`mod@search`]: finding a patient without the card, by 氏名・生年月日・性別・住所 or by
//!   保険者番号・記号・番号・生年月日, with the qualification data for the result list.
//!
//! What was searched and viewed, by whom and on what ground, is an audit record
//! ([`AuditRecord`]); storing it is the server's job.

pub mod fold;
pub mod search;
pub mod window;

use chrono::NaiveDateTime;

pub use search::{Hit, HitQualification, Query, SearchError, SearchResult, search};
pub use window::{
    Activation, DisasterError, DisasterMode, Extension, Grant, OpenRequest, Phase, Refusal,
};

/// The ground on which information is viewed without the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Consent {
    /// 口頭同意: the patient agreed orally.
    Oral,
    /// 同意不要（意識不明等）: the patient cannot consent (unconscious…) and viewing is needed to
    /// protect life.
    Waived,
}

impl Consent {
    /// Identifier in the API, the CLI and the audit CSV: `oral`, `waived`.
    pub fn id(self) -> &'static str {
        match self {
            Consent::Oral => "oral",
            Consent::Waived => "waived",
        }
    }

    /// Reads [`Consent::id`] (also accepts the Japanese labels).
    pub fn from_id(s: &str) -> Option<Consent> {
        match s {
            "oral" | "口頭同意" => Some(Consent::Oral),
            "waived" | "unconscious" | "意識不明等" | "同意不要" => Some(Consent::Waived),
            _ => None,
        }
    }

    /// The label shown on screen.
    pub fn label(self) -> &'static str {
        match self {
            Consent::Oral => "口頭同意",
            Consent::Waived => "同意取得困難（意識不明等）",
        }
    }
}

/// What was done in disaster mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A search (with or without results).
    Search,
    /// A view of the qualification, drug, diagnosis or checkup information.
    View,
    /// A search or view that was refused (outside the window, facility elsewhere…).
    Refused,
}

impl AuditAction {
    /// `search`, `view`, `refused`.
    pub fn id(self) -> &'static str {
        match self {
            AuditAction::Search => "search",
            AuditAction::View => "view",
            AuditAction::Refused => "refused",
        }
    }
}

/// One line of the audit log: who, which facility, whom, when, on what ground, the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When (simulator time, Japan).
    pub at: NaiveDateTime,
    /// What.
    pub action: AuditAction,
    /// 医療機関コード of the facility.
    pub facility: String,
    /// Who at the facility (the operator's name or ID as typed).
    pub operator: String,
    /// The activation that allowed it (none when refused).
    pub activation: Option<u32>,
    /// The ground (consent); a search without a ground records `None`.
    pub consent: Option<Consent>,
    /// The query as typed (for a search) or what was viewed (for a view: `drug`, `diagnosis`…).
    pub query: String,
    /// The persons concerned (ids of the hits, or the person viewed).
    pub persons: Vec<String>,
    /// The outcome: the number of hits, the format viewed, or the refusal.
    pub outcome: String,
}
