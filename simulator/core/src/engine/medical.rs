//! `YZKsiquc01req_` (薬剤情報) and `TKKsiquc01req_` (特定健診情報): the rules, then the result as
//! XML (`FileCategory` 2/4) or PDF (1/3, rendered by the [`MedicalRenderer`](crate::medical::MedicalRenderer) of the stores).
//!
//! Checked in this order, each refusal answered with `SegmentOfResult` 9, `ErrorCode` /
//! `ErrorMessage`, `ResultCode` 2 and `MessageContents` (an XML result even when a PDF was asked
//! for, since a refusal has no report to print):
//!
//! 1. the 医療機関コード is 10 digits (`header.medical_institution_code`);
//! 2. `FileCategory` is 1–4 for drugs, 1–2 for checkups (`medical.file_category`);
//! 3. a checkup is not asked by a pharmacy, 点数表番号 (the 3rd digit) 4 (`medical.pharmacy_checkup`);
//! 4. `StartDate` / `EndDate` are `yyyyMM`, in order, not after this month (`medical.period`);
//! 5. the card keys are well formed (`person.*`) and name exactly one person
//!    (`qualification.not_found`, `qualification.multiple`);
//! 6. consent: the latest answers of the person at this facility give the category
//!    (`medical.no_consent`; if only another facility's do, `medical.other_facility`), and their
//!    `…AvailableTime` has not passed on the simulator clock (`medical.consent_expired`).
//!    Drugs with 診療情報 (3/4) need consent to both.
//!
//! Windows: drugs for the last `drug_months` months (36) including this one, the request's
//! period clipped to it; checkups of the last `checkup_years` years (5), narrowed by the request's
//! months when it has them.

use chrono::{Months, NaiveDate, NaiveDateTime};
use sim_messages::ErrorKey;
use sim_messages::codes::SegmentOfResult;
use sim_messages::file_name::RequestFileName;
use sim_messages::medreq::{FileCategory, MedicalInfoQuery, MedicalInfoRequest};
use sim_messages::tkk::{
    CheckupInfoBody, CheckupInfoResult, CheckupInfoResultHeader,
    HealthCheckupResultAndQuestionInfo, HealthCheckupResultAndQuestionInfos, QualificationsInfo,
    SpecificHealthCheckupInfo,
};
use sim_messages::yzk::{
    DiDateInf, DiDateInfs, DrugInf, DrugInfoBody, DrugInfoResult, DrugInfoResultHeader, DrugInfs,
    MeTrInf, MeTrInfs, MeTrMonthInf, QuaInf,
};
use sim_messages::{MessageKind, xml};

use super::stores::{StoreError, Stores};
use super::{Engine, FileOutcome, OutcomeSummary, Rejection};
use crate::date::{ymd, ymdhms};
use crate::insurer::InsurerNumber;
use crate::kana::to_half_width;
use crate::keys::{normalize_branch, normalize_key};
use crate::medical::{
    CHECKUP_ITEM_OID, CheckupReport, CheckupValue, ConsentCategory, DrugMonth, DrugReport, Patient,
    YearMonth,
};
use crate::person::{Person, Sex};
use crate::population::{Population, QualRef};

/// Windows of the medical information (`[medical]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MedicalConfig {
    /// Months of drug history available, this month included.
    pub drug_months: u32,
    /// Years of checkups available.
    pub checkup_years: u32,
}

impl Default for MedicalConfig {
    fn default() -> Self {
        MedicalConfig {
            drug_months: 36,
            checkup_years: 5,
        }
    }
}

enum Report {
    Drug(DrugReport),
    Checkup(CheckupReport),
}

struct Refusal {
    key: ErrorKey,
    patient: Option<Patient>,
}

impl From<ErrorKey> for Refusal {
    fn from(key: ErrorKey) -> Refusal {
        Refusal { key, patient: None }
    }
}

/// Answers a drug or checkup request file.
pub(super) fn answer(
    engine: &Engine,
    pop: &Population,
    stores: Stores<'_>,
    parsed: &RequestFileName,
    bytes: &[u8],
    now: NaiveDateTime,
) -> Result<FileOutcome, StoreError> {
    let kind = parsed.kind;
    let request = match xml::read_document::<MedicalInfoRequest>(bytes) {
        Ok((request, _)) => request,
        Err(e) => {
            return Ok(engine.reject(&parsed.request_name(), Some(kind), Rejection::from_read(&e)));
        }
    };
    let q = match request.required() {
        Ok(q) => q,
        Err(e) => {
            return Ok(engine.reject(&parsed.request_name(), Some(kind), Rejection::from_read(&e)));
        }
    };
    let mut summary = OutcomeSummary {
        kind: Some(kind),
        medical_institution_code: Some(q.medical_institution_code.to_owned()),
        arbitrary_file_identifier: q.arbitrary_file_identifier.map(str::to_owned),
        segment_of_result: Some(SegmentOfResult::Normal.code().to_owned()),
        ..OutcomeSummary::default()
    };
    let decided = decide(engine, pop, stores, kind, &q, now)?;
    let cfg = engine.config();
    let (bytes, extension) = match decided {
        Ok((report, category)) if category.is_pdf() => {
            let pdf = match &report {
                Report::Drug(r) => stores.renderer.drug_pdf(r)?,
                Report::Checkup(r) => stores.renderer.checkup_pdf(r)?,
            };
            (pdf, "pdf")
        }
        Ok((Report::Drug(r), _)) => (engine.write_any(&drug_xml(engine, &q, &r, now)), "xml"),
        Ok((Report::Checkup(r), _)) => (engine.write_any(&checkup_xml(engine, &q, &r, now)), "xml"),
        Err(refusal) => {
            let entry = cfg.catalogue.get(refusal.key);
            summary.refused(entry.code.clone());
            let doc = if kind == MessageKind::CheckupInformation {
                let mut r = CheckupInfoResult {
                    header: checkup_header(engine, &q, refusal.patient.as_ref(), now),
                    body: None,
                };
                r.header.segment_of_result = SegmentOfResult::Abnormal.code().to_owned();
                r.header.error_code = Some(entry.code);
                r.header.error_message = Some(entry.message.clone());
                r.header.result_code = "2".to_owned();
                r.header.message_contents = Some(entry.message);
                engine.write_any(&r)
            } else {
                let mut r = DrugInfoResult {
                    header: drug_header(engine, &q, refusal.patient.as_ref(), now),
                    body: None,
                };
                r.header.segment_of_result = SegmentOfResult::Abnormal.code().to_owned();
                r.header.error_code = Some(entry.code);
                r.header.error_message = Some(entry.message.clone());
                r.header.result_code = "2".to_owned();
                r.header.message_contents = Some(entry.message);
                engine.write_any(&r)
            };
            (doc, "xml")
        }
    };
    Ok(FileOutcome::Answered {
        result_name: parsed.result_name_with_extension(extension),
        bytes,
        summary,
    })
}

type Decided = Result<(Report, FileCategory), Refusal>;

fn decide(
    engine: &Engine,
    pop: &Population,
    stores: Stores<'_>,
    kind: MessageKind,
    q: &MedicalInfoQuery<'_>,
    now: NaiveDateTime,
) -> Result<Decided, StoreError> {
    let cfg = engine.config().medical;
    let checkup = kind == MessageKind::CheckupInformation;
    if !super::is_medical_institution_code(q.medical_institution_code) {
        return Ok(Err(ErrorKey::HeaderMedicalInstitutionCode.into()));
    }
    let category = match FileCategory::parse(q.file_category) {
        Some(c) if !(checkup && c.with_diagnosis()) => c,
        _ => return Ok(Err(ErrorKey::MedicalFileCategory.into())),
    };
    if checkup && is_pharmacy(q.medical_institution_code) {
        return Ok(Err(ErrorKey::MedicalPharmacyCheckup.into()));
    }
    let Some(period) = period(q, now.date()) else {
        return Ok(Err(ErrorKey::MedicalPeriod.into()));
    };
    let r = match find_person(pop, q, engine.config().enforce_check_digit) {
        Ok(r) => r,
        Err(key) => return Ok(Err(key.into())),
    };
    let person = pop.person(r);
    let patient = patient(pop, r);
    let mut needed = vec![if checkup {
        ConsentCategory::Checkup
    } else {
        ConsentCategory::Drug
    }];
    if category.with_diagnosis() {
        needed.push(ConsentCategory::Diagnosis);
    }
    if let Some(key) =
        consent_refusal(stores, &person.id, q.medical_institution_code, &needed, now)?
    {
        return Ok(Err(Refusal {
            key,
            patient: Some(patient),
        }));
    }
    let this_month = YearMonth::of(now.date());
    let report = if checkup {
        let window_start = now
            .date()
            .checked_sub_months(Months::new(12 * cfg.checkup_years))
            .and_then(|d| d.succ_opt())
            .unwrap_or(NaiveDate::MIN);
        let (from, to) = match period {
            (Some(s), e) => (
                s.first_day().max(window_start),
                e.last_day().min(now.date()),
            ),
            (None, e) => (window_start, e.last_day().min(now.date())),
        };
        let checkups = if from <= to {
            stores.records.checkups(person, from, to)
        } else {
            Vec::new()
        };
        Report::Checkup(CheckupReport {
            patient,
            medical_institution_code: q.medical_institution_code.to_owned(),
            arbitrary_file_identifier: q.arbitrary_file_identifier.map(str::to_owned),
            from,
            to,
            made_at: now,
            checkups,
        })
    } else {
        let window_start = this_month.plus(1 - cfg.drug_months.max(1) as i32);
        let to = period.1;
        let from = period.0.unwrap_or(window_start).max(window_start);
        let mut months = if from <= to {
            stores.records.drug_history(person, from, to)
        } else {
            Vec::new()
        };
        // Nothing dispensed after today (the generator knows months, not the clock).
        for m in &mut months {
            m.days.retain(|d| d.dispensed <= now.date());
        }
        months.retain(|m| !m.days.is_empty());
        if !category.with_diagnosis() {
            for m in &mut months {
                for d in &mut m.days {
                    d.treatments.clear();
                }
            }
        }
        Report::Drug(DrugReport {
            patient,
            medical_institution_code: q.medical_institution_code.to_owned(),
            arbitrary_file_identifier: q.arbitrary_file_identifier.map(str::to_owned),
            from,
            to,
            with_diagnosis: category.with_diagnosis(),
            made_at: now,
            months,
        })
    };
    Ok(Ok((report, category)))
}

/// When the patient consented to 限度額 at `facility`'s reader, if that consent is the latest
/// answer there and still valid at `now`: qualification results of the same facility then carry
/// the 限度額 data (item 4 of the issue: consistent with the consent records).
pub(super) fn stored_limit_consent(
    consents: &dyn crate::medical::ConsentRecords,
    facility: &str,
    person_id: &str,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let grants = match consents.latest_per_facility(person_id) {
        Ok(g) => g,
        Err(StoreError::Unavailable) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "consent records unavailable; 限度額 from the request flag only");
            return None;
        }
    };
    grants
        .into_iter()
        .find(|g| g.medical_institution_code == facility)
        .filter(|g| g.limit && now <= g.available_until)
        .map(|g| g.at)
}

/// 点数表番号 4 (調剤): the 3rd digit of the 医療機関コード.
pub fn is_pharmacy(medical_institution_code: &str) -> bool {
    medical_institution_code.as_bytes().get(2) == Some(&b'4')
}

/// The requested months: (start if given, end). `None` when malformed, reversed or in the future.
fn period(q: &MedicalInfoQuery<'_>, today: NaiveDate) -> Option<(Option<YearMonth>, YearMonth)> {
    let this_month = YearMonth::of(today);
    let start = match q.start_date {
        Some(s) => Some(YearMonth::parse(s)?),
        None => None,
    };
    let end = match q.end_date {
        Some(s) => YearMonth::parse(s)?,
        None => this_month,
    };
    if end > this_month || start.is_some_and(|s| s > end) {
        return None;
    }
    Some((start, end))
}

fn find_person(
    pop: &Population,
    q: &MedicalInfoQuery<'_>,
    enforce_check_digit: bool,
) -> Result<QualRef, ErrorKey> {
    let insurer =
        InsurerNumber::parse(q.insurer_number).map_err(|_| ErrorKey::PersonInsurerNumber)?;
    if enforce_check_digit && !insurer.has_valid_check_digit() {
        return Err(ErrorKey::PersonInsurerCheckDigit);
    }
    let number = normalize_key(q.identification_number);
    if number.is_empty() || number.chars().count() > 20 {
        return Err(ErrorKey::PersonNumber);
    }
    let symbol = q.symbol.map(normalize_key).filter(|s| !s.is_empty());
    let branch = match q.branch {
        None => None,
        Some(raw) => Some(normalize_branch(raw).ok_or(ErrorKey::PersonBranchNumber)?),
    };
    let matched: Vec<QualRef> = pop
        .candidates(&insurer, &number)
        .iter()
        .copied()
        .filter(|&r| {
            let c = &pop.qualification(r).card;
            c.symbol
                .as_deref()
                .map(normalize_key)
                .filter(|s| !s.is_empty())
                == symbol
                && branch.as_ref().is_none_or(|b| *b == c.branch)
        })
        .collect();
    let Some(&first) = matched.first() else {
        return Err(ErrorKey::QualificationNotFound);
    };
    if matched.iter().any(|r| r.person != first.person) {
        return Err(ErrorKey::QualificationMultiple);
    }
    Ok(first)
}

fn consent_refusal(
    stores: Stores<'_>,
    person_id: &str,
    facility: &str,
    needed: &[ConsentCategory],
    now: NaiveDateTime,
) -> Result<Option<ErrorKey>, StoreError> {
    let grants = stores.consents.latest_per_facility(person_id)?;
    let mine = grants
        .iter()
        .find(|g| g.medical_institution_code == facility);
    for &category in needed {
        match mine {
            Some(g) if g.gives(category) => {
                if now > g.available_until {
                    return Ok(Some(ErrorKey::MedicalConsentExpired));
                }
            }
            _ => {
                let elsewhere = grants
                    .iter()
                    .any(|g| g.medical_institution_code != facility && g.gives(category));
                return Ok(Some(if elsewhere {
                    ErrorKey::MedicalOtherFacility
                } else {
                    ErrorKey::MedicalNoConsent
                }));
            }
        }
    }
    Ok(None)
}

/// The patient header of the qualification `r`: the person and that card's keys.
pub fn patient(pop: &Population, r: QualRef) -> Patient {
    let person: &Person = pop.person(r);
    let q = pop.qualification(r);
    Patient {
        name: person.name.clone(),
        name_kana: person.name_kana.clone(),
        birthdate: person.birthdate,
        sex: match person.sex {
            Sex::Male => "男",
            Sex::Female => "女",
            Sex::Unset => "未設定",
        },
        sex_code: person.sex.code(),
        insurer_number: q.insurer.as_str().to_owned(),
        symbol: q.card.symbol.clone(),
        number: q.card.number.clone(),
        branch: q.card.branch.clone(),
    }
}

fn drug_header(
    engine: &Engine,
    q: &MedicalInfoQuery<'_>,
    patient: Option<&Patient>,
    now: NaiveDateTime,
) -> DrugInfoResultHeader {
    DrugInfoResultHeader {
        process_execution_time: ymdhms(now),
        medical_institution_code: Some(q.medical_institution_code.to_owned()),
        arbitrary_file_identifier: q.arbitrary_file_identifier.map(str::to_owned),
        segment_of_result: SegmentOfResult::Normal.code().to_owned(),
        error_code: None,
        error_message: None,
        character_code_identifier: engine
            .config()
            .result_encoding
            .character_code_identifier()
            .to_owned(),
        qua_inf: patient.map(|p| QuaInf {
            name: p.name.clone(),
            kana_name: Some(to_half_width(&p.name_kana)),
            birth: ymd(p.birthdate),
            adm_gend_code: p.sex_code.to_owned(),
        }),
        result_code: "1".to_owned(),
        message_contents: None,
    }
}

fn checkup_header(
    engine: &Engine,
    q: &MedicalInfoQuery<'_>,
    patient: Option<&Patient>,
    now: NaiveDateTime,
) -> CheckupInfoResultHeader {
    let d = drug_header(engine, q, None, now);
    CheckupInfoResultHeader {
        process_execution_time: d.process_execution_time,
        medical_institution_code: d.medical_institution_code,
        arbitrary_file_identifier: d.arbitrary_file_identifier,
        segment_of_result: d.segment_of_result,
        error_code: None,
        error_message: None,
        character_code_identifier: d.character_code_identifier,
        qualifications_info: patient.map(|p| QualificationsInfo {
            name: p.name.clone(),
            kanas_name: Some(to_half_width(&p.name_kana)),
            birthday: ymd(p.birthdate),
            administrative_gender_code: p.sex_code.to_owned(),
        }),
        result_code: "1".to_owned(),
        message_contents: None,
    }
}

/// A quantity as written: no trailing zeros (`1`, `0.5`, `1.25`).
pub fn quantity_text(q: f64) -> String {
    let s = format!("{q:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

fn month_xml(m: &DrugMonth, facility: &str) -> MeTrMonthInf {
    let own = m.prescribing.code == facility || m.dispensing.code == facility;
    MeTrMonthInf {
        di_org: Some("1".to_owned()),
        me_tr_di_h_cd: m.dispensing.code.clone(),
        me_tr_di_h_nm: m.dispensing.name.clone(),
        prls_h_cd: Some(m.prescribing.code.clone()),
        prls_h_nm: Some(m.prescribing.name.clone()),
        me_tr_month: m.month.code(),
        pr_is_org: Some(if own { "1" } else { "2" }.to_owned()),
        in_out: Some(if m.outside { "2" } else { "1" }.to_owned()),
        dates: DiDateInfs {
            items: m
                .days
                .iter()
                .map(|d| DiDateInf {
                    di_date: ymd(d.dispensed),
                    pr_date: Some(ymd(d.prescribed)),
                    drugs: DrugInfs {
                        items: d
                            .drugs
                            .iter()
                            .map(|l| DrugInf {
                                drug_c: l.code.clone(),
                                drug_n: l.name.clone(),
                                ingre_n: Some(l.generic_name.clone()),
                                qua1: quantity_text(l.quantity),
                                unit: Some(l.unit.clone()),
                                usage_n: Some(l.usage.clone()),
                                sp_inst: l.special_instruction.clone(),
                                times: l.times.to_string(),
                                me_tr_id_cl: Some(l.class.code().to_owned()),
                            })
                            .collect(),
                    },
                    treatments: (!d.treatments.is_empty()).then(|| MeTrInfs {
                        items: d
                            .treatments
                            .iter()
                            .map(|t| MeTrInf {
                                sin_inf_n: t.name.clone(),
                                sin_inf_cd: t.code.clone(),
                                me_tr_id_cl: Some(t.class.clone()),
                                qua1: Some("1".to_owned()),
                                times: Some(t.times.to_string()),
                                unit: None,
                            })
                            .collect(),
                    }),
                })
                .collect(),
        },
    }
}

fn drug_xml(
    engine: &Engine,
    q: &MedicalInfoQuery<'_>,
    r: &DrugReport,
    now: NaiveDateTime,
) -> DrugInfoResult {
    DrugInfoResult {
        header: drug_header(engine, q, Some(&r.patient), now),
        body: Some(DrugInfoBody {
            months: r
                .months
                .iter()
                .map(|m| month_xml(m, q.medical_institution_code))
                .collect(),
        }),
    }
}

fn checkup_xml(
    engine: &Engine,
    q: &MedicalInfoQuery<'_>,
    r: &CheckupReport,
    now: NaiveDateTime,
) -> CheckupInfoResult {
    CheckupInfoResult {
        header: checkup_header(engine, q, Some(&r.patient), now),
        body: Some(CheckupInfoBody {
            checkups: r
                .checkups
                .iter()
                .map(|c| SpecificHealthCheckupInfo {
                    effective_time: ymd(c.date),
                    health_checkup_result_and_question_infos: HealthCheckupResultAndQuestionInfos {
                        items: c
                            .items
                            .iter()
                            .map(|i| {
                                let (data_type, unit, value_name) = match &i.value {
                                    CheckupValue::Quantity { unit, .. } => {
                                        ("PQ", Some((*unit).to_owned()), None)
                                    }
                                    CheckupValue::Coded { name, .. } => {
                                        ("CD", None, Some((*name).to_owned()))
                                    }
                                };
                                HealthCheckupResultAndQuestionInfo {
                                    item_code: i.code.to_owned(),
                                    item_name: i.name.to_owned(),
                                    data_type: data_type.to_owned(),
                                    data_value: i.value.text(),
                                    unit,
                                    oid: Some(CHECKUP_ITEM_OID.to_owned()),
                                    data_value_name: value_name,
                                }
                            })
                            .collect(),
                    },
                })
                .collect(),
        }),
    }
}
