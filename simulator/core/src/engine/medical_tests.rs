//! The 薬剤情報 / 特定健診情報 rules on the two-person population of `tests.rs`, with a fixed
//! record source: consent (none, expired, another facility, the latest answers), the pharmacy
//! rule, the windows, and the document shapes.

use chrono::{NaiveDate, NaiveDateTime};

use super::stores::{MemoryStores, NoStores, Stores};
use super::tests::{now, population};
use super::{Engine, FileOutcome};
use crate::medical::{
    Checkup, CheckupItem, CheckupValue, ConsentGrant, DispensingDay, DrugClass, DrugLine,
    DrugMonth, Institution, MedicalRecords, YearMonth,
};
use crate::person::Person;

const CLINIC: &str = "1311234567";

/// One drug line on the 10th of every month asked, and a checkup on 1 September of every year.
struct Fixed;

impl MedicalRecords for Fixed {
    fn drug_history(&self, _: &Person, from: YearMonth, to: YearMonth) -> Vec<DrugMonth> {
        from.through(to)
            .map(|month| DrugMonth {
                month,
                dispensing: Institution {
                    code: "1340400041".into(),
                    name: "模擬薬局".into(),
                },
                prescribing: Institution {
                    code: CLINIC.into(),
                    name: "模擬内科".into(),
                },
                outside: true,
                days: vec![DispensingDay {
                    dispensed: NaiveDate::from_ymd_opt(month.year, month.month, 10).unwrap(),
                    prescribed: NaiveDate::from_ymd_opt(month.year, month.month, 10).unwrap(),
                    drugs: vec![DrugLine {
                        code: "629900011".into(),
                        name: "アムロジピン錠５ｍｇ「模擬」".into(),
                        generic_name: "アムロジピンベシル酸塩".into(),
                        quantity: 0.5,
                        unit: "錠".into(),
                        usage: "１日１回朝食後".into(),
                        special_instruction: None,
                        times: 28,
                        class: DrugClass::Internal,
                    }],
                    treatments: Vec::new(),
                }],
            })
            .collect()
    }

    fn checkups(&self, _: &Person, from: NaiveDate, to: NaiveDate) -> Vec<Checkup> {
        (2015..=2030)
            .filter_map(|y| NaiveDate::from_ymd_opt(y, 9, 1))
            .filter(|d| *d >= from && *d <= to)
            .map(|date| Checkup {
                date,
                institution: Institution {
                    code: CLINIC.into(),
                    name: "模擬内科".into(),
                },
                items: vec![CheckupItem {
                    code: "3D046000001906202",
                    name: "ＨｂＡ１ｃ（ＮＧＳＰ値）",
                    value: CheckupValue::Quantity {
                        value: 5.6,
                        decimals: 1,
                        unit: "%",
                    },
                }],
            })
            .collect()
    }
}

fn grant(facility: &str, at: NaiveDateTime, drug: bool, checkup: bool) -> ConsentGrant {
    ConsentGrant {
        medical_institution_code: facility.into(),
        at,
        available_until: at + chrono::Duration::hours(24),
        drug,
        checkup,
        diagnosis: false,
        limit: false,
    }
}

fn request(kind: &str, mic: &str, category: &str, period: &str) -> (String, Vec<u8>) {
    let name = format!("{kind}siquc01req_t.xml");
    let text = format!(
        "<XmlMsg><MessageHeader><MedicalInstitutionCode>{mic}</MedicalInstitutionCode>\
         <InsurerNumber>06139018</InsurerNumber>\
         <InsuredPersonIdentificationNumber>3</InsuredPersonIdentificationNumber>\
         <ArbitraryFileIdentifier>a1</ArbitraryFileIdentifier></MessageHeader>\
         <MessageBody>{period}<FileCategory>{category}</FileCategory></MessageBody></XmlMsg>"
    );
    (name, text.into_bytes())
}

fn run(
    stores: &MemoryStores,
    kind: &str,
    mic: &str,
    category: &str,
    period: &str,
    at: NaiveDateTime,
) -> String {
    let engine = Engine::default();
    let s = Stores {
        records: &Fixed,
        ..stores.stores()
    };
    let (name, bytes) = request(kind, mic, category, period);
    match engine
        .handle_file_with(&population(), s, &name, &bytes, at)
        .unwrap()
    {
        FileOutcome::Answered {
            result_name, bytes, ..
        } => {
            assert!(result_name.ends_with(".xml"), "{result_name}");
            sim_messages::encoding::decode(&bytes).unwrap().text
        }
        FileOutcome::Rejected { err_name, .. } => panic!("{err_name}"),
    }
}

fn code(text: &str) -> Option<&str> {
    let start = text.find("<ErrorCode>")? + "<ErrorCode>".len();
    Some(&text[start..start + text[start..].find('<')?])
}

#[test]
fn consent_rules() {
    let stores = MemoryStores::default();
    let t = run(&stores, "YZK", CLINIC, "2", "", now());
    assert_eq!(code(&t), Some("MOCK-M0001"), "no consent: {t}");
    assert!(t.contains("<ResultCode>2</ResultCode>") && t.contains("<MessageContents>"));
    assert!(
        t.contains("<Name>模擬　一郎</Name>"),
        "a known person is named: {t}"
    );
    stores.grant("worker", grant("1319999990", now(), true, true));
    assert_eq!(
        code(&run(&stores, "YZK", CLINIC, "2", "", now())),
        Some("MOCK-M0003")
    );
    stores.grant("worker", grant(CLINIC, now(), true, false));
    let t = run(&stores, "YZK", CLINIC, "2", "", now());
    assert_eq!(code(&t), None, "{t}");
    assert!(
        t.contains("<ResultCode>1</ResultCode>") && t.contains("<Qua1>0.5</Qua1>"),
        "{t}"
    );
    assert!(
        t.contains("<PrIsOrg>1</PrIsOrg>") && t.contains("<InOut>2</InOut>"),
        "{t}"
    );
    // Checkup consent only at the other facility.
    assert_eq!(
        code(&run(&stores, "TKK", CLINIC, "2", "", now())),
        Some("MOCK-M0003")
    );
    let late = now() + chrono::Duration::hours(25);
    assert_eq!(
        code(&run(&stores, "YZK", CLINIC, "2", "", late)),
        Some("MOCK-M0002")
    );
    // The latest answers at a facility replace the earlier ones.
    stores.grant("worker", grant(CLINIC, now(), false, false));
    assert_eq!(
        code(&run(&stores, "YZK", CLINIC, "2", "", now())),
        Some("MOCK-M0003")
    );
}

#[test]
fn pharmacy_windows_and_shapes() {
    let stores = MemoryStores::default();
    stores.grant("worker", grant(CLINIC, now(), true, true));
    stores.grant("worker", grant("1340400041", now(), true, true));
    assert_eq!(
        code(&run(&stores, "TKK", "1340400041", "2", "", now())),
        Some("MOCK-M0004")
    );
    assert_eq!(
        code(&run(&stores, "YZK", "1340400041", "2", "", now())),
        None
    );
    // Drugs: 36 months including this one; dispensing after today is left out (the 10th of
    // November 2026 is before 25 November; the window starts in December 2023).
    let t = run(
        &stores,
        "YZK",
        CLINIC,
        "2",
        "<StartDate>201001</StartDate><EndDate>202611</EndDate>",
        now(),
    );
    assert_eq!(t.matches("<MeTrMonthInf>").count(), 36, "{t}");
    assert!(
        t.contains("<MeTrMonth>202312</MeTrMonth>") && !t.contains("<MeTrMonth>202311</MeTrMonth>")
    );
    let early = NaiveDate::from_ymd_opt(2026, 11, 5)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    stores.grant("worker", grant(CLINIC, early, true, true));
    let t = run(
        &stores,
        "YZK",
        CLINIC,
        "2",
        "<StartDate>202611</StartDate>",
        early,
    );
    assert_eq!(
        t.matches("<MeTrMonthInf>").count(),
        0,
        "not dispensed yet: {t}"
    );
    // Checkups: 5 years back (1 September of 2022–2026 from 2026-11-25).
    assert_eq!(
        code(&run(&stores, "TKK", CLINIC, "2", "", now())),
        Some("MOCK-M0002")
    );
    stores.grant("worker", grant(CLINIC, now(), true, true));
    let t = run(&stores, "TKK", CLINIC, "2", "", now());
    assert_eq!(t.matches("<SpecificHealthCheckupInfo>").count(), 5, "{t}");
    assert!(
        t.contains("<Oid>1.2.392.200119.6.1005</Oid>") && t.contains("<DataType>PQ</DataType>")
    );
    assert!(t.contains("<KanasName>ﾓｷﾞ ｲﾁﾛｳ</KanasName>"), "{t}");
    // Periods and categories.
    for (kind, category, period, want) in [
        ("YZK", "2", "<StartDate>2026-01</StartDate>", "MOCK-M0006"),
        ("YZK", "2", "<EndDate>202612</EndDate>", "MOCK-M0006"),
        ("YZK", "0", "", "MOCK-M0005"),
        ("TKK", "3", "", "MOCK-M0005"),
    ] {
        assert_eq!(
            code(&run(&stores, kind, CLINIC, category, period, now())),
            Some(want),
            "{kind} {category} {period}"
        );
    }
    let bad = run(&stores, "YZK", "131123456", "2", "", now());
    assert!(
        bad.contains("<SegmentOfResult>9</SegmentOfResult>") && code(&bad).is_some(),
        "{bad}"
    );
}

#[test]
fn without_stores_medical_requests_are_unsupported() {
    let engine = Engine::default();
    let (name, bytes) = request("YZK", CLINIC, "2", "");
    let outcome = engine.handle_file(&population(), &name, &bytes, now());
    assert!(
        matches!(outcome, FileOutcome::Rejected { .. }),
        "{outcome:?}"
    );
    let _ = NoStores;
}

#[test]
fn pharmacy_digit() {
    assert!(super::medical::is_pharmacy("1340400041"));
    assert!(!super::medical::is_pharmacy("1311234567"));
    assert!(!super::medical::is_pharmacy("13"));
    assert_eq!(super::medical::quantity_text(1.0), "1");
    assert_eq!(super::medical::quantity_text(0.25), "0.25");
}
