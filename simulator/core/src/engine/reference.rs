//! 照会番号 registration (`OQSsiimm01req_`, `OQSmuimm01req_`), answered at once in both forms.
//!
//! Each entry's keys are matched like a single check's for the header's
//! `QualificationConfirmationDate` (today when absent). Found (validity 1, 2 or 3) → the number is
//! stored for the facility and the person, replacing an earlier one; status 1. Not found (4) or
//! several persons (5) → status 2 with `qualification.not_found` / `qualification.multiple`.
//! Malformed keys → status 2 with the key's code; a missing, blank or too long `ReferenceNumber`
//! → status 2 with `reference.number`. A bad header → `SegmentOfResult` 9, nothing stored.

use chrono::NaiveDateTime;
use sim_messages::ErrorKey;
use sim_messages::codes::{ProcessingResultStatus, SegmentOfResult};
use sim_messages::imm::{
    ReferenceNumberRegistrationInfo, ReferenceNumberRegistrationUnit, ReferenceNumberRequest,
    ReferenceNumberResult, ReferenceNumberResultBody, ReferenceNumberResultHeader,
};
use sim_messages::siquc01::{QualificationConfirmSearchInfo, SingleCheck};
use sim_messages::{MessageKind, ReadError, xml};

use super::refusal::refuse;
use super::single::{card_query, header_error};
use super::stores::{ReferenceNumbers, StoreError};
use super::{Engine, OutcomeSummary, Rejection};
use crate::date::{ymd, ymdhms};
use crate::eligibility::{Decision, decide};
use crate::population::Population;

type Answer = Result<Result<(ReferenceNumberResult, OutcomeSummary), Rejection>, StoreError>;

/// Answers a registration request of `kind` (single or bulk form).
pub(super) fn register(
    engine: &Engine,
    pop: &Population,
    references: &dyn ReferenceNumbers,
    kind: MessageKind,
    bytes: &[u8],
    now: NaiveDateTime,
) -> Answer {
    let cfg = engine.config();
    let request = match xml::read_document::<ReferenceNumberRequest>(bytes) {
        Ok((request, _)) => request,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let mic = match request.required() {
        Ok(mic) => mic,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let single = kind == MessageKind::ReferenceNumberSingle;
    if single && request.body.entries.len() > 1 {
        let e = ReadError::Structure(
            "the single form (OQSsiimm01) carries one ReferenceNumberRegistrationInfo".into(),
        );
        return Ok(Err(Rejection::from_read(&e)));
    }
    let date = request
        .header
        .qualification_confirmation_date
        .clone()
        .unwrap_or_else(|| ymd(now.date()));
    let mut header = ReferenceNumberResultHeader {
        process_execution_time: ymdhms(now),
        medical_institution_code: Some(mic.to_owned()),
        arbitrary_file_identifier: request.header.arbitrary_file_identifier.clone(),
        segment_of_result: SegmentOfResult::Normal.code().to_owned(),
        character_code_identifier: cfg.result_encoding.character_code_identifier().to_owned(),
        ..ReferenceNumberResultHeader::default()
    };
    let mut summary = OutcomeSummary {
        kind: Some(kind),
        medical_institution_code: Some(mic.to_owned()),
        arbitrary_file_identifier: header.arbitrary_file_identifier.clone(),
        ..OutcomeSummary::default()
    };
    if let Some(key) = header_error(cfg, &date, mic, now) {
        let code = refuse(cfg, key, &mut header);
        summary.refused(code);
        return Ok(Ok((ReferenceNumberResult { header, body: None }, summary)));
    }
    let mut units = Vec::with_capacity(request.body.entries.len());
    for info in &request.body.entries {
        units.push(entry(engine, pop, references, mic, &date, info)?);
    }
    summary.segment_of_result = Some(header.segment_of_result.clone());
    let body = if single {
        let unit = units.pop().unwrap_or_default();
        summary.processing_result_status = Some(unit.processing_result_status.clone());
        summary.qualification_validity = unit.qualification_validity.clone();
        summary.code = unit.processing_result_code.clone();
        ReferenceNumberResultBody {
            processing_result_status: Some(unit.processing_result_status),
            processing_result_code: unit.processing_result_code,
            processing_result_message: unit.processing_result_message,
            qualification_validity: unit.qualification_validity,
            reference_number_registration_info: unit.reference_number_registration_info,
            units: Vec::new(),
        }
    } else {
        let normal = units
            .iter()
            .filter(|u| u.processing_result_status == ProcessingResultStatus::Normal.code())
            .count();
        header.number_of_processing_result = Some(units.len().to_string());
        header.number_of_normal_processing = Some(normal.to_string());
        header.number_of_error = Some((units.len() - normal).to_string());
        ReferenceNumberResultBody {
            units,
            ..ReferenceNumberResultBody::default()
        }
    };
    Ok(Ok((
        ReferenceNumberResult {
            header,
            body: Some(body),
        },
        summary,
    )))
}

fn entry(
    engine: &Engine,
    pop: &Population,
    references: &dyn ReferenceNumbers,
    mic: &str,
    date: &str,
    info: &ReferenceNumberRegistrationInfo,
) -> Result<ReferenceNumberRegistrationUnit, StoreError> {
    let cfg = engine.config();
    let mut unit = ReferenceNumberRegistrationUnit {
        reference_number_registration_info: Some(info.clone()),
        processing_result_status: ProcessingResultStatus::Normal.code().to_owned(),
        ..ReferenceNumberRegistrationUnit::default()
    };
    let fail = |mut unit: ReferenceNumberRegistrationUnit, key: ErrorKey| {
        let entry = cfg.catalogue.get(key);
        unit.processing_result_status = ProcessingResultStatus::Error.code().to_owned();
        unit.processing_result_code = Some(entry.code);
        unit.processing_result_message = Some(entry.message);
        unit
    };
    let number = info
        .reference_number
        .as_deref()
        .map(str::trim)
        .unwrap_or("");
    if number.is_empty()
        || number.chars().count() > cfg.reference_number_max_chars
        || number.chars().any(char::is_control)
    {
        return Ok(fail(unit, ErrorKey::ReferenceNumberInvalid));
    }
    let search = QualificationConfirmSearchInfo {
        insurer_number: info.insurer_number.clone(),
        insured_card_symbol: info.insured_card_symbol.clone(),
        insured_identification_number: info.insured_identification_number.clone(),
        insured_branch_number: info.insured_branch_number.clone(),
        birthdate: info.birthdate.clone(),
        limit_application_certificate_related_cons_flg: Some("0".into()),
        arbitrary_identifier: None,
    };
    let check = SingleCheck {
        confirmation_date: date,
        medical_institution_code: mic,
        arbitrary_file_identifier: None,
        search: &search,
        insurer_number: search.insurer_number.as_deref().unwrap_or(""),
        identification_number: search
            .insured_identification_number
            .as_deref()
            .unwrap_or(""),
        birthdate: search.birthdate.as_deref().unwrap_or(""),
        limit_consent_flag: "0",
    };
    let query = match card_query(&check, cfg.enforce_check_digit) {
        Ok(q) => q,
        Err(key) => return Ok(fail(unit, key)),
    };
    let Some(on) = crate::date::parse_ymd(date) else {
        return Ok(fail(unit, ErrorKey::HeaderConfirmationDate));
    };
    let decision = decide(pop, &query, on);
    unit.qualification_validity = Some(decision.validity().code().to_owned());
    let person = match &decision {
        Decision::Valid(r) | Decision::Lost(r) | Decision::NewerExists { searched: r, .. } => {
            pop.person(*r)
        }
        Decision::NotFound => return Ok(fail(unit, ErrorKey::QualificationNotFound)),
        Decision::Multiple(_) => return Ok(fail(unit, ErrorKey::QualificationMultiple)),
    };
    references.register(mic, &person.id, number)?;
    tracing::info!(facility = %mic, person = %person.id, "照会番号 registered");
    Ok(unit)
}
