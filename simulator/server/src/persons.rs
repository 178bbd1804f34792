//! `simulator persons`: the persons served, with the keys a clinic would type from their card and
//! the outcome the terminal gives on a date. Named fixtures and probes come first.

use std::io::Write;

use anyhow::Context;
use chrono::NaiveDate;
use serde::Serialize;
use sim_core::date::{parse_ymd, ymd};
use sim_core::{Engine, Population};
use sim_messages::codes::QualificationValidity;
use sim_messages::siquc01::{
    QualificationConfirmRequest, QualificationConfirmSearchInfo, RequestBody, RequestHeader,
};
use sim_server::clock::{Clock, SystemClock};
use sim_server::config::Config;

use crate::PersonsArgs;

#[derive(Serialize)]
struct Row {
    id: String,
    kind: &'static str,
    insurer_number: String,
    symbol: Option<String>,
    number: String,
    branch: Option<String>,
    birthdate: String,
    name: Option<String>,
    outcome: String,
    outcome_label: String,
    note: Option<String>,
}

struct Keys {
    insurer: String,
    symbol: Option<String>,
    number: String,
    branch: Option<String>,
    birthdate: NaiveDate,
}

fn outcome(engine: &Engine, pop: &Population, keys: &Keys, on: NaiveDate) -> (String, String) {
    let request = QualificationConfirmRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some(ymd(on)),
            medical_institution_code: Some("0000000000".into()),
            arbitrary_file_identifier: None,
        },
        body: RequestBody {
            qualification_confirm_search_info: Some(QualificationConfirmSearchInfo {
                insurer_number: Some(keys.insurer.clone()),
                insured_card_symbol: keys.symbol.clone(),
                insured_identification_number: Some(keys.number.clone()),
                insured_branch_number: keys.branch.clone(),
                birthdate: Some(ymd(keys.birthdate)),
                limit_application_certificate_related_cons_flg: Some("0".into()),
                arbitrary_identifier: None,
            }),
        },
    };
    let now = on.and_hms_opt(12, 0, 0).unwrap_or_default();
    match engine.single_check(pop, &request, now) {
        Ok((result, _)) => {
            let body = result.body.unwrap_or_default();
            if body.processing_result_status == "2" {
                (
                    "error".into(),
                    body.processing_result_message.unwrap_or_default(),
                )
            } else {
                let v = body.qualification_validity.unwrap_or_default();
                let label = QualificationValidity::from_code(&v)
                    .map(|v| v.label())
                    .unwrap_or("")
                    .to_owned();
                (v, label)
            }
        }
        Err(r) => ("rejected".into(), r.detail),
    }
}

pub(crate) fn run(args: PersonsArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(s) = args.seed {
        config.population.seed = s;
    }
    if let Some(s) = args.size {
        config.population.size = s;
    }
    let on = match &args.date {
        Some(d) => parse_ymd(d).with_context(|| format!("--date {d:?}: expected yyyyMMdd"))?,
        None => SystemClock.now().date(),
    };
    let engine = Engine::new(config.engine_config()?);
    if let Some(p) = args.population {
        config.population.file = Some(p);
    }
    let (pop, named) = sim_server::serve::load_population(&config.population)?;
    let limit = if args.limit == 0 {
        usize::MAX
    } else {
        args.limit
    };

    let mut rows = Vec::new();
    for probe in &named.probes {
        let keys = Keys {
            insurer: probe.insurer.clone(),
            symbol: probe.symbol.clone(),
            number: probe.number.clone(),
            branch: probe.branch.clone(),
            birthdate: probe.birthdate,
        };
        let (outcome, outcome_label) = outcome(&engine, &pop, &keys, on);
        rows.push(Row {
            id: probe.id.clone(),
            kind: "probe",
            insurer_number: keys.insurer,
            symbol: keys.symbol,
            number: keys.number,
            branch: keys.branch,
            birthdate: ymd(keys.birthdate),
            name: None,
            outcome,
            outcome_label,
            note: Some(probe.note.clone()),
        });
    }
    for person in pop.persons() {
        if rows.len() >= limit {
            break;
        }
        let Some(q) = person.card_on(on) else {
            continue;
        };
        let keys = Keys {
            insurer: q.insurer.to_wire(),
            symbol: q.card.symbol.clone(),
            number: q.card.number.clone(),
            branch: Some(q.card.branch.clone()),
            birthdate: person.birthdate,
        };
        let (outcome, outcome_label) = outcome(&engine, &pop, &keys, on);
        let note = named
            .expectations
            .iter()
            .find(|(id, _, _)| *id == person.id)
            .map(|(_, _, n)| n.clone());
        rows.push(Row {
            id: person.id.clone(),
            kind: if note.is_some() { "named" } else { "generated" },
            insurer_number: keys.insurer,
            symbol: keys.symbol,
            number: keys.number,
            branch: keys.branch,
            birthdate: ymd(keys.birthdate),
            name: Some(person.name.clone()),
            outcome,
            outcome_label,
            note,
        });
    }
    rows.truncate(limit);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "# outcome on {} (QualificationValidity; the keys are those of the card valid that day)",
        ymd(on)
    )?;
    writeln!(
        out,
        "{:28} {:8} {:10} {:9} {:4} {:8}  {:9} NAME",
        "ID", "INSURER", "SYMBOL", "NUMBER", "BR", "BIRTH", "OUTCOME"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:28} {:8} {:10} {:9} {:4} {:8}  {:9} {}",
            r.id,
            r.insurer_number,
            r.symbol.as_deref().unwrap_or("-"),
            r.number,
            r.branch.as_deref().unwrap_or("-"),
            r.birthdate,
            format!("{} {}", r.outcome, r.outcome_label),
            r.name.as_deref().unwrap_or(""),
        )?;
    }
    Ok(())
}
