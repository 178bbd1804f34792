//! The My Number Card check (照会区分 1): the person is known from the card's certificate, not from
//! typed keys, so eligibility is decided for the person on the day and the result carries the
//! patient's consent answers from the face-auth reader (`…ConsFlg` / `…ConsTime` /
//! `…AvailableTime`).
//!
//! Decision for a person on a date: the qualification valid that day → 1 有効; else the latest one
//! started by then → 2 無効; none → 4 該当資格なし. (3 cannot arise: the card names the person,
//! so the valid qualification is always the one found.)

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use sim_messages::codes::{
    ProcessingResultStatus, QualificationValidity, ReferenceClassification, SegmentOfResult,
};
use sim_messages::siquc01::{QualificationConfirmResult, ResultBody, ResultHeader, ResultList};

use super::Engine;
use super::result_item::{Consent, build_item};
use super::stores::ReferenceNumbers;
use crate::date::ymdhms;
use crate::population::{Population, QualRef};

/// How long consent to view information lasts (`…AvailableTime`), OQSCD031 differs per 診療形態.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsentWindow {
    /// Until 23:59:59 of the day after consent (observed for 外来).
    #[default]
    EndOfNextDay,
    /// Exactly this many hours after consent.
    Hours(u32),
}

impl ConsentWindow {
    /// The `…AvailableTime` of consent given at `at`.
    pub fn available_until(self, at: NaiveDateTime) -> NaiveDateTime {
        match self {
            ConsentWindow::EndOfNextDay => {
                let next = at
                    .date()
                    .checked_add_days(Days::new(1))
                    .unwrap_or(at.date());
                next.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
            }
            ConsentWindow::Hours(h) => at + chrono::Duration::hours(i64::from(h)),
        }
    }
}

/// The patient's answers on the reader's consent screens (true = 同意する).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CardConsents {
    /// 薬剤情報 (`PharmacistsInfo…`).
    pub drug: bool,
    /// 特定健診情報 (`SpecificHealthCheckupsInfo…`).
    pub checkup: bool,
    /// 診療情報 (`DiagnosisInfo…`).
    pub diagnosis: bool,
    /// 手術情報 (`OperationInfo…`).
    pub operation: bool,
    /// 限度額適用認定証 (`LimitApplicationCertificateRelated…`).
    pub limit: bool,
    /// 特定疾病療養受療証 (`SpecificDiseasesCertificateRelated…`).
    pub specific_disease: bool,
}

/// A card check to answer.
#[derive(Debug, Clone)]
pub struct CardCheck<'a> {
    /// The person behind the verified certificate.
    pub person_id: &'a str,
    /// The terminal's 医療機関コード.
    pub medical_institution_code: &'a str,
    /// The terminal-generated `ArbitraryFileIdentifier`.
    pub arbitrary_file_identifier: &'a str,
    /// The consent answers.
    pub consents: CardConsents,
    /// The `…AvailableTime` rule.
    pub window: ConsentWindow,
}

fn decide_person(pop: &Population, person_id: &str, on: NaiveDate) -> Option<QualRef> {
    let index = pop.index_of(person_id)?;
    let person = pop.person_at(index);
    let pick = |active: bool| {
        person
            .qualifications
            .iter()
            .enumerate()
            .filter(|(_, q)| q.acquired <= on && (!active || q.is_active_on(on)))
            .max_by_key(|(_, q)| q.acquired)
            .map(|(i, _)| QualRef {
                person: index,
                qualification: i as u16,
            })
    };
    pick(true).or_else(|| pick(false))
}

pub(super) fn answer(
    engine: &Engine,
    pop: &Population,
    references: &dyn ReferenceNumbers,
    check: &CardCheck<'_>,
    now: NaiveDateTime,
) -> QualificationConfirmResult {
    let cfg = engine.config();
    let date = now.date();
    let header = ResultHeader {
        process_execution_time: ymdhms(now),
        qualification_confirmation_date: Some(crate::date::ymd(date)),
        medical_institution_code: Some(check.medical_institution_code.to_owned()),
        arbitrary_file_identifier: Some(check.arbitrary_file_identifier.to_owned()),
        reference_classification: Some(ReferenceClassification::MyNumberCard.code().to_owned()),
        segment_of_result: SegmentOfResult::Normal.code().to_owned(),
        error_code: None,
        error_message: None,
        character_code_identifier: cfg.result_encoding.character_code_identifier().to_owned(),
    };
    let mut body = ResultBody {
        processing_result_status: ProcessingResultStatus::Normal.code().to_owned(),
        ..ResultBody::default()
    };
    let Some(r) = decide_person(pop, check.person_id, date) else {
        let entry = cfg
            .catalogue
            .get(sim_messages::ErrorKey::QualificationNotFound);
        body.qualification_validity = Some(QualificationValidity::NotFound.code().to_owned());
        body.processing_result_code = Some(entry.code);
        body.processing_result_message = Some(entry.message);
        return QualificationConfirmResult {
            header,
            body: Some(body),
        };
    };
    let validity = if pop.is_active_on(r, date) {
        QualificationValidity::Valid
    } else {
        QualificationValidity::Invalid
    };
    body.qualification_validity = Some(validity.code().to_owned());
    let c = check.consents;
    let consent = Consent {
        limit_flag: c.limit,
        time: now,
    };
    let mut item = build_item(pop, r, date, cfg.partial_ratio, &consent);
    let flag = |yes: bool| Some(if yes { "1" } else { "0" }.to_owned());
    let time = |yes: bool| yes.then(|| ymdhms(now));
    let until = |yes: bool| yes.then(|| ymdhms(check.window.available_until(now)));
    item.pharmacists_info_cons_flg = flag(c.drug);
    item.pharmacists_info_cons_time = time(c.drug);
    item.pharmacists_info_available_time = until(c.drug);
    item.specific_health_checkups_info_cons_flg = flag(c.checkup);
    item.specific_health_checkups_info_cons_time = time(c.checkup);
    item.specific_health_checkups_info_available_time = until(c.checkup);
    item.diagnosis_info_cons_flg = flag(c.diagnosis);
    item.diagnosis_info_cons_time = time(c.diagnosis);
    item.diagnosis_info_available_time = until(c.diagnosis);
    item.operation_info_cons_flg = flag(c.operation);
    item.operation_info_cons_time = time(c.operation);
    item.operation_info_available_time = until(c.operation);
    item.specific_diseases_certificate_related_cons_flg = flag(c.specific_disease);
    item.specific_diseases_certificate_related_cons_time = time(c.specific_disease);
    item.reference_number =
        references.reference_number(check.medical_institution_code, check.person_id);
    body.result_list = Some(ResultList {
        results: vec![item],
    });
    QualificationConfirmResult {
        header,
        body: Some(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").unwrap()
    }

    #[test]
    fn window_end_of_next_day_and_hours() {
        let t = at("20260922090000");
        assert_eq!(
            ymdhms(ConsentWindow::EndOfNextDay.available_until(t)),
            "20260923235959"
        );
        assert_eq!(
            ymdhms(ConsentWindow::Hours(24).available_until(t)),
            "20260923090000"
        );
    }
}
