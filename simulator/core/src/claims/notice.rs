//! From routed visits to the report: per-claim parts, the unresolvable list and the notices.

use std::collections::BTreeMap;

use sim_messages::claims::Claim;
use sim_messages::claims::report::{
    ClaimOutcome, FacilityNotice, NoticeEntry, RoutedPart, RoutedVisit, UnresolvableClaim,
    UnresolvedVisit,
};

use super::NoticeTexts;
use super::route::{Reason, RoutedClaim, VisitRoute};
use crate::date::ymd;
use crate::insurer::InsurerNumber;
use crate::population::{Population, QualRef};
use crate::qualification::LossReason;

/// A claim's outcome with the reasons behind its parts.
pub(super) struct Built {
    pub outcome: ClaimOutcome,
    /// Per part of `outcome.parts`.
    pub part_reasons: Vec<Reason>,
    /// Per unresolved visit of `outcome.unresolved`.
    pub unresolved_reasons: Vec<Reason>,
}

fn loss_reason_label(r: LossReason) -> &'static str {
    match r {
        LossReason::Death => "死亡",
        LossReason::PublicAssistance => "生活保護受給開始",
        LossReason::OtherInsurance => "他の医療保険等の資格取得",
        LossReason::Other => "その他",
    }
}

fn insurer_label(pop: &Population, n: &InsurerNumber) -> String {
    match pop.insurer(n) {
        Some(i) => format!("{}（{}）", n.as_str(), i.name),
        None => n.as_str().to_owned(),
    }
}

/// The words of a reason; `to` is the insurer the points go to.
pub(super) fn text(texts: &NoticeTexts, reason: Reason, to: Option<&str>) -> String {
    let (template, date, loss, detail) = match reason {
        Reason::Lost(l) => (&texts.lost, Some(l.date), Some(l.reason), None),
        Reason::NotYetAcquired(d) => (&texts.not_yet_acquired, Some(d), None, None),
        Reason::OtherInsurer => (&texts.other_insurer, None, None, None),
        Reason::Kept => (&texts.kept, None, None, None),
        Reason::LostNothingNewer(l) => (
            &texts.no_qualification,
            Some(l.date),
            Some(l.reason),
            Some(format!(
                "{}に資格喪失（{}）、以後の資格なし",
                ymd(l.date),
                loss_reason_label(l.reason)
            )),
        ),
        Reason::BeforeFirst(d) => (
            &texts.no_qualification,
            Some(d),
            None,
            Some(format!("最初の資格取得は{}", ymd(d))),
        ),
        Reason::PublicAssistance(d) => (&texts.public_assistance, Some(d), None, None),
        Reason::PersonNotFound => (&texts.person_not_found, None, None, None),
        Reason::MultiplePersons => (&texts.multiple_persons, None, None, None),
        Reason::InsurerNumber => (&texts.insurer_number, None, None, None),
    };
    template
        .replace("{date}", &date.map(ymd).unwrap_or_default())
        .replace("{loss_reason}", loss.map(loss_reason_label).unwrap_or(""))
        .replace("{insurer}", to.unwrap_or(""))
        .replace("{detail}", detail.as_deref().unwrap_or(""))
}

/// The visits (date, points) of one part: its qualification and why it is there.
type Group = (QualRef, Reason, Vec<(chrono::NaiveDate, u64)>);

/// The outcome of one routed claim.
pub(super) fn outcome(
    pop: &Population,
    claim: &Claim,
    routed: &RoutedClaim,
    texts: &NoticeTexts,
) -> Built {
    // Parts by qualification, ordered by their first date; visits by date within a part.
    let mut groups: Vec<Group> = Vec::new();
    let mut unresolved = Vec::new();
    let mut unresolved_reasons = Vec::new();
    let mut visits: Vec<_> = routed.visits.clone();
    visits.sort_by_key(|v| v.0);
    for (date, points, route) in visits {
        match route {
            VisitRoute::To(r, reason) => match groups.iter_mut().find(|g| g.0 == r) {
                Some(g) => g.2.push((date, points)),
                None => groups.push((r, reason, vec![(date, points)])),
            },
            VisitRoute::Unresolved(reason) => {
                unresolved.push(UnresolvedVisit {
                    date: ymd(date),
                    points,
                    reason_code: reason.code().to_owned(),
                    reason: text(texts, reason, None),
                });
                unresolved_reasons.push(reason);
            }
        }
    }
    let billed = routed.billed.clone();
    let mut part_reasons = Vec::new();
    let parts: Vec<RoutedPart> = groups
        .into_iter()
        .map(|(r, reason, dates)| {
            let q = pop.qualification(r);
            part_reasons.push(reason);
            RoutedPart {
                insurer_number: q.insurer.to_wire(),
                insurer_name: pop
                    .insurer(&q.insurer)
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                symbol: q.card.symbol.clone(),
                number: q.card.number.clone(),
                branch: q.card.branch.clone(),
                qualification_date: ymd(q.acquired),
                disqualification_date: q.lost.map(|l| ymd(l.date)),
                changed: Some(&q.insurer) != billed.as_ref(),
                points: dates.iter().map(|d| d.1).sum(),
                visits: dates
                    .into_iter()
                    .map(|(date, points)| RoutedVisit {
                        date: ymd(date),
                        points,
                    })
                    .collect(),
            }
        })
        .collect();
    let (code, label) = if parts.is_empty() {
        ("returned", "返戻")
    } else if !unresolved.is_empty() {
        ("partly-returned", "一部返戻")
    } else if parts.len() > 1 {
        ("split", "分割")
    } else if parts[0].changed {
        ("transferred", "振替")
    } else {
        ("unchanged", "変更なし")
    };
    Built {
        outcome: ClaimOutcome {
            claim_id: claim.claim_id.clone(),
            facility: claim.facility.clone(),
            service_month: claim.service_month.clone(),
            billed_insurer: billed
                .as_ref()
                .map(InsurerNumber::to_wire)
                .unwrap_or_else(|| claim.billed_insurer.clone()),
            outcome: code.to_owned(),
            outcome_label: label.to_owned(),
            person_id: routed.person.map(|p| pop.persons()[p as usize].id.clone()),
            points_billed: claim.points(),
            parts,
            unresolved,
        },
        part_reasons,
        unresolved_reasons,
    }
}

/// Claims with unresolved points.
pub(super) fn unresolvable(built: &[Built]) -> Vec<UnresolvableClaim> {
    built
        .iter()
        .filter_map(|b| {
            let o = &b.outcome;
            let first = o.unresolved.first()?;
            Some(UnresolvableClaim {
                claim_id: o.claim_id.clone(),
                facility: o.facility.clone(),
                points: o.unresolved.iter().map(|v| v.points).sum(),
                dates: o.unresolved.iter().map(|v| v.date.clone()).collect(),
                reason_code: first.reason_code.clone(),
                reason: first.reason.clone(),
            })
        })
        .collect()
}

/// One notice per facility with any change, by 医療機関コード.
pub(super) fn notices(
    pop: &Population,
    claims: &[Claim],
    routed: &[RoutedClaim],
    built: &[Built],
    texts: &NoticeTexts,
) -> Vec<FacilityNotice> {
    let mut by_facility: BTreeMap<&str, FacilityNotice> = BTreeMap::new();
    for ((claim, r), b) in claims.iter().zip(routed).zip(built) {
        let o = &b.outcome;
        let split = o.parts.len() > 1;
        let mut entries = Vec::new();
        let patient_name = r.person.map(|p| pop.persons()[p as usize].name.clone());
        let entry = |change: (&str, &str),
                     part: Option<&RoutedPart>,
                     dates: Vec<String>,
                     points: u64,
                     adjustment: i64,
                     reason: Reason,
                     words: String| NoticeEntry {
            claim_id: o.claim_id.clone(),
            service_month: o.service_month.clone(),
            patient_name: patient_name.clone(),
            birthdate: claim.patient.birthdate.clone(),
            change: change.0.to_owned(),
            change_code: change.1.to_owned(),
            billed_insurer: o.billed_insurer.clone(),
            decided_insurer: part.map(|p| p.insurer_number.clone()),
            decided_insurer_name: part.map(|p| p.insurer_name.clone()),
            decided_symbol: part.and_then(|p| p.symbol.clone()),
            decided_number: part.map(|p| p.number.clone()),
            decided_branch: part.map(|p| p.branch.clone()),
            visit_dates: dates,
            points_billed: o.points_billed,
            points,
            points_adjustment: adjustment,
            reason_code: reason.code().to_owned(),
            reason: words,
        };
        for (part, &reason) in o.parts.iter().zip(&b.part_reasons) {
            if !split && !part.changed {
                continue;
            }
            let change = if split {
                ("分割", "split")
            } else {
                ("振替", "transfer")
            };
            let to = InsurerNumber::parse(&part.insurer_number)
                .map(|n| insurer_label(pop, &n))
                .unwrap_or_default();
            let adjustment = if part.changed {
                -(part.points as i64)
            } else {
                0
            };
            entries.push(entry(
                change,
                Some(part),
                part.visits.iter().map(|v| v.date.clone()).collect(),
                part.points,
                adjustment,
                reason,
                text(texts, reason, Some(&to)),
            ));
        }
        // Returned dates, one entry per reason.
        let mut by_reason: Vec<(Reason, Vec<&UnresolvedVisit>)> = Vec::new();
        for (v, &reason) in o.unresolved.iter().zip(&b.unresolved_reasons) {
            match by_reason.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, vs)) => vs.push(v),
                None => by_reason.push((reason, vec![v])),
            }
        }
        for (reason, vs) in by_reason {
            let points: u64 = vs.iter().map(|v| v.points).sum();
            entries.push(entry(
                ("返戻", "return"),
                None,
                vs.iter().map(|v| v.date.clone()).collect(),
                points,
                -(points as i64),
                reason,
                vs[0].reason.clone(),
            ));
        }
        if entries.is_empty() {
            continue;
        }
        let notice = by_facility
            .entry(claim.facility.as_str())
            .or_insert_with(|| FacilityNotice {
                facility: claim.facility.clone(),
                title: texts.title.clone(),
                entries: Vec::new(),
                points_billed: 0,
                points_transferred: 0,
                points_returned: 0,
            });
        notice.points_billed += o.points_billed;
        notice.points_transferred += o
            .parts
            .iter()
            .filter(|p| p.changed)
            .map(|p| p.points)
            .sum::<u64>();
        notice.points_returned += o.unresolved.iter().map(|v| v.points).sum::<u64>();
        notice.entries.extend(entries);
    }
    by_facility.into_values().collect()
}
