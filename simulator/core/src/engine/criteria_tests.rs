//! Units of the criteria bulk checks (`OQSmutic` by treatment month, `OQSmuhvq` / `OQSmuonq` by
//! consent or examination dates), `LimitApplicationCertificateChanged`, and job retention.

use chrono::{Duration, NaiveDate};
use sim_messages::muquc::{BulkDownloadRequest, BulkDownloadResult, BulkUploadResult};
use sim_messages::xml::{read_document, write_document};

use super::stores::{TreatmentConsent, TreatmentForm};
use super::tests::{now, population};
use super::*;
use crate::insurer::{Insurer, InsurerKind, InsurerNumber};
use crate::keys::CardKeys;
use crate::person::{Income, Person, Sex};
use crate::qualification::{
    CardClass, CertificatePeriod, Loss, LossReason, Qualification, Relationship,
};

const MIC: &str = "1311234567";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y%m%d").unwrap()
}

fn world() -> Population {
    let mut pop = population();
    pop.add_insurers([Insurer {
        number: InsurerNumber::parse("139998").unwrap(),
        name: "模擬市（模擬）".into(),
        kind: InsurerKind::Kokuho,
    }]);
    let q = Qualification {
        insurer: InsurerNumber::parse("139998").unwrap(),
        card: CardKeys {
            symbol: None,
            number: "55".into(),
            branch: "00".into(),
        },
        relationship: Relationship::Insured,
        insured_name: None,
        card_class: CardClass::General,
        acquired: d("20100401"),
        lost: Some(Loss {
            date: d("20260401"),
            reason: LossReason::PublicAssistance,
        }),
        card_issued: d("20100401"),
        card_valid_from: d("20100401"),
        card_valid_until: None,
        limit_certificate: None,
        specific_diseases: Vec::new(),
    };
    pop.add(Person {
        id: "assisted".into(),
        name: "模擬　扶助".into(),
        name_kana: "モギ　フジョ".into(),
        name_of_other: None,
        name_of_other_kana: None,
        sex: Sex::Female,
        birthdate: d("19600101"),
        address: "東京都".into(),
        postcode: "100-0001".into(),
        income: Income::ExemptNoIncome,
        qualifications: vec![q],
    })
    .unwrap();
    pop
}

fn engine(retention: Duration) -> Engine {
    Engine::new(EngineConfig {
        result_encoding: TextEncoding::Utf8,
        bulk: BulkConfig {
            base_ms: 0,
            per_unit_ms: 0.0,
            retention,
            ..BulkConfig::default()
        },
        ..EngineConfig::default()
    })
}

fn answered(outcome: FileOutcome) -> Vec<u8> {
    match outcome {
        FileOutcome::Answered { bytes, .. } => bytes,
        FileOutcome::Rejected { bytes, .. } => panic!("{}", String::from_utf8_lossy(&bytes)),
    }
}

/// Uploads `body` as `kind` from `mic` at `at` and downloads the result.
fn run(
    e: &Engine,
    pop: &Population,
    stores: &MemoryStores,
    kind: &str,
    mic: &str,
    body: &str,
    at: NaiveDateTime,
) -> BulkDownloadResult {
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader>\
         <MedicalInstitutionCode>{mic}</MedicalInstitutionCode></MessageHeader>\
         <MessageBody><QualificationConfirmSearchInfo>{body}</QualificationConfirmSearchInfo>\
         </MessageBody></XmlMsg>"
    );
    let name = format!("{kind}01req_{}.xml", at.format("%Y%m%d%H%M%S"));
    let up: BulkUploadResult = read_document(&answered(
        e.handle_file_with(pop, stores.stores(), &name, doc.as_bytes(), at)
            .unwrap(),
    ))
    .unwrap()
    .0;
    let number = up.body.expect("accepted").reception_number;
    let mut req = BulkDownloadRequest::default();
    req.header.medical_institution_code = Some(mic.into());
    req.body.reception_number = Some(number);
    let bytes = write_document(&req, TextEncoding::Utf8, XmlStyle::default()).unwrap();
    read_document(&answered(
        e.handle_file_with(
            pop,
            stores.stores(),
            &format!("{kind}02req_1.xml"),
            &bytes,
            at,
        )
        .unwrap(),
    ))
    .unwrap()
    .0
}

fn ids(r: &BulkDownloadResult) -> Vec<String> {
    r.body
        .as_ref()
        .map(|b| {
            b.units
                .iter()
                .map(|u| {
                    u.results
                        .first()
                        .and_then(|r| r.name.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn medical_aid_bulk_lists_the_facilitys_recipients_with_their_tickets() {
    let pop = world();
    let e = engine(Duration::days(7));
    let stores = MemoryStores::default();
    let month = "<MedicalTreatmentMonth>202611</MedicalTreatmentMonth>";
    let r = run(&e, &pop, &stores, "OQSmutic", MIC, month, now());
    assert_eq!(r.header.number_of_processing_result.as_deref(), Some("1"));
    let unit = &r.body.as_ref().unwrap().units[0];
    assert_eq!(unit.qualification_validity.as_deref(), Some("1"));
    let item = &unit.results[0];
    assert_eq!(item.insured_card_classification.as_deref(), Some("A1"));
    assert!(item.insurer_number.as_deref().unwrap().starts_with("12"));
    assert_eq!(
        unit.qualification_confirm_search_info
            .as_ref()
            .unwrap()
            .insurer_number,
        item.insurer_number
    );
    let tickets = &item.public_expense_result_list.as_ref().unwrap().tickets;
    assert_eq!(tickets[0].ticket_type.as_deref(), Some("01"));
    assert_eq!(
        tickets[0].medical_treatment_month.as_deref(),
        Some("202611")
    );
    assert_eq!(
        tickets[0].designated_medical_institution_code.as_deref(),
        Some(MIC)
    );
    // Before the aid began, and at a facility the tickets do not name: nobody.
    let early = "<MedicalTreatmentMonth>202603</MedicalTreatmentMonth>";
    assert!(ids(&run(&e, &pop, &stores, "OQSmutic", MIC, early, now())).is_empty());
    assert!(
        ids(&run(
            &e,
            &pop,
            &stores,
            "OQSmutic",
            "2719999990",
            month,
            now()
        ))
        .is_empty()
    );
}

#[test]
fn home_and_online_bulks_select_by_consent_or_examination_dates() {
    let pop = world();
    let e = engine(Duration::days(7));
    let stores = MemoryStores::default();
    let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M").unwrap();
    for (person, facility, form, when, exam) in [
        (
            "worker",
            MIC,
            TreatmentForm::HomeVisit,
            "202611101400",
            None,
        ),
        (
            "changed",
            MIC,
            TreatmentForm::Online,
            "202611121930",
            Some("20261113"),
        ),
        (
            "worker",
            "2719999990",
            TreatmentForm::Online,
            "202611121930",
            None,
        ),
    ] {
        stores.add_consent(TreatmentConsent {
            person_id: person.into(),
            medical_institution_code: facility.into(),
            form,
            consented_at: at(when),
            examination_date: exam.map(d),
        });
    }
    let consent = |from: &str, to: &str, flag: &str| {
        format!(
            "<ConsentDateFrom>{from}</ConsentDateFrom><ConsentDateTo>{to}</ConsentDateTo>\
             <MedicalTreatmentFlag>{flag}</MedicalTreatmentFlag>"
        )
    };
    let home = run(
        &e,
        &pop,
        &stores,
        "OQSmuhvq",
        MIC,
        &consent("20261101", "20261130", "2"),
        now(),
    );
    let unit = &home.body.as_ref().unwrap().units[0];
    assert_eq!(
        home.header.number_of_processing_result.as_deref(),
        Some("1")
    );
    assert_eq!(unit.qualification_validity.as_deref(), Some("1"));
    assert_eq!(
        unit.results[0].insured_identification_number.as_deref(),
        Some("3")
    );
    assert_eq!(
        unit.results[0]
            .limit_application_certificate_changed
            .as_deref(),
        Some("0")
    );
    let none = run(
        &e,
        &pop,
        &stores,
        "OQSmuhvq",
        MIC,
        &consent("20261111", "20261130", "2"),
        now(),
    );
    assert_eq!(
        none.header.number_of_processing_result.as_deref(),
        Some("0")
    );
    let online = run(
        &e,
        &pop,
        &stores,
        "OQSmuonq",
        MIC,
        &consent("20261101", "20261130", "3"),
        now(),
    );
    let unit = &online.body.as_ref().unwrap().units[0];
    assert_eq!(online.body.as_ref().unwrap().units.len(), 1);
    // The card valid on the job's date: after the job change, the new insurer's.
    assert_eq!(unit.results[0].insurer_number.as_deref(), Some("39130018"));
    let exam = |from: &str, to: &str| {
        format!(
            "<ExaminationDateFrom>{from}</ExaminationDateFrom><ExaminationDateTo>{to}</ExaminationDateTo>\
             <MedicalTreatmentFlag>3</MedicalTreatmentFlag>"
        )
    };
    let r = run(
        &e,
        &pop,
        &stores,
        "OQSmuonq",
        MIC,
        &exam("20261113", "20261113"),
        now(),
    );
    assert_eq!(r.header.number_of_processing_result.as_deref(), Some("1"));
    let r = run(
        &e,
        &pop,
        &stores,
        "OQSmuonq",
        MIC,
        &exam("20261114", "20261130"),
        now(),
    );
    assert_eq!(r.header.number_of_processing_result.as_deref(), Some("0"));
}

#[test]
fn limit_certificate_changed_is_1_when_the_standing_differs_from_a_month_before() {
    let mut pop = population();
    let mut worker = pop.person_by_id("worker").unwrap().clone();
    worker.id = "worker-limit".into();
    worker.birthdate = d("19810101");
    worker.qualifications[0].card.number = "4".into();
    worker.qualifications[0].limit_certificate = Some(CertificatePeriod {
        issued: d("20261020"),
        valid_from: d("20261101"),
        valid_until: d("20271031"),
    });
    pop.add(worker).unwrap();
    let e = engine(Duration::days(7));
    let r = &e.config().bulk;
    assert_eq!(r.retention, Duration::days(7));
    let on = d("20261125");
    let item =
        |number: &str, birth: &str| sim_messages::siquc01::ResultOfQualificationConfirmation {
            insurer_number: Some("06139018".into()),
            insured_identification_number: Some(number.into()),
            birthdate: Some(birth.into()),
            ..Default::default()
        };
    assert_eq!(
        bulk::limit_changed(&pop, &item("4", "19810101"), on),
        Some("1")
    );
    assert_eq!(
        bulk::limit_changed(&pop, &item("3", "19800101"), on),
        Some("0")
    );
    // Keys of no qualification valid that day: no flag. A qualification begun within the month: 1.
    assert_eq!(
        bulk::limit_changed(&pop, &item("2", "19900101"), d("20261015")),
        None
    );
    assert_eq!(
        bulk::limit_changed(
            &pop,
            &sim_messages::siquc01::ResultOfQualificationConfirmation {
                insurer_number: Some("39130018".into()),
                ..item("2", "19900101")
            },
            d("20261015")
        ),
        Some("1")
    );
}

#[test]
fn jobs_past_their_retention_are_purged_at_the_next_upload() {
    let pop = world();
    let e = engine(Duration::days(1));
    let stores = MemoryStores::default();
    let month = "<MedicalTreatmentMonth>202611</MedicalTreatmentMonth>";
    let first = run(&e, &pop, &stores, "OQSmutic", MIC, month, now());
    let number = first.header.reception_number.clone().unwrap();
    assert!(stores.job(&number).unwrap().is_some());
    let later = now() + Duration::days(2);
    let second = run(&e, &pop, &stores, "OQSmutic", MIC, month, later);
    assert!(stores.job(&number).unwrap().is_none(), "purged");
    assert_ne!(
        second.header.reception_number.as_deref(),
        Some(number.as_str())
    );
}
