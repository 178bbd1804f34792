//! The disaster-mode steps of `simulator scenario run` (`sim_scenario::disaster`): they drive the
//! same [`super::Disaster`] as the API and the console, on the scenario's virtual clock. The
//! operator in a scenario is named `scenario`.

use sim_scenario::disaster::{DisasterExpect, DisasterStep};

use super::{Actor, OpError};
use crate::http::disaster::QueryBody;
use crate::shared::Shared;

fn reason(e: &OpError) -> String {
    match e {
        OpError::Refused(r) => r.id().to_owned(),
        OpError::UnknownFacility(_) => "unknown-facility".to_owned(),
        other => format!("error: {other}"),
    }
}

/// `7d`, `36h`, `90m`, `45s`.
fn human(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn latest(shared: &Shared) -> Result<u32, String> {
    shared
        .disaster
        .activations()
        .last()
        .map(|a| a.id)
        .ok_or_else(|| "disaster mode has not been opened in this scenario".to_owned())
}

/// Runs one step: its label and, if it failed, why.
pub fn step(shared: &Shared, step: &DisasterStep) -> (String, Option<String>) {
    let now = shared.clock.now();
    match step {
        DisasterStep::Open {
            areas,
            duration,
            title,
        } => {
            let label = format!(
                "disaster-open {} for {}",
                areas.join(", "),
                human(*duration)
            );
            match shared
                .disaster
                .open_mode(title, areas, now, now + *duration, now)
            {
                Ok(a) => (
                    format!(
                        "{label} → #{} ({} municipalities)",
                        a.id,
                        a.municipalities.len()
                    ),
                    None,
                ),
                Err(e) => (label, Some(e.to_string())),
            }
        }
        DisasterStep::Close => match latest(shared) {
            Ok(id) => (
                format!("disaster-close #{id}"),
                shared.disaster.close(id, now).err().map(|e| e.to_string()),
            ),
            Err(e) => ("disaster-close".into(), Some(e)),
        },
        DisasterStep::Extend { facility, duration } => {
            let label = format!(
                "disaster-extend {facility} until now + {}",
                human(*duration)
            );
            match latest(shared) {
                Ok(id) => (
                    label,
                    shared
                        .disaster
                        .extend(id, facility, now + *duration, now)
                        .err()
                        .map(|e| e.to_string()),
                ),
                Err(e) => (label, Some(e)),
            }
        }
        DisasterStep::Search {
            facility,
            keys,
            expect,
        } => {
            let get = |k: &str| keys.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let body = QueryBody {
                name: get("name"),
                sex: get("sex"),
                address: get("address"),
                insurer: get("insurer"),
                symbol: get("symbol"),
                number: get("number"),
                branch: get("branch"),
                birthdate: get("birthdate").unwrap_or_default(),
            };
            let label = format!(
                "disaster-search at {facility}: {}",
                keys.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let actor = Actor {
                facility: facility.clone(),
                operator: "scenario".into(),
            };
            let got = body
                .to_query()
                .and_then(|q| shared.disaster.search(&shared.population, &actor, &q, now));
            let failure = match (got, expect) {
                (Ok(r), DisasterExpect::Shown(want)) => {
                    let ids: Vec<&str> = r.hits.iter().map(|h| h.person.as_str()).collect();
                    (ids != *want).then(|| format!("found {ids:?}, expected {want:?}"))
                }
                (Ok(r), DisasterExpect::Refused(why)) => Some(format!(
                    "expected a refusal ({why}), found {} person(s)",
                    r.hits.len()
                )),
                (Err(e), DisasterExpect::Refused(why)) => (reason(&e) != *why)
                    .then(|| format!("refused with {:?} ({e}), expected {why}", reason(&e))),
                (Err(e), DisasterExpect::Shown(_)) => Some(format!("refused: {e}")),
            };
            (label, failure)
        }
        DisasterStep::View {
            facility,
            person,
            kind,
            format,
            consent,
            expect,
        } => {
            let label =
                format!("disaster-view at {facility}: {person} {kind} ({format}, {consent})");
            let params = crate::http::disaster::ViewParams {
                facility: facility.clone(),
                operator: "scenario".into(),
                kind: kind.clone(),
                format: Some(format.clone()),
                consent: consent.clone(),
            };
            let got = crate::http::disaster::render_view(shared, person, &params);
            let failure = match (got, expect) {
                (Ok(_), DisasterExpect::Shown(_)) => None,
                (Ok(_), DisasterExpect::Refused(why)) => {
                    Some(format!("expected a refusal ({why}), the view was shown"))
                }
                (Err(e), DisasterExpect::Refused(why)) => (reason(&e) != *why)
                    .then(|| format!("refused with {:?} ({e}), expected {why}", reason(&e))),
                (Err(e), DisasterExpect::Shown(_)) => Some(format!("not shown: {e}")),
            };
            (label, failure)
        }
        DisasterStep::ExpectAudit {
            search,
            view,
            refused,
        } => {
            let rows = match shared.disaster.audit() {
                Ok(rows) => rows,
                Err(e) => return ("expect-disaster-audit".into(), Some(e.to_string())),
            };
            let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
            let mut wrong = Vec::new();
            for (name, want) in [("search", search), ("view", view), ("refused", refused)] {
                if let Some(want) = want
                    && count(name) != *want
                {
                    wrong.push(format!("{name}: {} recorded, expected {want}", count(name)));
                }
            }
            (
                format!(
                    "expect-disaster-audit ({} records: {} search, {} view, {} refused)",
                    rows.len(),
                    count("search"),
                    count("view"),
                    count("refused")
                ),
                (!wrong.is_empty()).then(|| wrong.join("; ")),
            )
        }
    }
}
