//! Claim re-routing on a small population: a mid-month job change, 生活保護, a lapse with nothing
//! newer, twins.

use chrono::NaiveDate;
use sim_messages::claims::{Claim, PatientKeys, Visit};

use super::*;
use crate::insurer::{Insurer, InsurerKind, InsurerNumber};
use crate::keys::CardKeys;
use crate::person::{Income, Person, Sex};
use crate::qualification::{CardClass, Loss, LossReason, Qualification, Relationship};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y%m%d").unwrap()
}

fn qual(
    insurer: &str,
    number: &str,
    acquired: &str,
    lost: Option<(&str, LossReason)>,
) -> Qualification {
    Qualification {
        insurer: InsurerNumber::parse(insurer).unwrap(),
        card: CardKeys {
            symbol: Some("10".into()),
            number: number.into(),
            branch: "00".into(),
        },
        relationship: Relationship::Insured,
        insured_name: None,
        card_class: CardClass::General,
        acquired: d(acquired),
        lost: lost.map(|(l, reason)| Loss { date: d(l), reason }),
        card_issued: d(acquired),
        card_valid_from: d(acquired),
        card_valid_until: None,
        limit_certificate: None,
        specific_diseases: Vec::new(),
    }
}

const OLD: &str = "06139018";
const NEW: &str = "01130012";
const KOKUHO: &str = "139998";

fn population() -> Population {
    let insurer = |n: &str, name: &str| Insurer {
        number: InsurerNumber::parse(n).unwrap(),
        name: name.into(),
        kind: InsurerKind::KenpoKumiai,
    };
    let person = |id: &str, birth: &str, quals| Person {
        id: id.into(),
        name: format!("模擬　{id}"),
        name_kana: "モギ".into(),
        name_of_other: None,
        name_of_other_kana: None,
        sex: Sex::Female,
        birthdate: d(birth),
        address: "東京都".into(),
        postcode: "100-0001".into(),
        income: Income::Lower,
        qualifications: quals,
    };
    Population::new(
        vec![
            insurer(OLD, "模擬健保組合（模擬）"),
            insurer(NEW, "協会けんぽ東京（模擬）"),
            insurer(KOKUHO, "模擬市国保（模擬）"),
        ],
        vec![
            person(
                "job-change",
                "19850401",
                vec![
                    qual(
                        OLD,
                        "1",
                        "20100401",
                        Some(("20261016", LossReason::OtherInsurance)),
                    ),
                    qual(NEW, "77", "20261016", None),
                ],
            ),
            person(
                "assistance",
                "19700101",
                vec![qual(
                    KOKUHO,
                    "5",
                    "20000101",
                    Some(("20261010", LossReason::PublicAssistance)),
                )],
            ),
            person(
                "no-new",
                "19990101",
                vec![qual(
                    OLD,
                    "9",
                    "20200401",
                    Some(("20261021", LossReason::Other)),
                )],
            ),
            person("twin-a", "20120505", vec![qual(NEW, "3", "20120505", None)]),
            person(
                "twin-b",
                "20120505",
                vec![{
                    let mut q = qual(NEW, "3", "20120505", None);
                    q.card.branch = "01".into();
                    q
                }],
            ),
        ],
    )
    .unwrap()
}

fn claim(id: &str, insurer: &str, number: &str, birth: &str, visits: &[(&str, u64)]) -> Claim {
    Claim {
        claim_id: id.into(),
        facility: "1311234567".into(),
        service_month: "202610".into(),
        patient: PatientKeys {
            insurer_number: insurer.into(),
            symbol: Some("10".into()),
            number: number.into(),
            branch: None,
            birthdate: birth.into(),
        },
        billed_insurer: insurer.into(),
        visits: visits
            .iter()
            .map(|&(date, points)| Visit {
                date: date.into(),
                points,
            })
            .collect(),
    }
}

#[test]
fn a_mid_month_job_change_splits_the_claim_with_each_date_on_its_insurer() {
    let pop = population();
    let c = claim(
        "R1",
        OLD,
        "1",
        "19850401",
        &[
            ("20261020", 90),
            ("20261005", 120),
            ("20261015", 60),
            ("20261016", 200),
        ],
    );
    let report = route(&pop, &[c], &NoticeTexts::default()).unwrap();
    let o = &report.claims[0];
    assert_eq!(
        (o.outcome.as_str(), o.outcome_label.as_str()),
        ("split", "分割")
    );
    assert_eq!(o.person_id.as_deref(), Some("job-change"));
    assert_eq!(o.parts.len(), 2);
    let dates = |i: usize| -> Vec<(&str, u64)> {
        o.parts[i]
            .visits
            .iter()
            .map(|v| (v.date.as_str(), v.points))
            .collect()
    };
    assert_eq!(o.parts[0].insurer_number, OLD);
    assert!(!o.parts[0].changed);
    assert_eq!(dates(0), [("20261005", 120), ("20261015", 60)]);
    assert_eq!(o.parts[0].points, 180);
    assert_eq!(o.parts[1].insurer_number, NEW);
    assert_eq!(o.parts[1].number, "77");
    assert!(o.parts[1].changed);
    assert_eq!(dates(1), [("20261016", 200), ("20261020", 90)]);
    // Totals preserved.
    assert_eq!(o.points_billed, 470);
    assert_eq!(o.parts.iter().map(|p| p.points).sum::<u64>(), 470);
    assert_eq!(report.summary.points_billed, report.summary.points_routed);
    assert_eq!(report.summary.split, 1);
    // The notice lists both parts, and why.
    let n = &report.notices[0];
    assert_eq!(n.facility, "1311234567");
    assert_eq!(n.entries.len(), 2);
    assert!(n.entries.iter().all(|e| e.change == "分割"));
    assert_eq!(n.entries[0].reason_code, "kept");
    assert_eq!(n.entries[0].points_adjustment, 0);
    assert_eq!(n.entries[1].decided_insurer.as_deref(), Some(NEW));
    assert_eq!(n.entries[1].reason_code, "lost");
    assert_eq!(n.entries[1].points_adjustment, -290);
    assert!(
        n.entries[1].reason.contains("20261016"),
        "{}",
        n.entries[1].reason
    );
    assert!(
        n.entries[1].reason.contains("協会けんぽ東京（模擬）"),
        "{}",
        n.entries[1].reason
    );
    assert_eq!(n.points_transferred, 290);
    assert_eq!(
        n.entries[1].patient_name.as_deref(),
        Some("模擬　job-change")
    );
}

#[test]
fn a_claim_billed_with_the_new_card_for_dates_before_the_change_moves_back_whole() {
    let pop = population();
    let c = claim(
        "R2",
        NEW,
        "77",
        "19850401",
        &[("20261001", 100), ("20261015", 50)],
    );
    let report = route(&pop, &[c], &NoticeTexts::default()).unwrap();
    let o = &report.claims[0];
    assert_eq!(o.outcome, "transferred");
    assert_eq!(o.parts.len(), 1);
    assert_eq!(o.parts[0].insurer_number, OLD);
    let e = &report.notices[0].entries;
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].change.as_str(), e[0].reason_code.as_str()),
        ("振替", "not-yet-acquired")
    );
    assert_eq!(e[0].points_adjustment, -150);
}

#[test]
fn unchanged_claims_give_no_notice_and_unresolvable_ones_are_listed_with_the_reason() {
    let pop = population();
    let claims = [
        claim("ok", NEW, "77", "19850401", &[("20261020", 10)]),
        claim(
            "pa",
            KOKUHO,
            "5",
            "19700101",
            &[("20261005", 30), ("20261012", 40)],
        ),
        claim("gone", OLD, "9", "19990101", &[("20261030", 5)]),
        claim("nobody", OLD, "424242", "19990101", &[("20261030", 7)]),
        claim("typo", "06139019", "1", "19850401", &[("20261001", 8)]),
        claim("twins", NEW, "3", "20120505", &[("20261002", 9)]),
    ];
    let report = route(&pop, &claims, &NoticeTexts::default()).unwrap();
    let outcome = |id: &str| report.claims.iter().find(|c| c.claim_id == id).unwrap();
    assert_eq!(outcome("ok").outcome, "unchanged");
    assert_eq!(outcome("pa").outcome, "partly-returned");
    assert_eq!(outcome("pa").parts[0].points, 30);
    assert_eq!(outcome("pa").unresolved[0].reason_code, "public-assistance");
    assert_eq!(outcome("gone").outcome, "returned");
    let codes: Vec<(&str, &str)> = report
        .unresolvable
        .iter()
        .map(|u| (u.claim_id.as_str(), u.reason_code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("pa", "public-assistance"),
            ("gone", "no-qualification"),
            ("nobody", "person-not-found"),
            ("typo", "insurer-number"),
            ("twins", "multiple-persons"),
        ]
    );
    let s = &report.summary;
    assert_eq!((s.unchanged, s.returned, s.partly_returned), (1, 4, 1));
    assert_eq!(s.points_billed, 10 + 70 + 5 + 7 + 8 + 9);
    assert_eq!(s.points_billed, s.points_routed + s.points_unresolved);
    assert_eq!(s.points_unresolved, 40 + 5 + 7 + 8 + 9);
    // One notice for the one facility; "ok" is not in it.
    assert_eq!(report.notices.len(), 1);
    let n = &report.notices[0];
    assert!(
        n.entries
            .iter()
            .all(|e| e.claim_id != "ok" && e.change == "返戻")
    );
    assert_eq!(n.points_returned, s.points_unresolved);
    assert!(n.entries.iter().any(|e| e.reason.contains("医療扶助")));
}

#[test]
fn notice_texts_are_configurable() {
    let pop = population();
    let texts = NoticeTexts {
        lost: "LOST {date} {loss_reason} → {insurer}".into(),
        ..NoticeTexts::default()
    };
    let c = claim("R1", OLD, "1", "19850401", &[("20261020", 90)]);
    let report = route(&pop, &[c], &texts).unwrap();
    assert_eq!(
        report.notices[0].entries[0].reason,
        "LOST 20261016 他の医療保険等の資格取得 → 01130012（協会けんぽ東京（模擬））"
    );
}
