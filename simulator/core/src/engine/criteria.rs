//! The bulk checks that select persons by criteria (oqs-interface.md §2.4): `OQSmuhvq01req_`
//! (訪問診療等, consent dates, MedicalTreatmentFlag 2), `OQSmuonq01req_` (オンライン診療等, consent
//! or examination dates, flag 3) and `OQSmutic01req_` (医療扶助, treatment month). Their `02`
//! downloads go through [`super::bulk::download`] like the qualification bulk check.
//!
//! The upload is checked (10-digit 医療機関コード; `yyyyMMdd` dates with from ≤ to; `yyyyMM`
//! month; the kind's flag) — a wrong value is `SegmentOfResult` 9 with `bulk.criteria` — and
//! stored as a job. The persons are selected when the result is downloaded ([`units`]): from the
//! consent records of the [`TreatmentConsents`](super::stores::TreatmentConsents) store
//! (訪問/オンライン) and from the 医療扶助 recipients derived from the population
//! ([`crate::medical_aid`]).

use chrono::{NaiveDate, NaiveDateTime};
use sim_messages::codes::{ProcessingResultStatus, QualificationValidity, SegmentOfResult};
use sim_messages::mucriteria::{Criteria, CriteriaUploadRequest};
use sim_messages::muquc::{BulkConfirmUnit, BulkUploadResult, BulkUploadResultHeader};
use sim_messages::siquc01::{QualificationConfirmSearchInfo, SingleCheck};
use sim_messages::{ErrorKey, MessageKind, xml};

use super::refusal::refuse;
use super::single::answer;
use super::stores::{BulkJob, NewJob, NoStores, StoreError, Stores, TreatmentForm};
use super::{Engine, OutcomeSummary, ReferencePlacement, Rejection};
use crate::date::{parse_ymd, ymd, ymdhms};
use crate::population::Population;

type Answer = Result<Result<(BulkUploadResult, OutcomeSummary), Rejection>, StoreError>;

/// Answers a criteria upload (`01req`): stores the job, then returns the `01res`.
pub(super) fn upload(
    engine: &Engine,
    pop: &Population,
    stores: Stores<'_>,
    kind: MessageKind,
    request_name: &str,
    bytes: &[u8],
    now: NaiveDateTime,
) -> Answer {
    let cfg = engine.config();
    let request = match xml::read_document::<CriteriaUploadRequest>(bytes) {
        Ok((request, _)) => request,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let (mic, criteria) = match request.required(kind) {
        Ok(v) => v,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let mut header = BulkUploadResultHeader {
        process_execution_time: ymdhms(now),
        medical_institution_code: Some(mic.to_owned()),
        arbitrary_file_identifier: request.header.arbitrary_file_identifier.clone(),
        segment_of_result: SegmentOfResult::Normal.code().to_owned(),
        character_code_identifier: cfg.result_encoding.character_code_identifier().to_owned(),
        ..BulkUploadResultHeader::default()
    };
    let mut summary = OutcomeSummary {
        kind: Some(kind),
        medical_institution_code: Some(mic.to_owned()),
        arbitrary_file_identifier: header.arbitrary_file_identifier.clone(),
        ..OutcomeSummary::default()
    };
    let refused = if !super::is_medical_institution_code(mic) {
        Some(ErrorKey::HeaderMedicalInstitutionCode)
    } else if !criteria_ok(kind, criteria) {
        Some(ErrorKey::BulkCriteria)
    } else {
        None
    };
    if let Some(key) = refused {
        let code = refuse(cfg, key, &mut header);
        tracing::info!(kind = kind.prefix(), code = %code, "criteria bulk upload refused");
        summary.refused(code);
        return Ok(Ok((BulkUploadResult { header, body: None }, summary)));
    }
    super::bulk::purge(engine, stores, now);
    // The processing time scales with the persons the criteria select now (the result itself is
    // selected again for the job's ready time).
    let provisional = BulkJob {
        reception_number: String::new(),
        kind,
        medical_institution_code: mic.to_owned(),
        request: Vec::new(),
        units: 0,
        accepted_at: now,
        ready_at: now,
    };
    let count = units(engine, pop, stores, kind, &request, &provisional)?.len();
    let job = stores.jobs.accept(&NewJob {
        kind,
        medical_institution_code: mic,
        request_name,
        request: bytes,
        units: u32::try_from(count).unwrap_or(u32::MAX),
        accepted_at: now,
        ready_at: cfg.bulk.ready_at(now, count),
    })?;
    tracing::info!(reception = %job.reception_number, kind = kind.prefix(), units = job.units, "criteria bulk job accepted");
    Ok(Ok(super::bulk::accepted(header, summary, job)))
}

fn criteria_ok(kind: MessageKind, criteria: Criteria<'_>) -> bool {
    let range = |from: &str, to: &str| match (parse_ymd(from), parse_ymd(to)) {
        (Some(from), Some(to)) => from <= to,
        _ => false,
    };
    let flag_ok = |flag: &str| match kind {
        MessageKind::HomeVisitUpload => flag == "2",
        MessageKind::OnlineUpload => flag == "3",
        _ => false,
    };
    match criteria {
        Criteria::Consent { from, to, flag } | Criteria::Examination { from, to, flag } => {
            range(from, to) && flag_ok(flag)
        }
        Criteria::TreatmentMonth(month) => {
            month.len() == 6 && NaiveDate::parse_from_str(&format!("{month}01"), "%Y%m%d").is_ok()
        }
    }
}

/// The units of a stored criteria upload, for the job's ready time: the facility's 医療扶助
/// recipients holding a ticket of the month (`OQSmutic`), or the persons who consented to the
/// facility for 訪問診療等 / オンライン診療等 in the date range (`OQSmuhvq`, `OQSmuonq`; by
/// consent date, or by examination date), each with the result of their card valid on the ready
/// date. Persons in person order, each once.
pub(super) fn units(
    engine: &Engine,
    pop: &Population,
    stores: Stores<'_>,
    kind: MessageKind,
    request: &CriteriaUploadRequest,
    job: &BulkJob,
) -> Result<Vec<BulkConfirmUnit>, StoreError> {
    let Ok((mic, criteria)) = request.required(kind) else {
        return Ok(Vec::new());
    };
    let cfg = engine.config();
    let placement = cfg.bulk.reference_placement;
    let with_reference = |mut unit: BulkConfirmUnit, person_id: &str| {
        let number = stores.references.reference_number(mic, person_id);
        match placement {
            ReferencePlacement::Unit => unit.reference_number = number,
            ReferencePlacement::Result => {
                for r in &mut unit.results {
                    r.reference_number = number.clone();
                }
            }
            ReferencePlacement::Both => {
                for r in &mut unit.results {
                    r.reference_number = number.clone();
                }
                unit.reference_number = number;
            }
        }
        unit
    };
    match criteria {
        Criteria::TreatmentMonth(month) => {
            let (Ok(year), Ok(m)) = (month[..4].parse::<i32>(), month[4..].parse::<u32>()) else {
                return Ok(Vec::new());
            };
            Ok(crate::medical_aid::recipients(pop, &cfg.medical_aid)
                .filter(|r| r.designated_facility == mic)
                .filter_map(|rec| {
                    let tickets = rec.tickets(year, m);
                    if tickets.is_empty() {
                        return None;
                    }
                    let unit = BulkConfirmUnit {
                        qualification_confirm_search_info: Some(super::aid::search_info(pop, &rec)),
                        processing_result_status: ProcessingResultStatus::Normal.code().to_owned(),
                        qualification_validity: Some(
                            QualificationValidity::Valid.code().to_owned(),
                        ),
                        results: vec![super::aid::result_item(pop, &rec, &tickets, mic)],
                        ..BulkConfirmUnit::default()
                    };
                    Some(with_reference(unit, &pop.persons()[rec.person as usize].id))
                })
                .collect())
        }
        Criteria::Consent { from, to, .. } | Criteria::Examination { from, to, .. } => {
            let form = if kind == MessageKind::HomeVisitUpload {
                TreatmentForm::HomeVisit
            } else {
                TreatmentForm::Online
            };
            let (Some(from), Some(to)) = (parse_ymd(from), parse_ymd(to)) else {
                return Ok(Vec::new());
            };
            let by_exam = matches!(criteria, Criteria::Examination { .. });
            let mut persons: Vec<u32> = stores
                .treatments
                .treatment_consents(mic, form)?
                .iter()
                .filter(|c| {
                    let d = if by_exam {
                        c.examination_date
                    } else {
                        Some(c.consented_at.date())
                    };
                    d.is_some_and(|d| from <= d && d <= to)
                })
                .filter_map(|c| pop.index_of(&c.person_id))
                .collect();
            persons.sort_unstable();
            persons.dedup();
            let on = job.ready_at.date();
            let date = ymd(on);
            Ok(persons
                .into_iter()
                .filter_map(|p| {
                    let person = &pop.persons()[p as usize];
                    let q = person.card_on(on)?;
                    let search = QualificationConfirmSearchInfo {
                        insurer_number: Some(q.insurer.to_wire()),
                        insured_card_symbol: q.card.symbol.clone(),
                        insured_identification_number: Some(q.card.number.clone()),
                        insured_branch_number: Some(q.card.branch.clone()),
                        birthdate: Some(ymd(person.birthdate)),
                        limit_application_certificate_related_cons_flg: Some("0".to_owned()),
                        arbitrary_identifier: None,
                    };
                    let check = SingleCheck {
                        confirmation_date: &date,
                        medical_institution_code: mic,
                        arbitrary_file_identifier: None,
                        search: &search,
                        insurer_number: search.insurer_number.as_deref().unwrap_or(""),
                        identification_number: &q.card.number,
                        birthdate: search.birthdate.as_deref().unwrap_or(""),
                        limit_consent_flag: "0",
                    };
                    let result = answer(engine, pop, &NoStores, &NoStores, &check, job.ready_at);
                    let body = result.body?;
                    let unit = BulkConfirmUnit {
                        qualification_confirm_search_info: Some(search.clone()),
                        processing_result_status: body.processing_result_status,
                        processing_result_code: body.processing_result_code,
                        processing_result_message: body.processing_result_message,
                        qualification_validity: body.qualification_validity,
                        results: body
                            .result_list
                            .map(|l| l.results)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|mut r| {
                                r.limit_application_certificate_changed =
                                    super::bulk::limit_changed(pop, &r, on).map(str::to_owned);
                                r
                            })
                            .collect(),
                        reference_number: None,
                    };
                    Some(with_reference(unit, &person.id))
                })
                .collect())
        }
    }
}
