//! The single qualification check: validate the header (→ `SegmentOfResult` 9) and the keys
//! (→ `ProcessingResultStatus` 2), decide eligibility, and build the result tree.

use chrono::NaiveDateTime;
use sim_messages::ErrorKey;
use sim_messages::codes::{
    ProcessingResultStatus, QualificationValidity, ReferenceClassification, SegmentOfResult,
};
use sim_messages::siquc01::{
    QualificationConfirmResult, ResultBody, ResultHeader, ResultList, SingleCheck,
};

use super::refusal::refuse;
use super::result_item::{Consent, build_item};
use super::stores::ReferenceNumbers;
use super::{Engine, NewerResults};
use crate::date::{parse_ymd, ymdhms};
use crate::eligibility::{CardQuery, Decision, decide};
use crate::insurer::InsurerNumber;
use crate::keys::{normalize_branch, normalize_key};
use crate::population::Population;

/// Longest 記号 / 番号 accepted (characters).
const MAX_KEY_CHARS: usize = 20;

pub(super) fn answer(
    engine: &Engine,
    pop: &Population,
    references: &dyn ReferenceNumbers,
    consents: &dyn crate::medical::ConsentRecords,
    req: &SingleCheck<'_>,
    now: NaiveDateTime,
) -> QualificationConfirmResult {
    let cfg = engine.config();
    let mut header = ResultHeader {
        process_execution_time: ymdhms(now),
        qualification_confirmation_date: Some(req.confirmation_date.to_owned()),
        medical_institution_code: Some(req.medical_institution_code.to_owned()),
        arbitrary_file_identifier: req.arbitrary_file_identifier.map(str::to_owned),
        reference_classification: Some(ReferenceClassification::InsuranceCard.code().to_owned()),
        segment_of_result: SegmentOfResult::Normal.code().to_owned(),
        error_code: None,
        error_message: None,
        character_code_identifier: cfg.result_encoding.character_code_identifier().to_owned(),
    };

    // Header checks → SegmentOfResult 9, no body.
    if let Some(key) = header_error(
        cfg,
        req.confirmation_date,
        req.medical_institution_code,
        now,
    ) {
        refuse(cfg, key, &mut header);
        return QualificationConfirmResult { header, body: None };
    }
    let Some(date) = parse_ymd(req.confirmation_date) else {
        unreachable!("checked above");
    };

    let mut body = ResultBody {
        processing_result_status: ProcessingResultStatus::Normal.code().to_owned(),
        qualification_confirm_search_info: Some(req.search.clone()),
        ..ResultBody::default()
    };

    // Key checks → ProcessingResultStatus 2.
    let query = match card_query(req, cfg.enforce_check_digit) {
        Ok(query) => query,
        Err(key) => {
            let entry = cfg.catalogue.get(key);
            body.processing_result_status = ProcessingResultStatus::Error.code().to_owned();
            body.processing_result_code = Some(entry.code);
            body.processing_result_message = Some(entry.message);
            return QualificationConfirmResult {
                header,
                body: Some(body),
            };
        }
    };

    if query.insurer.law_code() == Some(super::aid::PUBLIC_ASSISTANCE_LAW) {
        medical_aid(cfg, pop, references, req, &query, date, &mut body);
        return QualificationConfirmResult {
            header,
            body: Some(body),
        };
    }
    // 限度額: the request's flag, or else the patient's still valid consent at this facility's
    // reader (looked up only when the flag does not already consent).
    let consent_for = |person_id: &str| {
        if req.limit_consent_flag == "1" {
            return Consent {
                limit_flag: true,
                time: now,
            };
        }
        match super::medical::stored_limit_consent(
            consents,
            req.medical_institution_code,
            person_id,
            now,
        ) {
            Some(at) => Consent {
                limit_flag: true,
                time: at,
            },
            None => Consent {
                limit_flag: false,
                time: now,
            },
        }
    };
    let decision = decide(pop, &query, date);
    let validity = decision.validity();
    body.qualification_validity = Some(validity.code().to_owned());
    let refs = match &decision {
        Decision::Valid(r) | Decision::Lost(r) => vec![*r],
        Decision::NewerExists { searched, current } => match cfg.newer_results {
            NewerResults::Current => vec![*current],
            NewerResults::SearchedAndCurrent => vec![*searched, *current],
        },
        Decision::Multiple(refs) => refs.clone(),
        Decision::NotFound => Vec::new(),
    };
    match validity {
        QualificationValidity::NotFound => {
            let entry = cfg.catalogue.get(ErrorKey::QualificationNotFound);
            if cfg.not_found_is_error {
                body.processing_result_status = ProcessingResultStatus::Error.code().to_owned();
            }
            body.processing_result_code = Some(entry.code);
            body.processing_result_message = Some(entry.message);
        }
        QualificationValidity::MultipleMatches => {
            let entry = cfg.catalogue.get(ErrorKey::QualificationMultiple);
            body.processing_result_code = Some(entry.code);
            body.processing_result_message = Some(entry.message);
        }
        _ => {}
    }
    if !refs.is_empty() {
        body.result_list = Some(ResultList {
            results: refs
                .into_iter()
                .map(|r| {
                    let consent = consent_for(pop.person_id(r.person));
                    let mut item = build_item(pop, r, date, cfg.partial_ratio, &consent);
                    item.reference_number = references
                        .reference_number(req.medical_institution_code, pop.person_id(r.person));
                    item
                })
                .collect(),
        });
    }
    QualificationConfirmResult {
        header,
        body: Some(body),
    }
}

/// The keys of a 医療扶助 recipient (公費負担者番号 of 法別 12): its result, see [`super::aid`].
fn medical_aid(
    cfg: &super::EngineConfig,
    pop: &Population,
    references: &dyn ReferenceNumbers,
    req: &SingleCheck<'_>,
    query: &CardQuery,
    date: chrono::NaiveDate,
    body: &mut ResultBody,
) {
    let found = crate::medical_aid::find(
        pop,
        &cfg.medical_aid,
        &query.insurer,
        &query.number,
        query.birthdate,
    );
    let Some(rec) = found else {
        let entry = cfg.catalogue.get(ErrorKey::QualificationNotFound);
        if cfg.not_found_is_error {
            body.processing_result_status = ProcessingResultStatus::Error.code().to_owned();
        }
        body.qualification_validity = Some(QualificationValidity::NotFound.code().to_owned());
        body.processing_result_code = Some(entry.code);
        body.processing_result_message = Some(entry.message);
        return;
    };
    let (validity, tickets) = super::aid::decide(&rec, date, req.medical_institution_code);
    body.qualification_validity = Some(validity.code().to_owned());
    if validity == QualificationValidity::NotFound {
        let entry = cfg.catalogue.get(ErrorKey::QualificationNotFound);
        body.processing_result_code = Some(entry.code);
        body.processing_result_message = Some(entry.message);
        return;
    }
    let mut item = super::aid::result_item(pop, &rec, &tickets, req.medical_institution_code);
    item.reference_number =
        references.reference_number(req.medical_institution_code, pop.person_id(rec.person));
    body.result_list = Some(ResultList {
        results: vec![item],
    });
}

/// The header problem answered with `SegmentOfResult` 9, if any: the date (not a date, or after
/// today unless allowed) and the 医療機関コード (10 digits).
pub(super) fn header_error(
    cfg: &super::EngineConfig,
    confirmation_date: &str,
    medical_institution_code: &str,
    now: NaiveDateTime,
) -> Option<ErrorKey> {
    match parse_ymd(confirmation_date) {
        None => Some(ErrorKey::HeaderConfirmationDate),
        Some(d) if d > now.date() && !cfg.allow_future_date => {
            Some(ErrorKey::HeaderConfirmationDateFuture)
        }
        Some(_) => None,
    }
    .or_else(|| {
        (!super::is_medical_institution_code(medical_institution_code))
            .then_some(ErrorKey::HeaderMedicalInstitutionCode)
    })
}

pub(super) fn card_query(
    req: &SingleCheck<'_>,
    enforce_check_digit: bool,
) -> Result<CardQuery, ErrorKey> {
    let insurer =
        InsurerNumber::parse(req.insurer_number).map_err(|_| ErrorKey::PersonInsurerNumber)?;
    if enforce_check_digit && !insurer.has_valid_check_digit() {
        return Err(ErrorKey::PersonInsurerCheckDigit);
    }
    let number = normalize_key(req.identification_number);
    if number.is_empty() || number.chars().count() > MAX_KEY_CHARS {
        return Err(ErrorKey::PersonNumber);
    }
    let symbol = req
        .search
        .insured_card_symbol
        .as_deref()
        .map(normalize_key)
        .filter(|s| !s.is_empty());
    if symbol
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_KEY_CHARS)
    {
        return Err(ErrorKey::PersonSymbol);
    }
    let branch = match req.search.insured_branch_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(normalize_branch(raw).ok_or(ErrorKey::PersonBranchNumber)?),
    };
    let birthdate = parse_ymd(req.birthdate).ok_or(ErrorKey::PersonBirthdate)?;
    if !matches!(req.limit_consent_flag, "0" | "1") {
        return Err(ErrorKey::PersonConsentFlag);
    }
    Ok(CardQuery {
        insurer,
        symbol,
        number,
        branch,
        birthdate,
    })
}
