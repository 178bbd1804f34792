//! Engine rules that are settings (facts the public record does not settle), tested on a
//! two-person population.

use chrono::{NaiveDate, NaiveDateTime};
use sim_messages::siquc01::{
    QualificationConfirmRequest, QualificationConfirmResult, QualificationConfirmSearchInfo,
    RequestBody, RequestHeader,
};

use super::*;
use crate::insurer::{Insurer, InsurerKind, InsurerNumber};
use crate::keys::CardKeys;
use crate::person::{Income, Person, Sex};
use crate::qualification::{CardClass, Loss, LossReason, Qualification, Relationship};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn now() -> NaiveDateTime {
    d("2026-11-25").and_hms_opt(10, 0, 0).unwrap()
}

fn qual(insurer: &str, number: &str, acquired: &str, lost: Option<&str>) -> Qualification {
    Qualification {
        insurer: InsurerNumber::parse(insurer).unwrap(),
        card: CardKeys {
            symbol: None,
            number: number.into(),
            branch: "00".into(),
        },
        relationship: Relationship::Insured,
        insured_name: None,
        card_class: CardClass::General,
        acquired: d(acquired),
        lost: lost.map(|l| Loss {
            date: d(l),
            reason: LossReason::OtherInsurance,
        }),
        card_issued: d(acquired),
        card_valid_from: d(acquired),
        card_valid_until: None,
        limit_certificate: None,
        specific_diseases: Vec::new(),
    }
}

pub(super) fn population() -> Population {
    let insurers = vec![
        Insurer {
            number: InsurerNumber::parse("06139018").unwrap(),
            name: "模擬健保".into(),
            kind: InsurerKind::KenpoKumiai,
        },
        Insurer {
            number: InsurerNumber::parse("39130018").unwrap(),
            name: "模擬広域連合".into(),
            kind: InsurerKind::Kouki,
        },
    ];
    let person = |id: &str, birth: &str, quals| Person {
        id: id.into(),
        name: "模擬　一郎".into(),
        name_kana: "モギ　イチロウ".into(),
        name_of_other: None,
        name_of_other_kana: None,
        sex: Sex::Male,
        birthdate: d(birth),
        address: "東京都".into(),
        postcode: "100-0001".into(),
        income: Income::Lower,
        qualifications: quals,
    };
    Population::new(
        insurers,
        vec![
            person(
                "changed",
                "1990-01-01",
                vec![
                    qual("06139018", "1", "2010-04-01", Some("2026-10-01")),
                    qual("39130018", "2", "2026-10-01", None),
                ],
            ),
            person(
                "worker",
                "1980-01-01",
                vec![qual("06139018", "3", "2010-04-01", None)],
            ),
        ],
    )
    .unwrap()
}

fn request(insurer: &str, number: &str, birth: &str, date: &str) -> QualificationConfirmRequest {
    QualificationConfirmRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some(date.into()),
            medical_institution_code: Some("1311234567".into()),
            arbitrary_file_identifier: None,
        },
        body: RequestBody {
            qualification_confirm_search_info: Some(QualificationConfirmSearchInfo {
                insurer_number: Some(insurer.into()),
                insured_identification_number: Some(number.into()),
                birthdate: Some(birth.into()),
                limit_application_certificate_related_cons_flg: Some("0".into()),
                ..Default::default()
            }),
        },
    }
}

pub(super) fn request_for(insurer: &str, number: &str, birth: &str) -> QualificationConfirmRequest {
    request(insurer, number, birth, "20261125")
}

fn check(config: EngineConfig, req: &QualificationConfirmRequest) -> QualificationConfirmResult {
    Engine::new(config)
        .single_check(&population(), req, now())
        .unwrap()
        .0
}

fn insurers(result: &QualificationConfirmResult) -> Vec<String> {
    result
        .body
        .as_ref()
        .and_then(|b| b.result_list.as_ref())
        .map_or(Vec::new(), |l| {
            l.results
                .iter()
                .map(|r| r.insurer_number.clone().unwrap_or_default())
                .collect()
        })
}

#[test]
fn newer_results_setting() {
    let req = request("06139018", "1", "19900101", "20261125");
    let current = check(EngineConfig::default(), &req);
    assert_eq!(
        current
            .body
            .as_ref()
            .unwrap()
            .qualification_validity
            .as_deref(),
        Some("3")
    );
    assert_eq!(insurers(&current), ["39130018"]);
    let both = check(
        EngineConfig {
            newer_results: NewerResults::SearchedAndCurrent,
            ..Default::default()
        },
        &req,
    );
    assert_eq!(insurers(&both), ["06139018", "39130018"]);
    // The day before the change, the old card is valid.
    let before = check(
        EngineConfig::default(),
        &request("06139018", "1", "19900101", "20260930"),
    );
    assert_eq!(
        before.body.unwrap().qualification_validity.as_deref(),
        Some("1")
    );
}

#[test]
fn not_found_status_setting() {
    let req = request("06139018", "99", "19900101", "20261125");
    let normal = check(EngineConfig::default(), &req).body.unwrap();
    assert_eq!(
        (
            normal.processing_result_status.as_str(),
            normal.qualification_validity.as_deref()
        ),
        ("1", Some("4"))
    );
    let error = check(
        EngineConfig {
            not_found_is_error: true,
            ..Default::default()
        },
        &req,
    )
    .body
    .unwrap();
    assert_eq!(
        (
            error.processing_result_status.as_str(),
            error.qualification_validity.as_deref()
        ),
        ("2", Some("4"))
    );
}

#[test]
fn partial_ratio_setting() {
    let req = request("06139018", "3", "19800101", "20261125");
    let ratio = |config| {
        check(config, &req)
            .body
            .unwrap()
            .result_list
            .unwrap()
            .results[0]
            .insured_partial_contribution_ratio
            .clone()
    };
    assert_eq!(ratio(EngineConfig::default()).as_deref(), Some("030"));
    assert_eq!(
        ratio(EngineConfig {
            partial_ratio: PartialRatio::KoukiOnly,
            ..Default::default()
        }),
        None
    );
}

#[test]
fn future_dates_and_check_digits() {
    let future = request("06139018", "3", "19800101", "20261126");
    assert_eq!(
        check(EngineConfig::default(), &future)
            .header
            .segment_of_result,
        "9"
    );
    let allowed = check(
        EngineConfig {
            allow_future_date: true,
            ..Default::default()
        },
        &future,
    );
    assert_eq!(allowed.header.segment_of_result, "1");

    let typo = request("06139019", "3", "19800101", "20261125");
    assert_eq!(
        check(EngineConfig::default(), &typo)
            .body
            .unwrap()
            .processing_result_status,
        "2"
    );
    let lenient = check(
        EngineConfig {
            enforce_check_digit: false,
            ..Default::default()
        },
        &typo,
    )
    .body
    .unwrap();
    assert_eq!(
        (
            lenient.processing_result_status.as_str(),
            lenient.qualification_validity.as_deref()
        ),
        ("1", Some("4"))
    );
}

#[test]
fn rejections_name_the_problem() {
    let engine = Engine::default();
    let pop = population();
    match engine.handle_file(
        &pop,
        "OQSsiquc01req_1.xml",
        b"<XmlMsg><MessageHeader/></XmlMsg>",
        now(),
    ) {
        FileOutcome::Rejected {
            err_name,
            bytes,
            summary,
        } => {
            assert_eq!(err_name, "OQSsiquc01req_1.err");
            let text = sim_messages::encoding::shift_jis_lossy(&bytes).0;
            assert!(text.starts_with("MOCK-F0006 "), "{text}");
            assert!(
                text.contains("MessageBody/QualificationConfirmSearchInfo"),
                "{text}"
            );
            assert_eq!(summary.code.as_deref(), Some("MOCK-F0006"));
        }
        other => panic!("{other:?}"),
    }
    let template = EngineConfig {
        err_template: "{file}|{code}".into(),
        ..Default::default()
    };
    match Engine::new(template).handle_file(&pop, "OQSsiquc01req_2.xml", b"x", now()) {
        FileOutcome::Rejected { bytes, .. } => assert_eq!(bytes, b"OQSsiquc01req_2.xml|MOCK-F0003"),
        other => panic!("{other:?}"),
    }
}

proptest::proptest! {
    #[test]
    fn the_engine_never_panics_on_any_file(
        name in "(OQSsiquc01req_|YZKsiquc01req_|XYZ|)[ -~]{0,12}(\\.xml|\\.XML|)",
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
    ) {
        let _ = Engine::default().handle_file(&population(), &name, &bytes, now());
    }

    #[test]
    fn the_engine_never_panics_on_any_keys(
        insurer in "[0-9 ０-９a]{0,10}",
        number in "[0-9０-９ア-ン]{0,25}",
        branch in proptest::option::of("[0-9０-９x]{0,3}"),
        birth in "[0-9]{0,9}",
        date in "[0-9-]{0,9}",
        flag in "[0-9]{0,2}",
    ) {
        let mut req = request(&insurer, &number, &birth, &date);
        if let Some(s) = req.body.qualification_confirm_search_info.as_mut() {
            s.insured_branch_number = branch;
            s.limit_application_certificate_related_cons_flg = Some(flag);
        }
        let _ = Engine::default().single_check(&population(), &req, now());
    }
}
