//! The bulk checks that select persons by criteria (oqs-interface.md §2.4): `OQSmuhvq01req_`
//! (訪問診療等, consent dates, MedicalTreatmentFlag 2), `OQSmuonq01req_` (オンライン診療等, consent
//! or examination dates, flag 3) and `OQSmutic01req_` (医療扶助, treatment month). Their `02`
//! downloads go through [`super::bulk::download`] like the qualification bulk check.
//!
//! The upload is checked (10-digit 医療機関コード; `yyyyMMdd` dates with from ≤ to; `yyyyMM`
//! month; the kind's flag) — a wrong value is `SegmentOfResult` 9 with `bulk.criteria` — and
//! stored as a job. Which persons the criteria select needs consent records (訪問/オンライン) and
//! 医療扶助 recipients with their tickets, and the population has neither yet: the result is
//! therefore a complete answer with no `BulkConfirmUnit` (`NumberOfProcessingResult` 0).

use chrono::{NaiveDate, NaiveDateTime};
use sim_messages::codes::SegmentOfResult;
use sim_messages::mucriteria::{Criteria, CriteriaUploadRequest};
use sim_messages::muquc::{BulkConfirmUnit, BulkUploadResult, BulkUploadResultHeader};
use sim_messages::{ErrorKey, MessageKind, xml};

use super::refusal::refuse;
use super::stores::{NewJob, StoreError, Stores};
use super::{Engine, OutcomeSummary, Rejection};
use crate::date::{parse_ymd, ymdhms};
use crate::population::Population;

type Answer = Result<Result<(BulkUploadResult, OutcomeSummary), Rejection>, StoreError>;

/// Answers a criteria upload (`01req`): stores the job, then returns the `01res`.
pub(super) fn upload(
    engine: &Engine,
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
    let job = stores.jobs.accept(&NewJob {
        kind,
        medical_institution_code: mic,
        request_name,
        request: bytes,
        units: 0,
        accepted_at: now,
        ready_at: cfg.bulk.ready_at(now, 0),
    })?;
    tracing::info!(reception = %job.reception_number, kind = kind.prefix(), "criteria bulk job accepted");
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

/// The units of a stored criteria upload: none, as the population records no consents for
/// 訪問/オンライン診療 and no 医療扶助 recipients (see the module documentation).
pub(super) fn units(_pop: &Population, _request: &CriteriaUploadRequest) -> Vec<BulkConfirmUnit> {
    Vec::new()
}
