//! The insurer valid on each visit date of one claim.

use chrono::NaiveDate;
use sim_messages::claims::Claim;

use crate::date::parse_ymd;
use crate::eligibility::{CardQuery, matching};
use crate::insurer::InsurerNumber;
use crate::keys::{normalize_branch, normalize_key};
use crate::population::{Population, QualRef};
use crate::qualification::{Loss, Standing};

/// Why a visit cannot be routed, or why it moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Moved: the billed card was lost before the date.
    Lost(Loss),
    /// Moved: the billed card was not yet acquired on the date (acquired then).
    NotYetAcquired(NaiveDate),
    /// Moved: the billed insurer is not the card's, and another insurer was valid.
    OtherInsurer,
    /// Stays with the billed insurer (the kept part of a split).
    Kept,
    /// No qualification on the date: lost (with nothing newer) …
    LostNothingNewer(Loss),
    /// … or before the person's first qualification (acquired then).
    BeforeFirst(NaiveDate),
    /// Lost when 生活保護 started (医療扶助 from then on).
    PublicAssistance(NaiveDate),
    /// Nobody has the keys.
    PersonNotFound,
    /// Several persons have the keys (e.g. twins billed without 枝番).
    MultiplePersons,
    /// Nobody has the keys, and the billed 保険者番号's 検証番号 is wrong.
    InsurerNumber,
}

impl Reason {
    /// The reason code of the report.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Lost(_) => "lost",
            Reason::NotYetAcquired(_) => "not-yet-acquired",
            Reason::OtherInsurer => "other-insurer",
            Reason::Kept => "kept",
            Reason::LostNothingNewer(_) | Reason::BeforeFirst(_) => "no-qualification",
            Reason::PublicAssistance(_) => "public-assistance",
            Reason::PersonNotFound => "person-not-found",
            Reason::MultiplePersons => "multiple-persons",
            Reason::InsurerNumber => "insurer-number",
        }
    }
}

/// Where one visit goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitRoute {
    /// To this qualification; the reason says why, when it is not the billed insurer.
    To(QualRef, Reason),
    /// Nowhere.
    Unresolved(Reason),
}

/// A claim's visits, routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedClaim {
    /// The person found, by index.
    pub person: Option<u32>,
    /// The billed insurer, parsed.
    pub billed: Option<InsurerNumber>,
    /// Per visit of the claim (same order): date, points, route.
    pub visits: Vec<(NaiveDate, u64, VisitRoute)>,
}

/// Routes one claim (the claim's values were checked when it was read).
pub fn route_claim(pop: &Population, claim: &Claim) -> RoutedClaim {
    let billed = InsurerNumber::parse(&claim.billed_insurer).ok();
    let dates: Vec<(NaiveDate, u64)> = claim
        .visits
        .iter()
        .map(|v| (parse_ymd(&v.date).unwrap_or_default(), v.points))
        .collect();
    let all = |reason: Reason| RoutedClaim {
        person: None,
        billed: billed.clone(),
        visits: dates
            .iter()
            .map(|&(d, p)| (d, p, VisitRoute::Unresolved(reason)))
            .collect(),
    };
    let keys = &claim.patient;
    let (Ok(insurer), Some(birthdate)) = (
        InsurerNumber::parse(&keys.insurer_number),
        parse_ymd(&keys.birthdate),
    ) else {
        return all(Reason::PersonNotFound);
    };
    let query = CardQuery {
        symbol: keys
            .symbol
            .as_deref()
            .map(normalize_key)
            .filter(|s| !s.is_empty()),
        number: normalize_key(&keys.number),
        branch: keys.branch.as_deref().and_then(normalize_branch),
        birthdate,
        insurer: insurer.clone(),
    };
    let matched = matching(pop, &query);
    let Some(&first) = matched.first() else {
        return all(if insurer.has_valid_check_digit() {
            Reason::PersonNotFound
        } else {
            Reason::InsurerNumber
        });
    };
    if matched.iter().any(|r| r.person != first.person) {
        return all(Reason::MultiplePersons);
    }
    let person = &pop.persons()[first.person as usize];
    let qref = |i: usize| QualRef {
        person: first.person,
        qualification: i as u16,
    };
    let visits = dates
        .iter()
        .map(|&(d, points)| {
            let active: Vec<usize> = person
                .qualifications
                .iter()
                .enumerate()
                .filter(|(_, q)| q.is_active_on(d))
                .map(|(i, _)| i)
                .collect();
            let chosen = active
                .iter()
                .copied()
                .find(|&i| matched.contains(&qref(i)))
                .or_else(|| {
                    active
                        .iter()
                        .copied()
                        .find(|&i| Some(&person.qualifications[i].insurer) == billed.as_ref())
                })
                .or_else(|| {
                    active
                        .iter()
                        .copied()
                        .max_by_key(|&i| person.qualifications[i].acquired)
                });
            // The billed card: the matched qualification started latest by the date, else the
            // first matched.
            let searched = matched
                .iter()
                .copied()
                .filter(|&r| pop.qualification(r).acquired <= d)
                .max_by_key(|&r| pop.qualification(r).acquired)
                .unwrap_or(first);
            let searched_q = pop.qualification(searched);
            let route = match chosen {
                Some(i) => {
                    let q = &person.qualifications[i];
                    let reason = if Some(&q.insurer) == billed.as_ref() {
                        Reason::Kept
                    } else {
                        match searched_q.standing_on(d) {
                            Standing::Lost(loss) => Reason::Lost(loss),
                            Standing::NotYetAcquired => Reason::NotYetAcquired(searched_q.acquired),
                            Standing::Active => Reason::OtherInsurer,
                        }
                    };
                    VisitRoute::To(qref(i), reason)
                }
                None => {
                    // No qualification that day: say what the history shows nearest to it.
                    let lost_before = person
                        .qualifications
                        .iter()
                        .filter_map(|q| q.lost)
                        .filter(|l| l.date <= d)
                        .max_by_key(|l| l.date);
                    let reason = match lost_before {
                        Some(l)
                            if l.reason == crate::qualification::LossReason::PublicAssistance =>
                        {
                            Reason::PublicAssistance(l.date)
                        }
                        Some(l) => Reason::LostNothingNewer(l),
                        None => Reason::BeforeFirst(
                            person
                                .qualifications
                                .iter()
                                .map(|q| q.acquired)
                                .min()
                                .unwrap_or(searched_q.acquired),
                        ),
                    };
                    VisitRoute::Unresolved(reason)
                }
            };
            (d, points, route)
        })
        .collect();
    RoutedClaim {
        person: Some(first.person),
        billed,
        visits,
    }
}
