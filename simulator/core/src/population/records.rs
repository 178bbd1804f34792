//! The compact records of the population: fixed-size rows of handles, day numbers and one-byte
//! codes, built from [`Person`] and [`Qualification`] and turned back into them on lookup.

use chrono::{Datelike, NaiveDate};

use super::text::{self, Full, NONE, Pieces, Strings, Text};
use crate::person::{Income, Person, Sex};
use crate::qualification::{
    CardClass, CertificatePeriod, Loss, LossReason, Qualification, Relationship,
    SpecificDiseaseCertificate,
};

/// A date as days from 0001-01-01 (CE day 1); [`NO_DATE`] for none.
pub(crate) type Day = i32;
/// No date.
pub(crate) const NO_DATE: Day = i32::MIN;

pub(crate) fn day(d: NaiveDate) -> Day {
    d.num_days_from_ce()
}

pub(crate) fn opt_day(d: Option<NaiveDate>) -> Day {
    d.map_or(NO_DATE, day)
}

pub(crate) fn date(d: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d).unwrap_or_default()
}

pub(crate) fn opt_date(d: Day) -> Option<NaiveDate> {
    (d != NO_DATE).then(|| date(d))
}

/// A person, without their id (in the id arena) and qualifications (in the shared table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PersonRec {
    pub(crate) name: Pieces<2>,
    pub(crate) kana: Pieces<2>,
    pub(crate) address: Pieces<3>,
    pub(crate) postcode: Text,
    /// Index in `others` of 氏名（その他） and its kana, or [`NONE`].
    pub(crate) other: u32,
    pub(crate) birthdate: Day,
    /// Index of the first qualification in the shared table.
    pub(crate) first_qualification: u32,
    pub(crate) sex: u8,
    pub(crate) income: u8,
}

/// 氏名（その他） and 氏名カナ（その他） (rare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Other {
    pub(crate) name: Pieces<2>,
    pub(crate) kana: Pieces<2>,
}

/// One qualification (48 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QualRec {
    /// Index of the person.
    pub(crate) person: u32,
    pub(crate) symbol: Text,
    pub(crate) number: Text,
    pub(crate) branch: Text,
    pub(crate) insured_name: Pieces<2>,
    pub(crate) acquired: Day,
    pub(crate) lost: Day,
    /// Index in `extras` (限度額適用認定証, 特定疾病, card expiry, card dates far from 資格取得日)
    /// or [`NONE`].
    pub(crate) extra: u32,
    /// The next qualification with the same insurer and normalised 番号, or [`NONE`].
    pub(crate) next_same_key: u32,
    /// 交付年月日 and 有効開始年月日 in days from 資格取得日 (0 when in `extra`).
    pub(crate) card_deltas: [i16; 2],
    /// Index of the insurer in the population's insurer table.
    pub(crate) insurer: u16,
    /// 本人家族 (bit 0), 証区分 (bits 1–2), 喪失事由 + 1 (bits 3–5, 0 when not lost).
    pub(crate) codes: u8,
}

/// What few qualifications have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extra {
    pub(crate) limit: Option<CertificatePeriod>,
    pub(crate) diseases: Vec<SpecificDiseaseCertificate>,
    /// 有効終了年月日 of the card, or [`NO_DATE`].
    pub(crate) card_valid_until: Day,
    /// 交付年月日 and 有効開始年月日 when they do not fit in the row's deltas.
    pub(crate) card_dates: Option<[Day; 2]>,
}

const SEXES: [Sex; 3] = [Sex::Male, Sex::Female, Sex::Unset];
const INCOMES: [Income; 7] = [
    Income::Top,
    Income::Upper,
    Income::Middle,
    Income::LowerMiddle,
    Income::Lower,
    Income::Exempt,
    Income::ExemptNoIncome,
];
const RELATIONSHIPS: [Relationship; 2] = [Relationship::Insured, Relationship::Dependent];
const CARD_CLASSES: [CardClass; 4] = [
    CardClass::General,
    CardClass::ShortTerm,
    CardClass::EligibilityCertificate,
    CardClass::SelfDefenseForces,
];
/// Loss reasons by code; 0 is "not lost".
const LOSS_REASONS: [LossReason; 4] = [
    LossReason::Death,
    LossReason::PublicAssistance,
    LossReason::OtherInsurance,
    LossReason::Other,
];

fn code<T: PartialEq>(table: &[T], v: &T) -> u8 {
    table.iter().position(|x| x == v).unwrap_or(0) as u8
}

pub(crate) fn sex(c: u8) -> Sex {
    SEXES.get(usize::from(c)).copied().unwrap_or(Sex::Unset)
}

/// Whether the one-byte codes of a record are in range (checked when reading a file).
pub(crate) fn codes_valid(p: &PersonRec) -> bool {
    usize::from(p.sex) < SEXES.len() && usize::from(p.income) < INCOMES.len()
}

/// Whether the one-byte codes of a qualification are in range.
pub(crate) fn qual_codes_valid(q: &QualRec) -> bool {
    q.codes >> 6 == 0
        && usize::from(q.loss_code()) <= LOSS_REASONS.len()
        && (q.loss_code() == 0) == (q.lost == NO_DATE)
}

impl PersonRec {
    pub(crate) fn new(
        strings: &mut Strings,
        others: &mut Vec<Other>,
        p: &Person,
        first_qualification: u32,
    ) -> Result<PersonRec, Full> {
        let other = match (&p.name_of_other, &p.name_of_other_kana) {
            (None, None) => NONE,
            (name, kana) => {
                let i = u32::try_from(others.len()).map_err(|_| Full)?;
                let opt = |strings: &mut Strings, s: &Option<String>| match s {
                    Some(s) => text::name_pieces(strings, s),
                    None => Ok([NONE, NONE]),
                };
                others.push(Other {
                    name: opt(strings, name)?,
                    kana: opt(strings, kana)?,
                });
                i
            }
        };
        Ok(PersonRec {
            name: text::name_pieces(strings, &p.name)?,
            kana: text::name_pieces(strings, &p.name_kana)?,
            address: text::address_pieces(strings, &p.address)?,
            postcode: strings.text(&p.postcode)?,
            other,
            birthdate: day(p.birthdate),
            first_qualification,
            sex: code(&SEXES, &p.sex),
            income: code(&INCOMES, &p.income),
        })
    }

    /// The person, given their id and qualifications.
    pub(crate) fn person(
        &self,
        strings: &Strings,
        others: &[Other],
        id: &str,
        qualifications: Vec<Qualification>,
    ) -> Person {
        let other = others.get(self.other as usize);
        let opt = |p: &Pieces<2>| (p[0] != NONE).then(|| text::join(strings, p));
        Person {
            id: id.to_owned(),
            name: text::join(strings, &self.name),
            name_kana: text::join(strings, &self.kana),
            name_of_other: other.and_then(|o| opt(&o.name)),
            name_of_other_kana: other.and_then(|o| opt(&o.kana)),
            sex: sex(self.sex),
            birthdate: date(self.birthdate),
            address: text::join(strings, &self.address),
            postcode: strings.string(self.postcode),
            income: INCOMES
                .get(usize::from(self.income))
                .copied()
                .unwrap_or(Income::Lower),
            qualifications,
        }
    }
}

impl QualRec {
    pub(crate) fn new(
        strings: &mut Strings,
        extras: &mut Vec<Extra>,
        q: &Qualification,
        person: u32,
        insurer: u16,
    ) -> Result<QualRec, Full> {
        let acquired = day(q.acquired);
        let delta = |d: NaiveDate| i16::try_from(day(d) - acquired).ok();
        let deltas = delta(q.card_issued).zip(delta(q.card_valid_from));
        let extra = if q.limit_certificate.is_none()
            && q.specific_diseases.is_empty()
            && q.card_valid_until.is_none()
            && deltas.is_some()
        {
            NONE
        } else {
            let i = u32::try_from(extras.len()).map_err(|_| Full)?;
            extras.push(Extra {
                limit: q.limit_certificate,
                diseases: q.specific_diseases.clone(),
                card_valid_until: opt_day(q.card_valid_until),
                card_dates: deltas
                    .is_none()
                    .then(|| [day(q.card_issued), day(q.card_valid_from)]),
            });
            i
        };
        let relationship = code(&RELATIONSHIPS, &q.relationship);
        let card_class = code(&CARD_CLASSES, &q.card_class);
        let loss = q.lost.map_or(0, |l| code(&LOSS_REASONS, &l.reason) + 1);
        Ok(QualRec {
            person,
            symbol: strings.opt_text(q.card.symbol.as_deref())?,
            number: strings.text(&q.card.number)?,
            branch: strings.text(&q.card.branch)?,
            insured_name: match &q.insured_name {
                Some(n) => text::name_pieces(strings, n)?,
                None => [NONE, NONE],
            },
            acquired,
            lost: q.lost.map_or(NO_DATE, |l| day(l.date)),
            extra,
            next_same_key: NONE,
            card_deltas: deltas.map_or([0, 0], |(a, b)| [a, b]),
            insurer,
            codes: relationship | (card_class << 1) | (loss << 3),
        })
    }

    /// 喪失事由 + 1, 0 when not lost.
    pub(crate) fn loss_code(&self) -> u8 {
        (self.codes >> 3) & 7
    }

    /// 資格喪失, if lost.
    pub(crate) fn loss(&self) -> Option<Loss> {
        let reason = LOSS_REASONS.get(usize::from(self.loss_code()).checked_sub(1)?)?;
        Some(Loss {
            date: opt_date(self.lost)?,
            reason: *reason,
        })
    }

    /// The qualification, given its insurer number.
    pub(crate) fn qualification(
        &self,
        strings: &Strings,
        extras: &[Extra],
        insurer: crate::insurer::InsurerNumber,
    ) -> Qualification {
        let extra = extras.get(self.extra as usize);
        let [issued, from] = extra.and_then(|e| e.card_dates).unwrap_or([
            self.acquired + i32::from(self.card_deltas[0]),
            self.acquired + i32::from(self.card_deltas[1]),
        ]);
        Qualification {
            insurer,
            card: crate::keys::CardKeys {
                symbol: strings.opt_string(self.symbol),
                number: strings.string(self.number),
                branch: strings.string(self.branch),
            },
            relationship: RELATIONSHIPS
                .get(usize::from(self.codes & 1))
                .copied()
                .unwrap_or(Relationship::Insured),
            insured_name: (self.insured_name[0] != NONE)
                .then(|| text::join(strings, &self.insured_name)),
            card_class: CARD_CLASSES
                .get(usize::from((self.codes >> 1) & 3))
                .copied()
                .unwrap_or(CardClass::General),
            acquired: date(self.acquired),
            lost: self.loss(),
            card_issued: date(issued),
            card_valid_from: date(from),
            card_valid_until: extra.and_then(|e| opt_date(e.card_valid_until)),
            limit_certificate: extra.and_then(|e| e.limit),
            specific_diseases: extra.map(|e| e.diseases.clone()).unwrap_or_default(),
        }
    }

    /// Whether the qualification is valid on `d` (see [`Qualification::is_active_on`]).
    pub(crate) fn is_active_on(&self, d: Day) -> bool {
        self.acquired <= d && (self.lost == NO_DATE || d < self.lost)
    }
}
