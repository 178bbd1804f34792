//! Claims in CSV: one row per visit, grouped into claims by `claim_id`.

use std::collections::HashMap;

use serde::Deserialize;

use super::{
    Claim, ClaimsInputError, InputProblem, PatientKeys, Visit, check_all, check_claim_fields,
    check_visit,
};

/// Most problems reported at once.
const MAX_PROBLEMS: usize = 50;

#[derive(Debug, Deserialize)]
struct Row {
    claim_id: String,
    facility: String,
    service_month: String,
    insurer_number: String,
    #[serde(default)]
    symbol: Option<String>,
    number: String,
    #[serde(default)]
    branch: Option<String>,
    birthdate: String,
    #[serde(default)]
    billed_insurer: Option<String>,
    visit_date: String,
    points: String,
}

fn empty_none(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// Reads CSV claims (UTF-8, an optional BOM, a header row). Every bad row is reported with its
/// line, up to 50.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Claim>, ClaimsInputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ClaimsInputError::one(None, None, "the input is empty"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .flexible(false)
        .from_reader(bytes);
    let header_record = reader.headers().map_err(|e| csv_error(&e))?.clone();
    let headers = header_record.iter().map(str::to_owned).collect::<Vec<_>>();
    for required in [
        "claim_id",
        "facility",
        "service_month",
        "insurer_number",
        "number",
        "birthdate",
        "visit_date",
        "points",
    ] {
        if !headers.iter().any(|h| h == required) {
            return Err(ClaimsInputError::one(
                Some(1),
                None,
                format!(
                    "the header row has no `{required}` column (columns: claim_id, facility, service_month, insurer_number, symbol, number, branch, birthdate, billed_insurer, visit_date, points)"
                ),
            ));
        }
    }
    let mut problems = Vec::new();
    let mut claims: Vec<Claim> = Vec::new();
    let mut first_line: Vec<u64> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for result in reader.records() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let record = match result {
            Ok(record) => record,
            Err(e) => {
                problems.extend(csv_error(&e).problems);
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let row = match record.deserialize::<Row>(Some(&header_record)) {
            Ok(row) => row,
            Err(e) => {
                let mut p = csv_error(&e).problems;
                for p in &mut p {
                    p.line = Some(line);
                }
                problems.extend(p);
                continue;
            }
        };
        let problem = |message: String| InputProblem {
            line: Some(line),
            column: None,
            message,
        };
        let Ok(points) = row.points.trim().parse::<u64>() else {
            problems.push(problem(format!(
                "claim {:?}: points {:?} is not a whole number",
                row.claim_id, row.points
            )));
            continue;
        };
        let patient = PatientKeys {
            insurer_number: row.insurer_number,
            symbol: empty_none(row.symbol),
            number: row.number,
            branch: empty_none(row.branch),
            birthdate: row.birthdate,
        };
        let billed =
            empty_none(row.billed_insurer).unwrap_or_else(|| patient.insurer_number.clone());
        let claim_id = row.claim_id.trim().to_owned();
        if let Err(e) = check_claim_fields(
            &claim_id,
            &row.facility,
            &row.service_month,
            &patient,
            &billed,
        )
        .and_then(|()| check_visit(row.visit_date.trim(), points, &row.service_month))
        {
            problems.push(problem(format!("claim {claim_id:?}: {e}")));
            continue;
        }
        let visit = Visit {
            date: row.visit_date.trim().to_owned(),
            points,
        };
        match by_id.get(&claim_id) {
            Some(&i) => {
                let c = &mut claims[i];
                let disagrees = [
                    ("facility", c.facility != row.facility),
                    ("service_month", c.service_month != row.service_month),
                    (
                        "insurer_number",
                        c.patient.insurer_number != patient.insurer_number,
                    ),
                    ("symbol", c.patient.symbol != patient.symbol),
                    ("number", c.patient.number != patient.number),
                    ("branch", c.patient.branch != patient.branch),
                    ("birthdate", c.patient.birthdate != patient.birthdate),
                    ("billed_insurer", c.billed_insurer != billed),
                ]
                .into_iter()
                .find(|(_, d)| *d);
                if let Some((column, _)) = disagrees {
                    problems.push(problem(format!(
                        "claim {claim_id:?}: `{column}` differs from its first row (line {}); the rows of one claim must agree on everything but visit_date and points",
                        first_line[i]
                    )));
                    continue;
                }
                if c.visits.len() >= super::MAX_VISITS_PER_CLAIM {
                    problems.push(problem(format!(
                        "claim {claim_id:?}: more than {} visits",
                        super::MAX_VISITS_PER_CLAIM
                    )));
                    continue;
                }
                c.visits.push(visit);
            }
            None => {
                by_id.insert(claim_id.clone(), claims.len());
                first_line.push(line);
                claims.push(Claim {
                    claim_id,
                    facility: row.facility,
                    service_month: row.service_month,
                    patient,
                    billed_insurer: billed,
                    visits: vec![visit],
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(ClaimsInputError { problems });
    }
    check_all(&claims, |i| first_line.get(i).copied())?;
    Ok(claims)
}

fn csv_error(e: &csv::Error) -> ClaimsInputError {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header row has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 (CSV claims are UTF-8)".to_owned(),
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(f) => format!("column {}: {}", f + 1, err.kind()),
            None => err.kind().to_string(),
        },
        _ => e.to_string(),
    };
    ClaimsInputError::one(line, None, message)
}
