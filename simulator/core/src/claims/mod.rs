//! Claim re-routing (レセプトの振替・分割): the review and payment bodies (審査支払機関) look up
//! which insurer was valid on each **visit date** of a claim and move the claim's points there.
//!
//! - [`route`] identifies the patient from the keys as billed (保険者番号, 記号, 番号, 枝番,
//!   生年月日: the matching of [`crate::eligibility::matching`], whatever the date), then for each
//!   visit date takes the qualification valid that day from the person's history — the billed
//!   card when it is valid, else another of the billed insurer, else the latest acquired.
//! - A claim whose dates all fall to one other insurer is transferred whole (振替); dates falling
//!   to several insurers split it (分割, e.g. a job change mid-month); dates with no
//!   qualification (lost with nothing newer, before the first, 生活保護) or a patient not found
//!   are returned (返戻) with the reason, never dropped. Points are preserved: billed = routed +
//!   unresolved, for every claim and in all ([`RoutingError::Totals`] if not — a bug).
//! - A notice per facility lists every change and why (`notice.rs`), in the shape of the
//!   増減点連絡書 / 返戻・振替 notices \[I\]; its texts are [`NoticeTexts`] (configurable).
//!
//! Sans-IO and clock-free: claims in (wire types of `sim_messages::claims`), report out.

mod notice;
mod route;

use sim_messages::claims::Claim;
use sim_messages::claims::report::{ReportSummary, RoutingReport};

use crate::population::Population;

pub use route::{Reason, RoutedClaim, VisitRoute, route_claim};

/// Texts of the notices \[I\]: the real wording is the 審査支払機関's. Placeholders: `{date}`
/// (yyyyMMdd), `{loss_reason}`, `{insurer}` (保険者番号 and name), `{detail}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeTexts {
    /// Title of every notice.
    pub title: String,
    /// A part moved because the billed card was lost before its dates (`lost`).
    pub lost: String,
    /// A part moved because the billed card was not yet acquired on its dates.
    pub not_yet_acquired: String,
    /// A part moved because another insurer was valid (the billed insurer was not the card's).
    pub other_insurer: String,
    /// The part of a split that stays with the billed insurer.
    pub kept: String,
    /// Dates with no qualification at all.
    pub no_qualification: String,
    /// Dates after the qualification was lost when 生活保護 started.
    pub public_assistance: String,
    /// Nobody has the billed keys.
    pub person_not_found: String,
    /// Several persons have the billed keys.
    pub multiple_persons: String,
    /// The billed 保険者番号 has a wrong 検証番号 (and nobody has the keys).
    pub insurer_number: String,
}

impl Default for NoticeTexts {
    fn default() -> Self {
        NoticeTexts {
            title: "増減点連絡書（資格関係：振替・分割・返戻）（模擬）".into(),
            lost: "受診日は請求先保険者の資格喪失（{date}、{loss_reason}）後のため、受診日に資格のある{insurer}へ振り替えます".into(),
            not_yet_acquired: "受診日は請求先保険者の資格取得（{date}）前のため、受診日に資格のある{insurer}へ振り替えます".into(),
            other_insurer: "受診日に資格のある保険者は請求先と異なるため、{insurer}へ振り替えます".into(),
            kept: "受診日に請求先保険者の資格があるため、請求先に残ります".into(),
            no_qualification: "受診日に有効な医療保険の資格がありません（{detail}）".into(),
            public_assistance: "受診日は生活保護受給開始（{date}）による資格喪失後です。医療扶助として福祉事務所へ請求してください".into(),
            person_not_found: "請求の保険者番号・記号・番号・生年月日に該当する被保険者がいません".into(),
            multiple_persons: "請求の記号・番号・生年月日に複数の被保険者が該当します（枝番を記載してください）".into(),
            insurer_number: "請求の保険者番号の検証番号が誤っています".into(),
        }
    }
}

/// Why a routing could not be reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoutingError {
    /// Points were not preserved (an internal error: never expected).
    #[error(
        "claim {claim_id}: {billed} points billed but {routed} routed and {unresolved} unresolved"
    )]
    Totals {
        /// The claim.
        claim_id: String,
        /// Billed.
        billed: u64,
        /// Routed.
        routed: u64,
        /// Unresolved.
        unresolved: u64,
    },
}

/// Routes every claim and writes the notices.
pub fn route(
    pop: &Population,
    claims: &[Claim],
    texts: &NoticeTexts,
) -> Result<RoutingReport, RoutingError> {
    let routed: Vec<RoutedClaim> = claims.iter().map(|c| route_claim(pop, c)).collect();
    let mut built = Vec::with_capacity(claims.len());
    let mut summary = ReportSummary::default();
    for (claim, r) in claims.iter().zip(&routed) {
        let b = notice::outcome(pop, claim, r, texts);
        let outcome = &b.outcome;
        let billed = claim.points();
        let routed_points: u64 = outcome.parts.iter().map(|p| p.points).sum();
        let unresolved: u64 = outcome.unresolved.iter().map(|v| v.points).sum();
        if billed != routed_points + unresolved || outcome.points_billed != billed {
            return Err(RoutingError::Totals {
                claim_id: claim.claim_id.clone(),
                billed,
                routed: routed_points,
                unresolved,
            });
        }
        summary.claims += 1;
        match outcome.outcome.as_str() {
            "unchanged" => summary.unchanged += 1,
            "transferred" => summary.transferred += 1,
            "split" => summary.split += 1,
            "returned" => summary.returned += 1,
            _ => summary.partly_returned += 1,
        }
        summary.points_billed += billed;
        summary.points_routed += routed_points;
        summary.points_unresolved += unresolved;
        built.push(b);
    }
    let unresolvable = notice::unresolvable(&built);
    let notices = notice::notices(pop, claims, &routed, &built, texts);
    tracing::info!(
        claims = summary.claims,
        transferred = summary.transferred,
        split = summary.split,
        returned = summary.returned + summary.partly_returned,
        "claims routed"
    );
    Ok(RoutingReport {
        summary,
        claims: built.into_iter().map(|b| b.outcome).collect(),
        unresolvable,
        notices,
    })
}

#[cfg(test)]
mod tests;
