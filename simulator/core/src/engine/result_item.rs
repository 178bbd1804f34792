//! One `ResultOfQualificationConfirmation`: a qualification and its person as the terminal reports
//! them for a date, with the facts derived for that date.

use chrono::{NaiveDate, NaiveDateTime};
use sim_messages::siquc01::{
    ElderlyRecipientCertificateInfo, LimitApplicationCertificateRelatedInfo,
    ResultOfQualificationConfirmation,
};

use super::PartialRatio;
use crate::date::{ymd, ymdhms};
use crate::derive::{burden_percent, elderly_certificate, is_preschool, limit_category};
use crate::insurer::InsurerKind;
use crate::kana::to_half_width;
use crate::population::{Population, QualRef};

/// Consent given for this check.
pub(super) struct Consent {
    /// 限度額適用認定証提供同意 (from the request's flag for insurance-card checks).
    pub limit_flag: bool,
    /// When it was given.
    pub time: NaiveDateTime,
}

pub(super) fn build_item(
    pop: &Population,
    r: QualRef,
    on: NaiveDate,
    partial_ratio: PartialRatio,
    consent: &Consent,
) -> ResultOfQualificationConfirmation {
    // The person's own fields; the qualification reported is `q`.
    let person = &pop.person_without_history(r.person);
    let q = pop.qualification(r);
    let insurer = pop.insurer(&q.insurer);
    let kind = insurer.map(|i| i.kind).unwrap_or(InsurerKind::KyokaiKenpo);
    let active = q.is_active_on(on);
    let s = |v: &str| Some(v.to_owned());

    let ratio = match partial_ratio {
        PartialRatio::Always => true,
        PartialRatio::KoukiOnly => kind == InsurerKind::Kouki,
    };
    let elderly = (active && kind != InsurerKind::Kouki)
        .then(|| elderly_certificate(person.birthdate, on))
        .flatten()
        .map(|(from, until)| ElderlyRecipientCertificateInfo {
            elderly_recipient_certificate_date: Some(ymd(from.max(q.acquired))),
            elderly_recipient_valid_start_date: Some(ymd(from.max(q.acquired))),
            elderly_recipient_valid_end_date: Some(ymd(until)),
            elderly_recipient_contribution_ratio: Some(format!(
                "{:03}",
                burden_percent(person, kind, on)
            )),
        });
    let limit_info = q
        .limit_certificate
        .filter(|c| consent.limit_flag && active && c.covers(on))
        .map(|c| {
            let (class, code) = limit_category(person, kind, on);
            LimitApplicationCertificateRelatedInfo {
                limit_application_certificate_classification: s(class),
                limit_application_certificate_classification_flag: s(code),
                limit_application_certificate_date: Some(ymd(c.issued)),
                limit_application_certificate_valid_start_date: Some(ymd(c.valid_from)),
                limit_application_certificate_valid_end_date: Some(ymd(c.valid_until)),
                limit_application_certificate_long_term_date: None,
            }
        });

    ResultOfQualificationConfirmation {
        insured_card_classification: s(q.card_class.code()),
        insurer_number: Some(q.insurer.to_wire()),
        insured_card_symbol: q.card.symbol.clone(),
        insured_identification_number: Some(q.card.number.clone()),
        insured_branch_number: Some(q.card.branch.clone()),
        personal_family_classification: s(q.relationship.code()),
        insured_name: q.insured_name.clone(),
        name: Some(person.name.clone()),
        name_of_other: person.name_of_other.clone(),
        name_kana: Some(to_half_width(&person.name_kana)),
        name_of_other_kana: person.name_of_other_kana.as_deref().map(to_half_width),
        sex1: s(person.sex.code()),
        birthdate: Some(ymd(person.birthdate)),
        address: Some(person.address.clone()),
        post_number: Some(person.postcode.clone()),
        qualification_date: Some(ymd(q.acquired)),
        disqualification_date: q.lost.map(|l| ymd(l.date)),
        insured_certificate_issuance_date: Some(ymd(q.card_issued)),
        insured_card_valid_date: Some(ymd(q.card_valid_from)),
        insured_card_expiration_date: q.card_valid_until.map(ymd),
        insured_partial_contribution_ratio: (ratio && active)
            .then(|| format!("{:03}", burden_percent(person, kind, on))),
        preschool_classification: (active && is_preschool(person.birthdate, on))
            .then(|| "1".to_owned()),
        reason_of_loss: q.lost.map(|l| l.reason.code().to_owned()),
        insurer_name: insurer.map(|i| i.name.clone()),
        elderly_recipient_certificate_info: elderly,
        limit_application_certificate_related_cons_flg: s(if consent.limit_flag {
            "1"
        } else {
            "0"
        }),
        limit_application_certificate_related_cons_time: consent
            .limit_flag
            .then(|| ymdhms(consent.time)),
        limit_application_certificate_related_info: limit_info,
        ..ResultOfQualificationConfirmation::default()
    }
}
