//! Facts derived for a date from a person and a qualification, never stored: 未就学, 高齢受給者,
//! 一部負担金割合, and the 限度額適用 区分.
//!
//! Ages follow 年齢計算ニ関スル法律: a person reaches an age on the day *before* the birthday. So a
//! child born on 1 April enters school with the year born before, and a person born on the 1st
//! becomes 高齢受給者 from the 1st of the birthday month.

use chrono::{Datelike, Days, NaiveDate};

use crate::date::{birthday, first_of_next_month};
use crate::insurer::InsurerKind;
use crate::person::{Income, Person};

/// The first day of elementary school (1 April after the sixth birthday, counted legally).
pub fn school_entry(birth: NaiveDate) -> NaiveDate {
    let year = if (birth.month(), birth.day()) <= (4, 1) {
        birth.year() + 6
    } else {
        birth.year() + 7
    };
    NaiveDate::from_ymd_opt(year, 4, 1).unwrap_or(birth)
}

/// 未就学: before the first day of elementary school.
pub fn is_preschool(birth: NaiveDate, on: NaiveDate) -> bool {
    on < school_entry(birth)
}

/// The first day as 高齢受給者: the 1st of the month after the person reaches 70.
pub fn elderly_start(birth: NaiveDate) -> NaiveDate {
    let reaches_70 = birthday(birth, 70) - Days::new(1);
    first_of_next_month(reaches_70)
}

/// The first day in 後期高齢者医療: the 75th birthday.
pub fn kouki_start(birth: NaiveDate) -> NaiveDate {
    birthday(birth, 75)
}

/// Age phase relevant to insurance on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgePhase {
    /// Before school entry.
    Preschool,
    /// School age to 69.
    Working,
    /// 70–74 (高齢受給者).
    Elderly,
    /// 75 and over.
    LateElderly,
}

/// The person's phase on `on`.
pub fn age_phase(birth: NaiveDate, on: NaiveDate) -> AgePhase {
    if on >= kouki_start(birth) {
        AgePhase::LateElderly
    } else if on >= elderly_start(birth) {
        AgePhase::Elderly
    } else if is_preschool(birth, on) {
        AgePhase::Preschool
    } else {
        AgePhase::Working
    }
}

/// 一部負担金割合 in percent on `on`, for a qualification with an insurer of `kind`.
pub fn burden_percent(person: &Person, kind: InsurerKind, on: NaiveDate) -> u8 {
    if kind == InsurerKind::Kouki {
        return match person.income {
            i if i.is_active_level() => 30,
            Income::LowerMiddle => 20,
            _ => 10,
        };
    }
    match age_phase(person.birthdate, on) {
        AgePhase::Preschool => 20,
        AgePhase::Working => 30,
        AgePhase::Elderly | AgePhase::LateElderly => {
            if person.income.is_active_level() {
                30
            } else {
                20
            }
        }
    }
}

/// The 高齢受給者証 in force on `on`: renewed every 1 August, valid to 31 July or to the day
/// before the 75th birthday. `None` outside 70–74.
pub fn elderly_certificate(birth: NaiveDate, on: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    if age_phase(birth, on) != AgePhase::Elderly {
        return None;
    }
    let cycle_year = if on.month() >= 8 {
        on.year()
    } else {
        on.year() - 1
    };
    let cycle_start = NaiveDate::from_ymd_opt(cycle_year, 8, 1)?;
    let cycle_end = NaiveDate::from_ymd_opt(cycle_year + 1, 7, 31)?;
    let from = cycle_start.max(elderly_start(birth));
    let until = cycle_end.min(kouki_start(birth) - Days::new(1));
    Some((from, until))
}

/// 限度額適用認定証 区分 (OQSCD011) and 適用区分 (OQSCD012) on `on`.
pub fn limit_category(
    person: &Person,
    kind: InsurerKind,
    on: NaiveDate,
) -> (&'static str, &'static str) {
    let class = if person.income.is_tax_exempt() {
        "02"
    } else {
        "01"
    };
    let phase = age_phase(person.birthdate, on);
    let elderly =
        kind == InsurerKind::Kouki || matches!(phase, AgePhase::Elderly | AgePhase::LateElderly);
    let code = if !elderly {
        match person.income {
            Income::Top => "A01",
            Income::Upper => "A02",
            Income::Middle => "A03",
            Income::LowerMiddle | Income::Lower => "A04",
            Income::Exempt | Income::ExemptNoIncome => "A05",
        }
    } else {
        match person.income {
            Income::Top => "B01",
            Income::Upper => "B02",
            Income::Middle => "B03",
            Income::LowerMiddle if kind == InsurerKind::Kouki => "B09",
            Income::Lower if kind == InsurerKind::Kouki => "B10",
            Income::LowerMiddle | Income::Lower => "B04",
            Income::Exempt => "B05",
            Income::ExemptNoIncome => "B06",
        }
    };
    (class, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn school_entry_counts_legal_age() {
        assert_eq!(school_entry(d(2020, 4, 1)), d(2026, 4, 1));
        assert_eq!(school_entry(d(2020, 4, 2)), d(2027, 4, 1));
        assert!(is_preschool(d(2020, 4, 2), d(2027, 3, 31)));
        assert!(!is_preschool(d(2020, 4, 2), d(2027, 4, 1)));
    }

    #[test]
    fn elderly_and_kouki_starts() {
        assert_eq!(elderly_start(d(1956, 3, 15)), d(2026, 4, 1));
        assert_eq!(elderly_start(d(1956, 3, 1)), d(2026, 3, 1));
        assert_eq!(kouki_start(d(1951, 11, 25)), d(2026, 11, 25));
        assert_eq!(
            age_phase(d(1951, 11, 25), d(2026, 11, 24)),
            AgePhase::Elderly
        );
        assert_eq!(
            age_phase(d(1951, 11, 25), d(2026, 11, 25)),
            AgePhase::LateElderly
        );
    }

    #[test]
    fn elderly_certificate_cycle() {
        let (from, until) = elderly_certificate(d(1955, 1, 10), d(2026, 11, 25)).unwrap();
        assert_eq!((from, until), (d(2026, 8, 1), d(2027, 7, 31)));
        let (from, until) = elderly_certificate(d(1951, 12, 10), d(2026, 11, 25)).unwrap();
        assert_eq!((from, until), (d(2026, 8, 1), d(2026, 12, 9)));
        assert_eq!(elderly_certificate(d(1990, 1, 1), d(2026, 11, 25)), None);
    }
}
