//! 医療扶助 results (oqs-interface.md §2.4, §2.7): a recipient's `ResultOfQualificationConfirmation`
//! (`InsuredCardClassification` A1, the 公費負担者番号 as `InsurerNumber`, the 受給者番号 as
//! `InsuredIdentificationNumber`, the 福祉事務所 as `InsurerName`) with
//! `PublicExpenseResultList/MedicalTicketInfo` for the treatment month.
//!
//! `QualificationValidity` \[I\]: 1 有効 when the facility holds a ticket of that month, 6
//! 有効（未登録） when the person receives aid but no ticket of the month names this facility, 2
//! 無効 once the aid has ended, 4 before it began.

use chrono::NaiveDate;
use sim_messages::codes::QualificationValidity;
use sim_messages::siquc01::{
    MedicalTicketInfo, PublicExpenseResultList, QualificationConfirmSearchInfo,
    ResultOfQualificationConfirmation,
};

use crate::date::ymd;
use crate::kana::to_half_width;
use crate::medical_aid::{Recipient, Ticket, TicketKind};
use crate::population::Population;

/// 法別番号 of 生活保護法による医療扶助: 公費負担者番号 starting with it are looked up as recipients.
pub(super) const PUBLIC_ASSISTANCE_LAW: &str = "12";

/// 被保険者証区分 of 医療扶助.
pub(super) const CARD_CLASS: &str = "A1";

/// The validity of a recipient's keys on `on` for `facility`, with the tickets of that month
/// naming the facility.
pub(super) fn decide(
    rec: &Recipient,
    on: NaiveDate,
    facility: &str,
) -> (QualificationValidity, Vec<Ticket>) {
    if on < rec.since {
        return (QualificationValidity::NotFound, Vec::new());
    }
    if !rec.covers(on) {
        return (QualificationValidity::Invalid, Vec::new());
    }
    let tickets: Vec<Ticket> = rec
        .tickets_on(on)
        .into_iter()
        .filter(|t| t.designated_facility == facility)
        .collect();
    if tickets.is_empty() {
        (QualificationValidity::ValidUnregistered, tickets)
    } else {
        (QualificationValidity::Valid, tickets)
    }
}

fn ticket_info(t: &Ticket, facility: &str, kouki: bool) -> MedicalTicketInfo {
    let s = |v: &str| Some(v.to_owned());
    let (kind, treatment) = match t.kind {
        TicketKind::Medical => ("01", "02"),
        TicketKind::Dispensing => ("02", "04"),
    };
    let dispensing = t.kind == TicketKind::Dispensing;
    MedicalTicketInfo {
        ticket_type: s(kind),
        medical_ticket_valid_date: Some(ymd(t.valid_from)),
        medical_ticket_expiration_date: Some(ymd(t.valid_until)),
        issue_number: s(&t.issue_number),
        medical_treatment_month: s(&t.month),
        designated_medical_institution_code: s(&t.designated_facility),
        designated_medical_institution_flag: s(if t.designated_facility == facility {
            "0"
        } else {
            "1"
        }),
        designated_medical_institution_name: s("指定医療機関（模擬）"),
        prescription_issuer_medical_institution_code: dispensing
            .then(|| t.designated_facility.clone()),
        prescription_issuer_medical_institution_name: dispensing
            .then(|| "指定医療機関（模擬）".to_owned()),
        injury_name1: s(t.injury),
        medical_treatment_type: s(treatment),
        self_pay_amount: Some(t.self_pay_yen.to_string()),
        district_contact_name: s("模擬　地区担当"),
        handling_contact_name: s("模擬　取扱担当"),
        single_or_combined_use: s("01"),
        status_of_social_insurance: s("02"),
        status_of_infection: s("02"),
        status_of_elderly_medical_care: s(if kouki { "01" } else { "02" }),
        status_of_prefectural_expenses: s("02"),
        ..MedicalTicketInfo::default()
    }
}

/// The result item of a recipient, with `tickets` (the list is omitted when there are none).
pub(super) fn result_item(
    pop: &Population,
    rec: &Recipient,
    tickets: &[Ticket],
    facility: &str,
) -> ResultOfQualificationConfirmation {
    let person = &pop.persons()[rec.person as usize];
    let s = |v: &str| Some(v.to_owned());
    let mut item = ResultOfQualificationConfirmation {
        insured_card_classification: s(CARD_CLASS),
        insurer_number: Some(rec.public_payer.to_wire()),
        insured_identification_number: s(&rec.recipient_number),
        personal_family_classification: s("1"),
        name: s(&person.name),
        name_of_other: person.name_of_other.clone(),
        name_kana: Some(to_half_width(&person.name_kana)),
        name_of_other_kana: person.name_of_other_kana.as_deref().map(to_half_width),
        sex1: s(person.sex.code()),
        birthdate: Some(ymd(person.birthdate)),
        address: s(&person.address),
        post_number: s(&person.postcode),
        qualification_date: Some(ymd(rec.since)),
        disqualification_date: rec.until.map(ymd),
        insurer_name: s(&rec.office_name),
        ..ResultOfQualificationConfirmation::default()
    };
    if !tickets.is_empty() {
        item.public_expense_result_list = Some(PublicExpenseResultList {
            tickets: tickets
                .iter()
                .map(|t| {
                    let kouki = crate::date::age_on(person.birthdate, t.valid_from) >= 75;
                    ticket_info(t, facility, kouki)
                })
                .collect(),
        });
    }
    item
}

/// The search keys a clinic types for a recipient (echoed in bulk units).
pub(super) fn search_info(pop: &Population, rec: &Recipient) -> QualificationConfirmSearchInfo {
    QualificationConfirmSearchInfo {
        insurer_number: Some(rec.public_payer.to_wire()),
        insured_identification_number: Some(rec.recipient_number.clone()),
        birthdate: Some(ymd(pop.persons()[rec.person as usize].birthdate)),
        ..QualificationConfirmSearchInfo::default()
    }
}
