//! Deciding eligibility (資格有効性, OQSCD006) for a date from the qualification histories.
//!
//! 1. Candidates: qualifications of the insurer whose 番号 matches, then 記号 (absent matches
//!    absent), 枝番 (when given) and the person's 生年月日.
//! 2. Candidates of two or more persons: 5 複数該当 (e.g. twins searched without 枝番).
//! 3. One person: the matched qualification valid on the date → 1 有効. Lost by then → 3 無効
//!    （新しい資格あり） if another qualification of the person is valid on the date, otherwise
//!    2 無効. Not yet acquired, or no candidate → 4 該当資格なし.

use chrono::NaiveDate;
use sim_messages::codes::QualificationValidity;

use crate::insurer::InsurerNumber;
use crate::keys::normalize_key;
use crate::population::{Population, QualRef};
use crate::qualification::Standing;

/// Keys typed by the clinic, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardQuery {
    /// 保険者番号.
    pub insurer: InsurerNumber,
    /// 記号, normalised (see [`normalize_key`]); `None` when absent or blank.
    pub symbol: Option<String>,
    /// 番号, normalised.
    pub number: String,
    /// 枝番, two digits, when given.
    pub branch: Option<String>,
    /// 生年月日.
    pub birthdate: NaiveDate,
}

/// The outcome for a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// 1 有効.
    Valid(QualRef),
    /// 2 無効: lost, nothing newer.
    Lost(QualRef),
    /// 3 無効（新しい資格あり）.
    NewerExists {
        /// The qualification the keys found.
        searched: QualRef,
        /// The qualification valid on the date.
        current: QualRef,
    },
    /// 4 該当資格なし.
    NotFound,
    /// 5 複数該当.
    Multiple(Vec<QualRef>),
}

impl Decision {
    /// The OQSCD006 value.
    pub fn validity(&self) -> QualificationValidity {
        match self {
            Decision::Valid(_) => QualificationValidity::Valid,
            Decision::Lost(_) => QualificationValidity::Invalid,
            Decision::NewerExists { .. } => QualificationValidity::InvalidNewerExists,
            Decision::NotFound => QualificationValidity::NotFound,
            Decision::Multiple(_) => QualificationValidity::MultipleMatches,
        }
    }
}

/// The qualifications the keys in `query` match, whatever the date: the insurer's
/// qualifications whose 番号, 記号, 枝番 (when given) and the person's 生年月日 are those typed.
pub fn matching(pop: &Population, query: &CardQuery) -> Vec<QualRef> {
    pop.candidates(&query.insurer, &query.number)
        .iter()
        .copied()
        .filter(|&r| {
            let q = pop.qualification(r);
            let symbol = q
                .card
                .symbol
                .as_deref()
                .map(normalize_key)
                .filter(|s| !s.is_empty());
            symbol == query.symbol
                && query.branch.as_ref().is_none_or(|b| *b == q.card.branch)
                && pop.person(r).birthdate == query.birthdate
        })
        .collect()
}

/// Decides eligibility of the keys in `query` on `on`.
pub fn decide(pop: &Population, query: &CardQuery, on: NaiveDate) -> Decision {
    let matched = matching(pop, query);
    let Some(&first) = matched.first() else {
        return Decision::NotFound;
    };
    if matched.iter().any(|r| r.person != first.person) {
        return Decision::Multiple(matched);
    }
    // One person. Prefer the matched qualification valid on the date, else the latest one that
    // had started by then.
    let person = pop.person(first);
    if let Some(&r) = matched
        .iter()
        .find(|&&r| pop.qualification(r).is_active_on(on))
    {
        return Decision::Valid(r);
    }
    let Some(&searched) = matched
        .iter()
        .filter(|&&r| pop.qualification(r).acquired <= on)
        .max_by_key(|&&r| pop.qualification(r).acquired)
    else {
        return Decision::NotFound;
    };
    match pop.qualification(searched).standing_on(on) {
        Standing::Lost(_) => {
            let current = person
                .qualifications
                .iter()
                .enumerate()
                .filter(|(_, q)| q.is_active_on(on))
                .max_by_key(|(_, q)| q.acquired)
                .map(|(i, _)| QualRef {
                    person: first.person,
                    qualification: i as u16,
                });
            match current {
                Some(current) => Decision::NewerExists { searched, current },
                None => Decision::Lost(searched),
            }
        }
        Standing::Active => Decision::Valid(searched),
        Standing::NotYetAcquired => Decision::NotFound,
    }
}
