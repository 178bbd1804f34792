//! Disaster-mode steps (災害時医療情報閲覧) of a scenario:
//!
//! ```yaml
//!   - disaster-open: { areas: [新宿区], for: 7d, title: 模擬豪雨 }    # from now on the virtual clock
//!   - disaster-search: { facility: "1310400013", name: ﾀｶﾊｼ ｱｷﾗ, birthdate: 1945-03-10, expect: [valid-kouki] }
//!   - disaster-search: { facility: "2712700018", name: 高橋昭, birthdate: 1945-03-10, refused: not-covered }
//!   - disaster-view: { facility: "1310400013", person: valid-kouki, kind: drug, consent: oral }
//!   - disaster-extend: { facility: "1310400013", for: 3d }            # the latest activation, until now + 3d
//!   - disaster-close                                                  # the latest activation, now
//!   - expect-disaster-audit: { search: 2, view: 1, refused: 1 }
//! ```
//!
//! A search names its keys as the terminal does (`name`, `birthdate`, `sex`, `address`, or
//! `insurer`, `symbol`, `number`, `branch`, `birthdate`) and expects the person ids found, in
//! order (`expect: []` for none), or a refusal (`refused: not-covered | not-yet-started | ended |
//! closed | unknown-facility`). A view expects to be shown unless it says `refused:`.

use chrono::TimeDelta;

/// What a disaster step expects of a search or a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisasterExpect {
    /// Shown (a view) or found these persons, in order (a search).
    Shown(Vec<String>),
    /// Refused for this reason (`Refusal::id`, or `unknown-facility`).
    Refused(String),
}

/// One disaster-mode step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisasterStep {
    /// The operator opens the mode for these areas, from now for this long.
    Open {
        /// Prefectures, municipalities or 政令市.
        areas: Vec<String>,
        /// How long.
        duration: TimeDelta,
        /// What it is for.
        title: String,
    },
    /// The operator closes the latest activation now.
    Close,
    /// The operator extends the latest activation for one facility until now + `duration`.
    Extend {
        /// 医療機関コード.
        facility: String,
        /// From now.
        duration: TimeDelta,
    },
    /// A facility searches without the card.
    Search {
        /// 医療機関コード.
        facility: String,
        /// The typed keys: name, birthdate, sex, address, insurer, symbol, number, branch.
        keys: Vec<(String, String)>,
        /// The outcome.
        expect: DisasterExpect,
    },
    /// A facility views a person's information.
    View {
        /// 医療機関コード.
        facility: String,
        /// The person's id.
        person: String,
        /// qualification, drug, diagnosis, checkup.
        kind: String,
        /// html or pdf.
        format: String,
        /// oral or waived.
        consent: String,
        /// The outcome (`Shown(vec![])` when shown).
        expect: DisasterExpect,
    },
    /// The audit log holds this many records of each action (absent: not checked).
    ExpectAudit {
        /// Searches.
        search: Option<usize>,
        /// Views.
        view: Option<usize>,
        /// Refused searches and views.
        refused: Option<usize>,
    },
}

/// The search keys a `disaster-search` takes.
pub const SEARCH_KEYS: &[&str] = &[
    "name",
    "birthdate",
    "sex",
    "address",
    "insurer",
    "symbol",
    "number",
    "branch",
];

/// The refusal reasons a step may expect.
pub const REFUSALS: &[&str] = &[
    "not-covered",
    "not-yet-started",
    "ended",
    "closed",
    "unknown-facility",
];

impl DisasterStep {
    /// The step's name in a script.
    pub fn name(&self) -> &'static str {
        match self {
            DisasterStep::Open { .. } => "disaster-open",
            DisasterStep::Close => "disaster-close",
            DisasterStep::Extend { .. } => "disaster-extend",
            DisasterStep::Search { .. } => "disaster-search",
            DisasterStep::View { .. } => "disaster-view",
            DisasterStep::ExpectAudit { .. } => "expect-disaster-audit",
        }
    }
}
