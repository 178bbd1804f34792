//! The routing report: per claim the insurer valid on each visit date, the parts a claim was
//! transferred (振替) or split (分割) into, what could not be resolved (返戻), and a notice per
//! facility in the shape of the 増減点連絡書 / 返戻・振替 notices.
//!
//! The real notices' layout is the 審査支払機関's and is not public; the fields here are this
//! simulator's own choice \[I\] (documented in the README), and the reason texts are configurable.

use serde::{Deserialize, Serialize};

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingReport {
    /// Counts and totals.
    pub summary: ReportSummary,
    /// One outcome per claim, in input order.
    pub claims: Vec<ClaimOutcome>,
    /// The claims with points that could not be routed (返戻), with the reason; also in `claims`.
    pub unresolvable: Vec<UnresolvableClaim>,
    /// One notice per facility that has any change, by 医療機関コード.
    pub notices: Vec<FacilityNotice>,
}

/// Counts and totals of a report. `points_billed` = `points_routed` + `points_unresolved`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    /// Claims read.
    pub claims: u64,
    /// Claims left with the billed insurer.
    pub unchanged: u64,
    /// Claims moved whole to another insurer (振替).
    pub transferred: u64,
    /// Claims split across insurers (分割).
    pub split: u64,
    /// Claims with no visit that could be routed (返戻 of the whole claim).
    pub returned: u64,
    /// Claims with some visits routed and some not.
    pub partly_returned: u64,
    /// Points billed in all.
    pub points_billed: u64,
    /// Points routed to an insurer.
    pub points_routed: u64,
    /// Points that could not be routed.
    pub points_unresolved: u64,
}

/// What happened to one claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimOutcome {
    /// The claim's id.
    pub claim_id: String,
    /// 医療機関コード.
    pub facility: String,
    /// 診療年月.
    pub service_month: String,
    /// 保険者番号 billed (8 characters, 6-digit numbers space-padded).
    pub billed_insurer: String,
    /// `unchanged`, `transferred` (振替), `split` (分割), `returned` (返戻) or `partly-returned`.
    pub outcome: String,
    /// 変更なし, 振替, 分割, 返戻, 一部返戻.
    pub outcome_label: String,
    /// The person the keys identify (a synthetic id), when one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// Points billed.
    pub points_billed: u64,
    /// The claim as routed: one part per insurer (and card) valid on its visit dates.
    pub parts: Vec<RoutedPart>,
    /// Visits that could not be routed, with the reason.
    pub unresolved: Vec<UnresolvedVisit>,
}

/// The visits of a claim that go to one insurer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutedPart {
    /// 保険者番号 (8 characters).
    pub insurer_number: String,
    /// 保険者名称.
    pub insurer_name: String,
    /// 記号 of the card of that qualification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// 番号.
    pub number: String,
    /// 枝番.
    pub branch: String,
    /// 資格取得年月日.
    pub qualification_date: String,
    /// 資格喪失年月日, when lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disqualification_date: Option<String>,
    /// Whether this part moved away from the billed insurer.
    pub changed: bool,
    /// The visit dates and their points.
    pub visits: Vec<RoutedVisit>,
    /// Points of the part.
    pub points: u64,
}

/// A visit date with its points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutedVisit {
    /// 診療日.
    pub date: String,
    /// 点数.
    pub points: u64,
}

/// A visit that could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnresolvedVisit {
    /// 診療日.
    pub date: String,
    /// 点数.
    pub points: u64,
    /// Reason code (see [`NoticeEntry::reason_code`]).
    pub reason_code: String,
    /// Reason, in words.
    pub reason: String,
}

/// A claim with points that could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnresolvableClaim {
    /// The claim's id.
    pub claim_id: String,
    /// 医療機関コード.
    pub facility: String,
    /// Points not routed.
    pub points: u64,
    /// The dates not routed.
    pub dates: Vec<String>,
    /// Reason code of the first unresolved date.
    pub reason_code: String,
    /// Reason, in words.
    pub reason: String,
}

/// The notice to one facility (増減点連絡書 / 返戻・振替のお知らせ shape \[I\]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityNotice {
    /// 医療機関コード.
    pub facility: String,
    /// Title of the notice (configurable).
    pub title: String,
    /// One entry per change, by claim and then by part.
    pub entries: Vec<NoticeEntry>,
    /// Points billed by the facility in the claims of this notice.
    pub points_billed: u64,
    /// Points moved to another insurer.
    pub points_transferred: u64,
    /// Points returned (not routed).
    pub points_returned: u64,
}

/// One line of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeEntry {
    /// The claim's id.
    pub claim_id: String,
    /// 診療年月.
    pub service_month: String,
    /// 患者氏名 (synthetic), when the person was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_name: Option<String>,
    /// 生年月日 as billed.
    pub birthdate: String,
    /// 区分: 振替, 分割 or 返戻.
    pub change: String,
    /// `transfer`, `split` or `return`.
    pub change_code: String,
    /// 請求保険者番号 (8 characters).
    pub billed_insurer: String,
    /// 決定保険者番号: where the points go (absent for 返戻).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_insurer: Option<String>,
    /// 決定保険者名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_insurer_name: Option<String>,
    /// The decided card's 記号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_symbol: Option<String>,
    /// The decided card's 番号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_number: Option<String>,
    /// The decided card's 枝番.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_branch: Option<String>,
    /// The visit dates concerned.
    pub visit_dates: Vec<String>,
    /// 請求点数 of the claim.
    pub points_billed: u64,
    /// 点数 of this entry's dates.
    pub points: u64,
    /// 増減点数 for the billed insurer: minus the points moved or returned, 0 for the part of a
    /// split that stays.
    pub points_adjustment: i64,
    /// 事由 code \[I\]: `lost` (請求先の資格喪失後), `not-yet-acquired` (請求先の資格取得前),
    /// `other-insurer` (他の保険者の資格), `kept` (分割のうち請求先に残る分), `no-qualification`,
    /// `public-assistance` (生活保護: 医療扶助), `person-not-found`, `multiple-persons`,
    /// `insurer-number` (保険者番号誤り).
    pub reason_code: String,
    /// 事由, in words (configurable).
    pub reason: String,
}
