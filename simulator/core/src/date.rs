//! The interface's date formats: `yyyyMMdd`, `yyyyMMddHHmmss`, `yyyyMM`, all Japan local time
//! with no zone.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// Parses a strict `yyyyMMdd` (8 ASCII digits forming a real date).
pub fn parse_ymd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y = s[0..4].parse().ok()?;
    let m = s[4..6].parse().ok()?;
    let d = s[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Formats `yyyyMMdd`.
pub fn ymd(d: NaiveDate) -> String {
    if !(0..=9999).contains(&d.year()) {
        return format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
    }
    let mut out = String::with_capacity(8);
    push_ymd(&mut out, d);
    out
}

fn push_ymd(out: &mut String, d: NaiveDate) {
    push_digits(out, d.year() as u32, 4);
    push_digits(out, d.month(), 2);
    push_digits(out, d.day(), 2);
}

/// Appends the last `digits` decimal digits of `value`, zero-padded. The date formats run several
/// times for every result and journal entry; `format!` costs several times more.
fn push_digits(out: &mut String, value: u32, digits: u32) {
    let mut div = 10u32.pow(digits - 1);
    while div > 0 {
        out.push(char::from(b'0' + (value / div % 10) as u8));
        div /= 10;
    }
}

/// Formats `yyyyMMddHHmmss`.
pub fn ymdhms(t: NaiveDateTime) -> String {
    use chrono::Timelike;
    if !(0..=9999).contains(&t.year()) || t.nanosecond() >= 1_000_000_000 {
        // chrono's `%Y` for years of other than four digits (sign, more digits), and its `60`
        // for a leap second.
        return t.format("%Y%m%d%H%M%S").to_string();
    }
    let mut out = String::with_capacity(14);
    push_ymd(&mut out, t.date());
    push_digits(&mut out, t.hour(), 2);
    push_digits(&mut out, t.minute(), 2);
    push_digits(&mut out, t.second(), 2);
    out
}

/// Age in completed years on `on` (a person born on 29 February ages on 1 March in common years,
/// as 年齢計算ニ関スル法律 counts: the day before the birthday ends the year).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// The date a person born on `birth` reaches `years` (for 29 February in a common year, 1 March).
pub fn birthday(birth: NaiveDate, years: i32) -> NaiveDate {
    let y = birth.year() + years;
    NaiveDate::from_ymd_opt(y, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, 3, 1))
        .unwrap_or(birth)
}

/// The first day of the month after `d`.
pub fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn strict_ymd() {
        assert_eq!(parse_ymd("20261125"), Some(d(2026, 11, 25)));
        for bad in [
            "2026112",
            "202611255",
            "2026-11-",
            "20261131",
            "２０２６１１２５",
            "+0261125",
        ] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
        }
        assert_eq!(ymd(d(2026, 1, 5)), "20260105");
    }

    #[test]
    fn ages_and_birthdays() {
        assert_eq!(age_on(d(1951, 11, 25), d(2026, 11, 24)), 74);
        assert_eq!(age_on(d(1951, 11, 25), d(2026, 11, 25)), 75);
        assert_eq!(birthday(d(2000, 2, 29), 1), d(2001, 3, 1));
        assert_eq!(first_of_next_month(d(2026, 12, 31)), d(2027, 1, 1));
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn ymdhms_is_chronos_format() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for t in [
            d(2026, 11, 25).and_hms_opt(9, 30, 15).unwrap(),
            d(5, 1, 2).and_hms_opt(0, 0, 0).unwrap(),
            d(9999, 12, 31).and_hms_opt(23, 59, 59).unwrap(),
            d(10000, 1, 1).and_hms_opt(1, 2, 3).unwrap(),
            d(-1, 1, 1).and_hms_opt(1, 2, 3).unwrap(),
            d(2016, 12, 31).and_hms_milli_opt(23, 59, 59, 1500).unwrap(),
        ] {
            assert_eq!(ymdhms(t), t.format("%Y%m%d%H%M%S").to_string(), "{t:?}");
            let d = t.date();
            assert_eq!(
                ymd(d),
                format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
            );
        }
    }
}
