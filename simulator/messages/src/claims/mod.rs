//! Claims (レセプト) to re-route by the eligibility on each visit date (`simulator claims route`,
//! `POST /claims/route`): the input in JSON or CSV, and the routing report
//! ([`report`]). This is the simulator's own interface (the 審査支払機関's internal formats are not
//! public); the field names are documented in the README's "Claim re-routing" section.
//!
//! Reading checks the *shape* of every value (10-digit 医療機関コード, `yyyyMM` service month,
//! `yyyyMMdd` dates within that month, points as whole numbers) and names the position of the
//! first problem: `line L, column C` for JSON, `line L` (every bad row) for CSV. What the values
//! mean (who the patient is, which insurer was valid) is decided in `sim-core`.
//!
//! JSON, either `{"claims": [claim, …]}` or a bare array of claims:
//!
//! ```json
//! {"claims": [{"claim_id": "R-0001", "facility": "1311234567", "service_month": "202610",
//!   "patient": {"insurer_number": "06139018", "symbol": "5001", "number": "234",
//!               "branch": "00", "birthdate": "19901102"},
//!   "billed_insurer": "06139018",
//!   "visits": [{"date": "20261005", "points": 120}, {"date": "20261019", "points": 85}]}]}
//! ```
//!
//! CSV, one row per visit, with a header row naming the columns (any order): `claim_id,
//! facility, service_month, insurer_number, symbol, number, branch, birthdate, billed_insurer,
//! visit_date, points` (`symbol`, `branch` and `billed_insurer` may be empty or left out). Rows of
//! one claim share its `claim_id` and must agree on the claim's other columns.

mod csv_input;
pub mod report;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use csv_input::read_csv;

/// Most visits in one claim and most claims in one input (a month's claims of a large hospital
/// stay far below).
pub const MAX_VISITS_PER_CLAIM: usize = 31 * 50;
/// Most claims in one input.
pub const MAX_CLAIMS: usize = 1_000_000;
/// Most points of one visit (点数 of a day; anything larger is a typing error).
pub const MAX_POINTS_PER_VISIT: u64 = 99_999_999;

/// The input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsFormat {
    /// `{"claims": […]}` or `[…]`.
    Json,
    /// One row per visit, with a header row.
    Csv,
}

impl ClaimsFormat {
    /// `json` or `csv`.
    pub fn parse(s: &str) -> Option<ClaimsFormat> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Some(ClaimsFormat::Json),
            "csv" => Some(ClaimsFormat::Csv),
            _ => None,
        }
    }
}

/// A claim as billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawClaim")]
pub struct Claim {
    /// The claim's identifier (レセプト番号 or the sender's own), unique in the input.
    pub claim_id: String,
    /// 医療機関コード (10 digits).
    pub facility: String,
    /// 診療年月, `yyyyMM`.
    pub service_month: String,
    /// The patient's keys as billed.
    pub patient: PatientKeys,
    /// 保険者番号 billed (as written; the patient's `insurer_number` when not given).
    pub billed_insurer: String,
    /// Visit dates with points, in input order.
    pub visits: Vec<Visit>,
}

/// The patient's keys as billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientKeys {
    /// 保険者番号 (6 or 8 digits, space- or zero-padded accepted).
    pub insurer_number: String,
    /// 記号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// 番号.
    pub number: String,
    /// 枝番.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// 生年月日, `yyyyMMdd`.
    pub birthdate: String,
}

/// One visit date of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// 診療日, `yyyyMMdd`.
    pub date: String,
    /// 点数 of that date.
    pub points: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    claim_id: String,
    facility: String,
    service_month: String,
    patient: PatientKeys,
    #[serde(default)]
    billed_insurer: Option<String>,
    visits: Vec<Visit>,
}

impl TryFrom<RawClaim> for Claim {
    type Error = String;
    fn try_from(raw: RawClaim) -> Result<Claim, String> {
        let claim = Claim {
            billed_insurer: raw
                .billed_insurer
                .filter(|b| !b.trim().is_empty())
                .unwrap_or_else(|| raw.patient.insurer_number.clone()),
            claim_id: raw.claim_id,
            facility: raw.facility,
            service_month: raw.service_month,
            patient: raw.patient,
            visits: raw.visits,
        };
        claim
            .check()
            .map_err(|e| format!("claim {:?}: {e}", claim.claim_id))?;
        Ok(claim)
    }
}

impl Claim {
    /// Checks the shape of every value; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        check_claim_fields(
            &self.claim_id,
            &self.facility,
            &self.service_month,
            &self.patient,
            &self.billed_insurer,
        )?;
        if self.visits.is_empty() {
            return Err("`visits` is empty: a claim has at least one visit date".into());
        }
        if self.visits.len() > MAX_VISITS_PER_CLAIM {
            return Err(format!(
                "{} visits, more than the {MAX_VISITS_PER_CLAIM} a claim may have",
                self.visits.len()
            ));
        }
        for (i, v) in self.visits.iter().enumerate() {
            check_visit(&v.date, v.points, &self.service_month)
                .map_err(|e| format!("visits[{i}]: {e}"))?;
        }
        Ok(())
    }

    /// Points billed in all.
    pub fn points(&self) -> u64 {
        self.visits.iter().map(|v| v.points).sum()
    }
}

pub(crate) fn check_claim_fields(
    claim_id: &str,
    facility: &str,
    month: &str,
    patient: &PatientKeys,
    billed: &str,
) -> Result<(), String> {
    if claim_id.trim().is_empty() || claim_id.chars().count() > 64 {
        return Err(format!("`claim_id` {claim_id:?}: 1 to 64 characters"));
    }
    if !(facility.len() == 10 && facility.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!(
            "`facility` {facility:?}: a 医療機関コード has 10 digits"
        ));
    }
    if parse_month(month).is_none() {
        return Err(format!("`service_month` {month:?}: expected yyyyMM"));
    }
    for (name, v) in [
        ("insurer_number", &patient.insurer_number[..]),
        ("billed_insurer", billed),
    ] {
        if !is_insurer_shape(v) {
            return Err(format!(
                "`{name}` {v:?}: an insurer number has 6 or 8 digits"
            ));
        }
    }
    if patient.number.trim().is_empty() || patient.number.chars().count() > 20 {
        return Err(format!("`number` {:?}: 1 to 20 characters", patient.number));
    }
    if let Some(s) = &patient.symbol
        && s.chars().count() > 20
    {
        return Err(format!("`symbol` {s:?}: at most 20 characters"));
    }
    if let Some(b) = &patient.branch {
        let b = b.trim();
        if !(b.is_empty() || (b.len() <= 2 && b.bytes().all(|c| c.is_ascii_digit()))) {
            return Err(format!("`branch` {b:?}: a 枝番 has 1 or 2 digits"));
        }
    }
    if parse_ymd(&patient.birthdate).is_none() {
        return Err(format!(
            "`birthdate` {:?}: expected yyyyMMdd",
            patient.birthdate
        ));
    }
    Ok(())
}

pub(crate) fn check_visit(date: &str, points: u64, month: &str) -> Result<(), String> {
    if parse_ymd(date).is_none() {
        return Err(format!("visit date {date:?}: expected yyyyMMdd"));
    }
    if !date.starts_with(month) {
        return Err(format!(
            "visit date {date} is outside the service month {month}"
        ));
    }
    if points > MAX_POINTS_PER_VISIT {
        return Err(format!(
            "{points} points on {date}: more than {MAX_POINTS_PER_VISIT}"
        ));
    }
    Ok(())
}

fn is_insurer_shape(v: &str) -> bool {
    let t = v.trim_matches(' ');
    (t.len() == 6 || t.len() == 8) && t.bytes().all(|b| b.is_ascii_digit())
}

/// `(year, month)` of a `yyyyMM`.
pub fn parse_month(s: &str) -> Option<(u32, u32)> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: u32 = s[..4].parse().ok()?;
    let month: u32 = s[4..].parse().ok()?;
    ((1..=12).contains(&month) && year >= 1900).then_some((year, month))
}

/// `(year, month, day)` of a calendar-valid `yyyyMMdd`.
pub fn parse_ymd(s: &str) -> Option<(u32, u32, u32)> {
    if s.len() != 8 {
        return None;
    }
    let (year, month) = parse_month(&s[..6])?;
    if !s[6..].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day: u32 = s[6..].parse().ok()?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

/// Why claims could not be read. Nothing is routed when the input is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ClaimsInputError {
    /// Every problem found (JSON stops at the first; CSV lists every bad row, up to 50).
    pub problems: Vec<InputProblem>,
}

/// One problem, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column (JSON only).
    pub column: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl fmt::Display for ClaimsInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl ClaimsInputError {
    pub(crate) fn one(line: Option<u64>, column: Option<u64>, message: impl Into<String>) -> Self {
        ClaimsInputError {
            problems: vec![InputProblem {
                line,
                column,
                message: message.into(),
            }],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped {
    claims: Vec<Claim>,
}

/// Reads claims in `format`.
pub fn read(bytes: &[u8], format: ClaimsFormat) -> Result<Vec<Claim>, ClaimsInputError> {
    match format {
        ClaimsFormat::Json => read_json(bytes),
        ClaimsFormat::Csv => read_csv(bytes),
    }
}

/// Reads `{"claims": […]}` or `[…]`.
pub fn read_json(bytes: &[u8]) -> Result<Vec<Claim>, ClaimsInputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        ClaimsInputError::one(Some(line), None, "not UTF-8 (JSON claims are UTF-8)")
    })?;
    let first = text.trim_start().as_bytes().first().copied();
    let claims = match first {
        Some(b'[') => serde_json::from_str::<Vec<Claim>>(text),
        Some(b'{') => serde_json::from_str::<Wrapped>(text).map(|w| w.claims),
        None => return Err(ClaimsInputError::one(None, None, "the input is empty")),
        Some(_) => {
            return Err(ClaimsInputError::one(
                Some(1),
                None,
                "expected a JSON object {\"claims\": […]} or an array of claims",
            ));
        }
    }
    .map_err(|e| json_error(&e))?;
    check_all(&claims, |_| None)?;
    Ok(claims)
}

fn json_error(e: &serde_json::Error) -> ClaimsInputError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    ClaimsInputError::one(
        (e.line() > 0).then_some(e.line() as u64),
        (e.column() > 0).then_some(e.column() as u64),
        message,
    )
}

/// Checks what spans claims: unique ids, the number of claims.
pub(crate) fn check_all(
    claims: &[Claim],
    line_of: impl Fn(usize) -> Option<u64>,
) -> Result<(), ClaimsInputError> {
    if claims.is_empty() {
        return Err(ClaimsInputError::one(None, None, "no claims in the input"));
    }
    if claims.len() > MAX_CLAIMS {
        return Err(ClaimsInputError::one(
            None,
            None,
            format!(
                "{} claims, more than the {MAX_CLAIMS} one input may have",
                claims.len()
            ),
        ));
    }
    let mut seen = std::collections::HashMap::new();
    for (i, c) in claims.iter().enumerate() {
        if let Some(first) = seen.insert(c.claim_id.as_str(), i) {
            return Err(ClaimsInputError::one(
                line_of(i),
                None,
                format!(
                    "claim_id {:?} appears twice (claims {} and {}): each claim needs its own id",
                    c.claim_id,
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
