//! Medical information a facility may view with the patient's consent: 薬剤情報 (drug history
//! from claims, 3 years) and 特定健診情報 (specific health checkups, 5 years).
//!
//! Domain types only; where the records come from is behind [`MedicalRecords`] (the synthetic
//! generator of `sim-fixtures` implements it, deriving each person's records on demand from the
//! population seed), consent behind [`ConsentRecords`] (the server's SQLite table of the reader's
//! answers), and the PDF rendering behind [`MedicalRenderer`] (the server's). The rules are in
//! [`crate::engine::medical`].

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::engine::StoreError;
use crate::person::Person;

/// A year and month (`yyyyMM` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year.
    pub year: i32,
    /// The month, 1–12.
    pub month: u32,
}

impl YearMonth {
    /// The month of `d`.
    pub fn of(d: NaiveDate) -> YearMonth {
        YearMonth {
            year: d.year(),
            month: d.month(),
        }
    }

    /// Parses `yyyyMM`.
    pub fn parse(s: &str) -> Option<YearMonth> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year = s[..4].parse().ok()?;
        let month = s[4..].parse().ok()?;
        (1..=12)
            .contains(&month)
            .then_some(YearMonth { year, month })
    }

    /// `yyyyMM`.
    pub fn code(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }

    /// `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> YearMonth {
        let index = self.year * 12 + self.month as i32 - 1 + n;
        YearMonth {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.plus(1)
            .first_day()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN)
    }

    /// The months from `self` to `last`, both included.
    pub fn through(self, last: YearMonth) -> impl Iterator<Item = YearMonth> {
        let mut m = self;
        std::iter::from_fn(move || {
            (m <= last).then(|| {
                let this = m;
                m = m.plus(1);
                this
            })
        })
    }
}

/// An institution named in the records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Institution {
    /// 医療機関コード (10 digits).
    pub code: String,
    /// Its name.
    pub name: String,
}

/// 診療識別 of a drug line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrugClass {
    /// 21 内服.
    Internal,
    /// 22 屯服.
    AsNeeded,
    /// 23 外用.
    External,
}

impl DrugClass {
    /// The 診療識別 code.
    pub fn code(self) -> &'static str {
        match self {
            DrugClass::Internal => "21",
            DrugClass::AsNeeded => "22",
            DrugClass::External => "23",
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            DrugClass::Internal => "内服",
            DrugClass::AsNeeded => "屯服",
            DrugClass::External => "外用",
        }
    }
}

/// One drug dispensed.
#[derive(Debug, Clone, PartialEq)]
pub struct DrugLine {
    /// レセプト電算処理システム用 医薬品コード (9 digits).
    pub code: String,
    /// 医薬品名.
    pub name: String,
    /// 一般名.
    pub generic_name: String,
    /// Quantity per day (内服) or in all (屯服, 外用).
    pub quantity: f64,
    /// 単位 (錠, カプセル, 包, g, 枚, 本).
    pub unit: String,
    /// 用法.
    pub usage: String,
    /// 特別指示.
    pub special_instruction: Option<String>,
    /// 日数 (内服) or 回数.
    pub times: u32,
    /// 診療識別.
    pub class: DrugClass,
}

/// One 診療行為 (with 診療情報).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatmentLine {
    /// 診療行為コード (9 digits).
    pub code: String,
    /// 名称.
    pub name: String,
    /// 診療識別 (12 再診, 13 医学管理, 60 検査, …).
    pub class: String,
    /// 回数.
    pub times: u32,
}

/// One dispensing day.
#[derive(Debug, Clone, PartialEq)]
pub struct DispensingDay {
    /// 調剤日.
    pub dispensed: NaiveDate,
    /// 処方日.
    pub prescribed: NaiveDate,
    /// The drugs.
    pub drugs: Vec<DrugLine>,
    /// The prescriber's 診療行為 that day (診療情報).
    pub treatments: Vec<TreatmentLine>,
}

/// One institution's claim for one month (`MeTrMonthInf`).
#[derive(Debug, Clone, PartialEq)]
pub struct DrugMonth {
    /// 診療年月.
    pub month: YearMonth,
    /// The dispensing institution (the pharmacy, or the clinic for 院内処方).
    pub dispensing: Institution,
    /// The prescribing institution.
    pub prescribing: Institution,
    /// 院外処方 (dispensed by a pharmacy).
    pub outside: bool,
    /// The dispensing days, in order.
    pub days: Vec<DispensingDay>,
}

/// How a checkup value is written.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckupValue {
    /// A quantity (`PQ`) with its unit and decimals.
    Quantity {
        /// The value.
        value: f64,
        /// Decimals written.
        decimals: usize,
        /// 単位.
        unit: &'static str,
    },
    /// A coded value (`CD`): the code and its meaning (尿糖 `1` → `－`).
    Coded {
        /// The code.
        code: &'static str,
        /// Its meaning.
        name: &'static str,
    },
}

impl CheckupValue {
    /// The value as written in `DataValue`.
    pub fn text(&self) -> String {
        match self {
            CheckupValue::Quantity {
                value, decimals, ..
            } => format!("{value:.decimals$}"),
            CheckupValue::Coded { code, .. } => (*code).to_owned(),
        }
    }

    /// The value for a reader: with its unit, or the coded meaning.
    pub fn display(&self) -> String {
        match self {
            CheckupValue::Quantity { unit, .. } => format!("{} {unit}", self.text()),
            CheckupValue::Coded { name, .. } => (*name).to_owned(),
        }
    }
}

/// One checkup item and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckupItem {
    /// 項目コード (JLAC10, 17 characters).
    pub code: &'static str,
    /// 項目名.
    pub name: &'static str,
    /// The result.
    pub value: CheckupValue,
}

/// The OID of the 特定健診 item code system (JLAC10-based 健診項目コード).
pub const CHECKUP_ITEM_OID: &str = "1.2.392.200119.6.1005";

/// One 特定健診.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkup {
    /// 実施日.
    pub date: NaiveDate,
    /// 健診実施機関.
    pub institution: Institution,
    /// The items, in the standard order.
    pub items: Vec<CheckupItem>,
}

/// Where the medical records come from.
pub trait MedicalRecords: Send + Sync {
    /// The person's claim-derived drug history for the months `from`..=`to`, oldest first.
    fn drug_history(&self, person: &Person, from: YearMonth, to: YearMonth) -> Vec<DrugMonth>;
    /// The person's 特定健診 done between `from` and `to` (both included), oldest first.
    fn checkups(&self, person: &Person, from: NaiveDate, to: NaiveDate) -> Vec<Checkup>;
}

/// A category of consent at the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentCategory {
    /// 薬剤情報.
    Drug,
    /// 特定健診情報.
    Checkup,
    /// 診療情報.
    Diagnosis,
    /// 限度額適用認定証.
    Limit,
}

impl ConsentCategory {
    /// Its name on the consent screen.
    pub fn name(self) -> &'static str {
        match self {
            ConsentCategory::Drug => "薬剤情報",
            ConsentCategory::Checkup => "特定健診情報",
            ConsentCategory::Diagnosis => "診療情報",
            ConsentCategory::Limit => "限度額適用認定証関連情報",
        }
    }
}

/// The patient's answers at one card check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGrant {
    /// The facility whose reader took the answers.
    pub medical_institution_code: String,
    /// When.
    pub at: NaiveDateTime,
    /// `…AvailableTime`: viewing is allowed until then.
    pub available_until: NaiveDateTime,
    /// 薬剤情報.
    pub drug: bool,
    /// 特定健診情報.
    pub checkup: bool,
    /// 診療情報.
    pub diagnosis: bool,
    /// 限度額適用認定証.
    pub limit: bool,
}

impl ConsentGrant {
    /// The answer for `category`.
    pub fn gives(&self, category: ConsentCategory) -> bool {
        match category {
            ConsentCategory::Drug => self.drug,
            ConsentCategory::Checkup => self.checkup,
            ConsentCategory::Diagnosis => self.diagnosis,
            ConsentCategory::Limit => self.limit,
        }
    }
}

/// The consent records of the reader.
pub trait ConsentRecords: Send + Sync {
    /// The latest answers of `person_id` at each facility, at most one per facility.
    fn latest_per_facility(&self, person_id: &str) -> Result<Vec<ConsentGrant>, StoreError>;
}

/// The patient header of a report (as on the terminal's screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    /// 氏名.
    pub name: String,
    /// 氏名カナ (full width).
    pub name_kana: String,
    /// 生年月日.
    pub birthdate: NaiveDate,
    /// 性別 (男 / 女 / 未設定).
    pub sex: &'static str,
    /// 性別, OQSCD007.
    pub sex_code: &'static str,
    /// 保険者番号.
    pub insurer_number: String,
    /// 記号.
    pub symbol: Option<String>,
    /// 番号.
    pub number: String,
    /// 枝番.
    pub branch: String,
}

/// What a drug report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct DrugReport {
    /// The patient.
    pub patient: Patient,
    /// The requesting facility.
    pub medical_institution_code: String,
    /// Echo of the request.
    pub arbitrary_file_identifier: Option<String>,
    /// The period shown.
    pub from: YearMonth,
    /// The period shown.
    pub to: YearMonth,
    /// With 診療情報.
    pub with_diagnosis: bool,
    /// When it was made.
    pub made_at: NaiveDateTime,
    /// The months.
    pub months: Vec<DrugMonth>,
}

/// What a checkup report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckupReport {
    /// The patient.
    pub patient: Patient,
    /// The requesting facility.
    pub medical_institution_code: String,
    /// Echo of the request.
    pub arbitrary_file_identifier: Option<String>,
    /// The period shown.
    pub from: NaiveDate,
    /// The period shown.
    pub to: NaiveDate,
    /// When it was made.
    pub made_at: NaiveDateTime,
    /// The checkups.
    pub checkups: Vec<Checkup>,
}

/// Renders the reports as documents a person reads (PDF).
pub trait MedicalRenderer: Send + Sync {
    /// The drug report as a PDF.
    fn drug_pdf(&self, report: &DrugReport) -> Result<Vec<u8>, StoreError>;
    /// The checkup report as a PDF.
    fn checkup_pdf(&self, report: &CheckupReport) -> Result<Vec<u8>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_months() {
        let m = YearMonth::parse("202611").unwrap();
        assert_eq!(m.plus(2).code(), "202701");
        assert_eq!(m.plus(-11).code(), "202512");
        assert_eq!(m.plus(-35).code(), "202312");
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(YearMonth::parse("202613"), None);
        assert_eq!(YearMonth::parse("20261"), None);
        assert_eq!(m.plus(-2).through(m).count(), 3);
        assert_eq!(m.through(m.plus(-1)).count(), 0);
    }
}
