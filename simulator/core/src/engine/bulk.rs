//! The bulk qualification check (資格確認一括照会), in two phases:
//!
//! - `OQSmuquc01req_` (upload): the header is checked like a single check's (`SegmentOfResult` 9
//!   with `ErrorCode`), the number of persons against [`BulkConfig::max_units`] (9 with
//!   `bulk.too_many_units`); then the job is stored through
//!   [`BulkJobs`](super::stores::BulkJobs) *before* the `01res` (with `ReceptionNumber` and
//!   `ReceptionDateTime`) is returned.
//! - `OQSmuquc02req_` (download): an unknown 受付番号, or one uploaded by another facility, is
//!   answered with 9 and `bulk.reception_unknown` (the two are not told apart, so a facility
//!   cannot probe another's numbers). Before the job's ready time (simulator clock) the answer is
//!   2 処理中 with no body; from then on it is 1 with the counts and one `BulkConfirmUnit` per
//!   person, built by the single check's logic for the processing time. A person's missing or
//!   malformed keys make an エラー unit, never a rejected file.
//!
//! The result is computed from the stored upload when it is downloaded, for the job's ready time,
//! so repeated downloads give the same units, and nothing but the upload needs to be stored.
//!
//! The `02` downloads of the criteria kinds (`OQSmuhvq02`, `OQSmuonq02`, `OQSmutic02`; uploads in
//! `criteria.rs`) are answered here too; a number is only found by the download of its own kind.

use chrono::{Duration, NaiveDateTime};
use sim_messages::ErrorKey;
use sim_messages::codes::{ProcessingResultStatus, SegmentOfResult};
use sim_messages::file_name::RequestFileName;
use sim_messages::mucriteria::CriteriaUploadRequest;
use sim_messages::muquc::{
    BulkConfirmUnit, BulkDownloadRequest, BulkDownloadResult, BulkDownloadResultBody,
    BulkDownloadResultHeader, BulkUpload, BulkUploadRequest, BulkUploadResult,
    BulkUploadResultBody, BulkUploadResultHeader,
};
use sim_messages::siquc01::SingleCheck;
use sim_messages::{MessageKind, xml};

use super::refusal::refuse;
use super::single::{answer, header_error};
use super::stores::{BulkJob, NewJob, ReferenceNumbers, StoreError, Stores};
use super::{Engine, OutcomeSummary, Rejection};
use crate::date::ymdhms;
use crate::population::Population;

/// Where a bulk unit carries the 照会番号 \[I\]: §2.3 shows `ReferenceNumber` as a sibling of the
/// results in the unit; §2.1's result tree has it inside `ResultOfQualificationConfirmation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferencePlacement {
    /// In the `BulkConfirmUnit`, after the results.
    Unit,
    /// Inside each `ResultOfQualificationConfirmation`.
    Result,
    /// Both.
    Both,
}

/// Bulk settings.
#[derive(Debug, Clone)]
pub struct BulkConfig {
    /// Most persons in one upload \[I\]; more is answered with `bulk.too_many_units`.
    pub max_units: usize,
    /// Processing time of every job, in milliseconds of the simulator clock.
    pub base_ms: u64,
    /// Added processing time per person, in milliseconds (fractions allowed).
    pub per_unit_ms: f64,
    /// Where units carry `ReferenceNumber`.
    pub reference_placement: ReferencePlacement,
    /// Deliver `02res` files as `.zip` holding the `.xml` (OD2 reads both) \[S\].
    pub zip_results: bool,
    /// How long a job is kept after its result is ready (simulator clock) \[I\]; older jobs are
    /// purged when a new upload is accepted, and their 受付番号 then read as unknown.
    pub retention: Duration,
}

impl Default for BulkConfig {
    fn default() -> Self {
        BulkConfig {
            max_units: 10_000,
            base_ms: 5_000,
            per_unit_ms: 5.0,
            reference_placement: ReferencePlacement::Unit,
            zip_results: false,
            retention: Duration::days(7),
        }
    }
}

impl BulkConfig {
    /// When a job of `units` persons accepted at `at` is done.
    pub fn ready_at(&self, at: NaiveDateTime, units: usize) -> NaiveDateTime {
        let extra = (self.per_unit_ms.max(0.0) * units as f64).round() as i64;
        at + Duration::milliseconds(self.base_ms.min(i64::MAX as u64 / 2) as i64 + extra)
    }
}

/// The `02res` as `…02res_<suffix>.zip` holding `…02res_<suffix>.xml` (stored, not compressed).
pub(super) fn zipped(
    parsed: &RequestFileName,
    xml: Vec<u8>,
    summary: OutcomeSummary,
) -> super::FileOutcome {
    let inner = parsed.result_name_with_extension("xml");
    // A result document is far below the 4 GiB a plain ZIP holds; fall back to the XML if not.
    match sim_messages::zip::write_stored(&[(&inner, &xml)]) {
        Ok(bytes) => super::FileOutcome::Answered {
            result_name: parsed.result_name_with_extension("zip"),
            bytes,
            summary,
        },
        Err(_) => super::FileOutcome::Answered {
            result_name: parsed.result_name(),
            bytes: xml,
            summary,
        },
    }
}

/// The upload a job was created from.
enum Stored {
    /// `OQSmuquc01`: persons by card keys.
    Keys(BulkUploadRequest),
    /// `OQSmuhvq01` / `OQSmuonq01` / `OQSmutic01`: persons by criteria.
    Criteria(CriteriaUploadRequest),
}

type Answer<T> = Result<Result<(T, OutcomeSummary), Rejection>, StoreError>;

/// Answers an upload (`01req`): stores the job, then returns the `01res`.
pub(super) fn upload(
    engine: &Engine,
    stores: Stores<'_>,
    kind: MessageKind,
    request_name: &str,
    bytes: &[u8],
    now: NaiveDateTime,
) -> Answer<BulkUploadResult> {
    let cfg = engine.config();
    let request = match xml::read_document::<BulkUploadRequest>(bytes) {
        Ok((request, _)) => request,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let up = match request.required() {
        Ok(up) => up,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let mut header = BulkUploadResultHeader {
        process_execution_time: ymdhms(now),
        qualification_confirmation_date: Some(up.confirmation_date.to_owned()),
        medical_institution_code: Some(up.medical_institution_code.to_owned()),
        arbitrary_file_identifier: up.arbitrary_file_identifier.map(str::to_owned),
        segment_of_result: SegmentOfResult::Normal.code().to_owned(),
        error_code: None,
        error_message: None,
        character_code_identifier: cfg.result_encoding.character_code_identifier().to_owned(),
    };
    let refused = header_error(cfg, up.confirmation_date, up.medical_institution_code, now)
        .or_else(|| (up.search.len() > cfg.bulk.max_units).then_some(ErrorKey::BulkTooManyUnits));
    let mut summary = OutcomeSummary {
        kind: Some(kind),
        medical_institution_code: header.medical_institution_code.clone(),
        arbitrary_file_identifier: header.arbitrary_file_identifier.clone(),
        ..OutcomeSummary::default()
    };
    if let Some(key) = refused {
        let code = refuse(cfg, key, &mut header);
        tracing::info!(units = up.search.len(), code = %code, "bulk upload refused");
        summary.refused(code);
        return Ok(Ok((BulkUploadResult { header, body: None }, summary)));
    }
    purge(engine, stores, now);
    let job = stores.jobs.accept(&NewJob {
        kind,
        medical_institution_code: up.medical_institution_code,
        request_name,
        request: bytes,
        units: u32::try_from(up.search.len()).unwrap_or(u32::MAX),
        accepted_at: now,
        ready_at: cfg.bulk.ready_at(now, up.search.len()),
    })?;
    tracing::info!(
        reception = %job.reception_number,
        units = job.units,
        ready_at = %ymdhms(job.ready_at),
        "bulk job accepted"
    );
    Ok(Ok(accepted(header, summary, job)))
}

/// Forgets jobs past their retention (a failure is logged: the upload goes on).
pub(super) fn purge(engine: &Engine, stores: Stores<'_>, now: NaiveDateTime) {
    let before = now - engine.config().bulk.retention;
    match stores.jobs.purge(before) {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(purged = n, ready_before = %ymdhms(before), "bulk jobs past retention purged")
        }
        Err(e) => tracing::warn!(error = %e, "purging bulk jobs failed"),
    }
}

/// The 01 result of an accepted upload, of any bulk kind: the job's reception number and time.
pub(super) fn accepted(
    header: BulkUploadResultHeader,
    mut summary: OutcomeSummary,
    job: BulkJob,
) -> (BulkUploadResult, OutcomeSummary) {
    summary.segment_of_result = Some(header.segment_of_result.clone());
    let body = BulkUploadResultBody {
        reception_number: job.reception_number,
        reception_date_time: Some(ymdhms(job.accepted_at)),
    };
    (
        BulkUploadResult {
            header,
            body: Some(body),
        },
        summary,
    )
}

/// Answers a download (`02req`) of a job uploaded as `upload_kind`.
pub(super) fn download(
    engine: &Engine,
    pop: &Population,
    stores: Stores<'_>,
    kind: MessageKind,
    upload_kind: MessageKind,
    bytes: &[u8],
    now: NaiveDateTime,
) -> Answer<BulkDownloadResult> {
    let cfg = engine.config();
    let request = match xml::read_document::<BulkDownloadRequest>(bytes) {
        Ok((request, _)) => request,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let (mic, number) = match request.required() {
        Ok(v) => v,
        Err(e) => return Ok(Err(Rejection::from_read(&e))),
    };
    let mut header = BulkDownloadResultHeader {
        process_execution_time: ymdhms(now),
        medical_institution_code: Some(mic.to_owned()),
        arbitrary_file_identifier: request.header.arbitrary_file_identifier.clone(),
        reception_number: Some(number.to_owned()),
        segment_of_result: SegmentOfResult::Normal.code().to_owned(),
        character_code_identifier: cfg.result_encoding.character_code_identifier().to_owned(),
        ..BulkDownloadResultHeader::default()
    };
    let mut summary = OutcomeSummary {
        kind: Some(kind),
        medical_institution_code: Some(mic.to_owned()),
        arbitrary_file_identifier: header.arbitrary_file_identifier.clone(),
        ..OutcomeSummary::default()
    };
    let job = stores
        .jobs
        .job(number)?
        .filter(|j| j.medical_institution_code == mic && j.kind == upload_kind);
    let stored = job.and_then(|job| {
        let upload = if job.kind == MessageKind::BulkQualificationUpload {
            Stored::Keys(
                xml::read_document::<BulkUploadRequest>(&job.request)
                    .ok()?
                    .0,
            )
        } else {
            Stored::Criteria(
                xml::read_document::<CriteriaUploadRequest>(&job.request)
                    .ok()?
                    .0,
            )
        };
        Some((job, upload))
    });
    let Some((job, upload)) = stored else {
        let code = refuse(cfg, ErrorKey::BulkReceptionUnknown, &mut header);
        tracing::info!(reception = %number, facility = %mic, "bulk download of an unknown reception number");
        summary.refused(code);
        return Ok(Ok((BulkDownloadResult { header, body: None }, summary)));
    };
    let (date, afi) = match &upload {
        Stored::Keys(u) => (
            u.header.qualification_confirmation_date.clone(),
            u.header.arbitrary_file_identifier.clone(),
        ),
        Stored::Criteria(u) => (None, u.header.arbitrary_file_identifier.clone()),
    };
    header.qualification_confirmation_date = date;
    if header.arbitrary_file_identifier.is_none() {
        header.arbitrary_file_identifier = afi;
    }
    if now < job.ready_at {
        header.segment_of_result = SegmentOfResult::Processing.code().to_owned();
        summary.segment_of_result = Some(header.segment_of_result.clone());
        return Ok(Ok((BulkDownloadResult { header, body: None }, summary)));
    }
    let units = match &upload {
        Stored::Keys(u) => match u.required() {
            Ok(up) => units(engine, pop, stores.references, &up, &job),
            Err(_) => Vec::new(),
        },
        Stored::Criteria(u) => super::criteria::units(engine, pop, stores, job.kind, u, &job)?,
    };
    let normal = units
        .iter()
        .filter(|u| u.processing_result_status == ProcessingResultStatus::Normal.code())
        .count();
    header.number_of_processing_result = Some(units.len().to_string());
    header.number_of_normal_processing = Some(normal.to_string());
    header.number_of_error = Some((units.len() - normal).to_string());
    summary.segment_of_result = Some(header.segment_of_result.clone());
    tracing::info!(reception = %number, units = units.len(), errors = units.len() - normal, "bulk result delivered");
    Ok(Ok((
        BulkDownloadResult {
            header,
            body: Some(BulkDownloadResultBody { units }),
        },
        summary,
    )))
}

/// One unit per person of `up`, as the single check answers each for the job's ready time.
pub(super) fn units(
    engine: &Engine,
    pop: &Population,
    references: &dyn ReferenceNumbers,
    up: &BulkUpload<'_>,
    job: &BulkJob,
) -> Vec<BulkConfirmUnit> {
    let placement = engine.config().bulk.reference_placement;
    up.search
        .iter()
        .map(|search| {
            // Missing keys become empty strings, which the key checks refuse person by person.
            let check = SingleCheck {
                confirmation_date: up.confirmation_date,
                medical_institution_code: up.medical_institution_code,
                arbitrary_file_identifier: None,
                search,
                insurer_number: search.insurer_number.as_deref().unwrap_or(""),
                identification_number: search
                    .insured_identification_number
                    .as_deref()
                    .unwrap_or(""),
                birthdate: search.birthdate.as_deref().unwrap_or(""),
                limit_consent_flag: search
                    .limit_application_certificate_related_cons_flg
                    .as_deref()
                    .unwrap_or(""),
            };
            let result = answer(
                engine,
                pop,
                references,
                &super::NoStores,
                &check,
                job.ready_at,
            );
            let Some(body) = result.body else {
                // The header was checked at upload; report a late failure on the unit anyway.
                return BulkConfirmUnit {
                    qualification_confirm_search_info: Some(search.clone()),
                    processing_result_status: ProcessingResultStatus::Error.code().to_owned(),
                    processing_result_code: result.header.error_code,
                    processing_result_message: result.header.error_message,
                    ..BulkConfirmUnit::default()
                };
            };
            let mut results = body.result_list.map(|l| l.results).unwrap_or_default();
            let reference_number = match placement {
                ReferencePlacement::Result => None,
                ReferencePlacement::Unit | ReferencePlacement::Both => {
                    results.iter().find_map(|r| r.reference_number.clone())
                }
            };
            if placement == ReferencePlacement::Unit {
                for r in &mut results {
                    r.reference_number = None;
                }
            }
            for r in &mut results {
                r.limit_application_certificate_changed =
                    limit_changed(pop, r, job.ready_at.date()).map(str::to_owned);
            }
            BulkConfirmUnit {
                qualification_confirm_search_info: Some(search.clone()),
                processing_result_status: body.processing_result_status,
                processing_result_code: body.processing_result_code,
                processing_result_message: body.processing_result_message,
                qualification_validity: body.qualification_validity,
                results,
                reference_number,
            }
        })
        .collect()
}

/// `LimitApplicationCertificateChanged` (OQSCD014) of a bulk result \[I\]: `1` when the person's
/// 限度額 standing on `on` (which qualification, whether a 限度額適用認定証 covers the day, its
/// 区分 and 適用区分) differs from the standing one month earlier, or cannot be compared (no
/// qualification then); `0` when unchanged. `None` for a result that is not valid on `on`.
pub(super) fn limit_changed(
    pop: &Population,
    r: &sim_messages::siquc01::ResultOfQualificationConfirmation,
    on: chrono::NaiveDate,
) -> Option<&'static str> {
    use crate::eligibility::{CardQuery, matching};
    let query = CardQuery {
        insurer: crate::insurer::InsurerNumber::parse(r.insurer_number.as_deref()?).ok()?,
        symbol: r
            .insured_card_symbol
            .as_deref()
            .map(crate::keys::normalize_key)
            .filter(|s| !s.is_empty()),
        number: crate::keys::normalize_key(r.insured_identification_number.as_deref()?),
        branch: r.insured_branch_number.clone(),
        birthdate: crate::date::parse_ymd(r.birthdate.as_deref()?)?,
    };
    let found = matching(pop, &query)
        .into_iter()
        .find(|&q| pop.qualification(q).is_active_on(on))?;
    let person = pop.person(found);
    let state = |d: chrono::NaiveDate| {
        let (i, q) = person
            .qualifications
            .iter()
            .enumerate()
            .filter(|(_, q)| q.is_active_on(d))
            .max_by_key(|(_, q)| q.acquired)?;
        let kind = pop.insurer(&q.insurer).map(|i| i.kind)?;
        let cert = q.limit_certificate.filter(|c| c.covers(d));
        Some((
            i,
            cert.map(|_| crate::derive::limit_category(person, kind, d)),
        ))
    };
    let before = on.checked_sub_months(chrono::Months::new(1))?;
    match (state(before), state(on)) {
        (Some(a), Some(b)) if a == b => Some("0"),
        _ => Some("1"),
    }
}
