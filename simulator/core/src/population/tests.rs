//! The compact layout gives back exactly what was put in.

use chrono::NaiveDate;

use super::*;
use crate::insurer::InsurerKind;
use crate::keys::CardKeys;
use crate::person::Income;
use crate::qualification::{
    CardClass, CertificatePeriod, Loss, LossReason, Relationship, SpecificDiseaseCertificate,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn insurers() -> Vec<Insurer> {
    vec![
        Insurer {
            number: InsurerNumber::parse("01130012").unwrap(),
            name: "協会けんぽ".into(),
            kind: InsurerKind::KyokaiKenpo,
        },
        Insurer {
            number: InsurerNumber::parse("138057").unwrap(),
            name: "国保".into(),
            kind: InsurerKind::Kokuho,
        },
    ]
}

fn qual(insurer: &str, number: &str, symbol: Option<&str>) -> Qualification {
    Qualification {
        insurer: InsurerNumber::parse(insurer).unwrap(),
        card: CardKeys {
            symbol: symbol.map(str::to_owned),
            number: number.into(),
            branch: "01".into(),
        },
        relationship: Relationship::Insured,
        insured_name: None,
        card_class: CardClass::General,
        acquired: d(2010, 4, 1),
        lost: None,
        card_issued: d(2010, 4, 5),
        card_valid_from: d(2010, 4, 1),
        card_valid_until: None,
        limit_certificate: None,
        specific_diseases: Vec::new(),
    }
}

fn people() -> Vec<Person> {
    let mut a = Person {
        id: "valid-shaho-honnin".into(),
        name: "髙橋　一郎".into(),
        name_kana: "タカハシ　イチロウ".into(),
        name_of_other: None,
        name_of_other_kana: None,
        sex: Sex::Male,
        birthdate: d(1980, 1, 2),
        address: "東京都千代田区千代田１－２－３　メゾン１０２".into(),
        postcode: "100-0001".into(),
        income: Income::Middle,
        qualifications: vec![qual("01130012", "00123", Some("ＡＢ１")), {
            let mut q = qual("138057", "123", None);
            q.relationship = Relationship::Dependent;
            q.insured_name = Some("髙橋　花子".into());
            q.lost = Some(Loss {
                date: d(2020, 1, 1),
                reason: LossReason::OtherInsurance,
            });
            q.card_valid_until = Some(d(2030, 7, 31));
            q.limit_certificate = Some(CertificatePeriod {
                issued: d(2019, 7, 1),
                valid_from: d(2019, 8, 1),
                valid_until: d(2020, 7, 31),
            });
            q.specific_diseases = vec![SpecificDiseaseCertificate {
                category: 1,
                period: CertificatePeriod {
                    issued: d(2019, 7, 1),
                    valid_from: d(2019, 8, 1),
                    valid_until: d(2020, 7, 31),
                },
                self_pay_limit_yen: 10_000,
            }];
            q
        }],
    };
    let mut b = a.clone();
    b.id = "P0000001".into();
    b.name = "SMITH JOHN".into();
    b.name_of_other = Some("山田　太郎".into());
    b.name_of_other_kana = None;
    b.sex = Sex::Unset;
    b.income = Income::ExemptNoIncome;
    b.address = "大阪府大阪市北区梅田".into();
    b.qualifications = vec![
        qual("01130012", "123", Some("ＡＢ１")),
        qual("138057", "ABC-9", None),
    ];
    let mut c = a.clone();
    c.id = "P0000002".into();
    c.qualifications.clear();
    a.qualifications[0].card.number = "123456789012".into();
    vec![a, b, c]
}

#[test]
fn persons_come_back_as_they_went_in() {
    let pop = Population::new(insurers(), people()).unwrap();
    assert_eq!(pop.persons().collect::<Vec<_>>(), people());
    assert_eq!(pop.len(), 3);
    assert_eq!(pop.person_by_id("P0000001").unwrap(), people()[1]);
    assert_eq!(pop.index_of("P0000002"), Some(2));
    assert_eq!(pop.index_of("nobody"), None);
    assert_eq!(pop.birthdate(1), d(1980, 1, 2));
    assert_eq!(pop.qualification_count(2), 0);
    let kyokai = InsurerNumber::parse("01130012").unwrap();
    assert!(
        pop.candidates(&kyokai, "123456789012")
            == [QualRef {
                person: 0,
                qualification: 0
            }]
    );
    assert!(
        pop.candidates(&kyokai, "123")
            == [QualRef {
                person: 1,
                qualification: 0
            }]
    );
    let kokuho = InsurerNumber::parse("138057").unwrap();
    assert_eq!(pop.candidates(&kokuho, "123").len(), 1);
    assert_eq!(pop.candidates(&kokuho, "ABC-9").len(), 1);
    assert!(pop.candidates(&kokuho, "124").is_empty());
    let r = pop.candidates(&kokuho, "123")[0];
    assert_eq!(pop.qualification(r), people()[0].qualifications[1]);
    assert!(pop.is_active_on(r, d(2019, 12, 31)));
    assert!(!pop.is_active_on(r, d(2020, 1, 1)));
    assert!(matches!(
        Population::new(insurers(), vec![people()[0].clone(), people()[0].clone()]),
        Err(PopulationError::DuplicatePerson(_))
    ));
}

#[test]
fn same_keys_are_listed_in_order() {
    let mut ps = people();
    ps[2].qualifications = vec![qual("01130012", "0123", Some("ＡＢ１"))];
    let pop = Population::new(insurers(), ps).unwrap();
    let kyokai = InsurerNumber::parse("01130012").unwrap();
    let found = pop.candidates(&kyokai, "123");
    assert_eq!(found.iter().map(|r| r.person).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn the_binary_form_round_trips_and_appends() {
    let pop = Population::new(insurers(), people()[1..].to_vec()).unwrap();
    let mut bytes = Vec::new();
    pop.write_binary(&mut bytes).unwrap();
    let mut base = Population::new(insurers(), vec![people()[0].clone()]).unwrap();
    assert_eq!(base.read_binary(&mut bytes.as_slice()).unwrap(), 2);
    assert_eq!(base.persons().collect::<Vec<_>>(), people());
    let kyokai = InsurerNumber::parse("01130012").unwrap();
    assert_eq!(base.candidates(&kyokai, "123")[0].person, 1);

    // Reading it again: duplicate ids, and the population is left as it was.
    assert!(base.read_binary(&mut bytes.as_slice()).is_err());
    assert_eq!(base.persons().collect::<Vec<_>>(), people());
    assert_eq!(base.candidates(&kyokai, "123").len(), 1);
    // Damaged or cut short: an error, never a panic.
    for cut in [0, 5, 20, bytes.len() / 2, bytes.len() - 1] {
        let mut p = Population::new(insurers(), Vec::new()).unwrap();
        assert!(p.read_binary(&mut &bytes[..cut]).is_err(), "{cut}");
        assert!(p.is_empty());
    }
    for i in (8..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0xA5;
        let mut p = Population::new(insurers(), Vec::new()).unwrap();
        let _ = p.read_binary(&mut b.as_slice());
    }
}

#[test]
fn batches_append_as_if_added_one_by_one() {
    // Key chains across batches ("123" and "0123" are the same 番号), other names, extras.
    let mut ps = people();
    ps[2].qualifications = vec![qual("01130012", "0123", Some("ＡＢ１"))];
    let mut more = ps[1].clone();
    more.id = "P0000003".into();
    more.name_of_other = Some("佐藤　次郎".into());
    ps.push(more);
    let one_by_one = Population::new(insurers(), ps.clone()).unwrap();

    let mut pop = Population::new(insurers(), vec![ps[0].clone()]).unwrap();
    let mut first = pop.batch(2);
    for p in &ps[1..3] {
        first.add(p).unwrap();
    }
    let mut second = first.sibling(1);
    second.add(&ps[3]).unwrap();
    pop.append(&mut first).unwrap();
    assert!(first.is_empty());
    pop.append(&mut second).unwrap();
    assert_eq!(pop.persons().collect::<Vec<_>>(), ps);
    let kyokai = InsurerNumber::parse("01130012").unwrap();
    let kokuho = InsurerNumber::parse("138057").unwrap();
    for (insurer, number) in [
        (&kyokai, "123"),
        (&kyokai, "123456789012"),
        (&kokuho, "123"),
        (&kokuho, "ABC-9"),
    ] {
        assert_eq!(
            pop.candidates(insurer, number),
            one_by_one.candidates(insurer, number),
            "{number}"
        );
    }
    let found = pop.candidates(&kyokai, "123");
    assert_eq!(
        found.iter().map(|r| r.person).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for (i, p) in ps.iter().enumerate() {
        assert_eq!(pop.index_of(&p.id), Some(i as u32));
    }
}

#[test]
fn a_bad_batch_changes_nothing() {
    let ps = people();
    let mut pop = Population::new(insurers(), vec![ps[0].clone()]).unwrap();
    let mut batch = pop.batch(4);
    // Twice in one batch, and an unknown insurer: refused by the batch, which stays as it was.
    batch.add(&ps[1]).unwrap();
    assert!(matches!(
        batch.add(&ps[1]),
        Err(PopulationError::DuplicatePerson(_))
    ));
    let mut stray = ps[2].clone();
    stray.qualifications = vec![qual("06139018", "1", None)];
    assert!(matches!(
        batch.add(&stray),
        Err(PopulationError::UnknownInsurer { .. })
    ));
    assert_eq!(batch.len(), 1);
    // An id the population has already: refused on append, the population as it was.
    batch.add(&ps[0]).unwrap();
    assert!(matches!(
        pop.append(&mut batch),
        Err(PopulationError::DuplicatePerson(_))
    ));
    assert_eq!(pop.persons().collect::<Vec<_>>(), ps[..1]);
    let kyokai = InsurerNumber::parse("01130012").unwrap();
    assert!(pop.candidates(&kyokai, "123").is_empty());
    // A batch of another population.
    let other = Population::new(insurers(), Vec::new()).unwrap();
    let mut foreign = other.batch(1);
    foreign.add(&ps[1]).unwrap();
    assert!(matches!(
        pop.append(&mut foreign),
        Err(PopulationError::ForeignBatch)
    ));
    assert_eq!(pop.len(), 1);
}
