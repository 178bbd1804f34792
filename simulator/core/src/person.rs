//! Insured persons (被保険者・被扶養者): who they are, independent of any insurer.

use chrono::NaiveDate;

use crate::qualification::Qualification;

/// 性別 (OQSCD007).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// 1 男.
    Male,
    /// 2 女.
    Female,
    /// 3 未設定.
    Unset,
}

impl Sex {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Unset => "3",
        }
    }
}

/// Income bracket, from which 限度額適用 区分 and the burden ratio of the elderly are derived.
/// Brackets follow 標準報酬月額 (社保) or 所得 (国保) the way 70歳未満 ア–オ are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Income {
    /// ア / 現役並みⅢ: 標準報酬月額 83万円以上.
    Top,
    /// イ / 現役並みⅡ: 53–79万円.
    Upper,
    /// ウ / 現役並みⅠ: 28–50万円.
    Middle,
    /// エ / 一般; 後期高齢 一般Ⅱ (2割).
    LowerMiddle,
    /// エ / 一般; 後期高齢 一般Ⅰ (1割).
    Lower,
    /// オ / 低所得Ⅱ: 住民税非課税.
    Exempt,
    /// オ / 低所得Ⅰ: 住民税非課税, no income.
    ExemptNoIncome,
}

impl Income {
    /// Parses fixture identifiers (`top`, `upper`, `middle`, `lower-middle`, `lower`, `exempt`,
    /// `exempt-no-income`).
    pub fn from_id(id: &str) -> Option<Income> {
        Some(match id {
            "top" => Income::Top,
            "upper" => Income::Upper,
            "middle" => Income::Middle,
            "lower-middle" => Income::LowerMiddle,
            "lower" => Income::Lower,
            "exempt" => Income::Exempt,
            "exempt-no-income" => Income::ExemptNoIncome,
            _ => return None,
        })
    }

    /// 現役並み所得 (for 70 and over).
    pub fn is_active_level(self) -> bool {
        matches!(self, Income::Top | Income::Upper | Income::Middle)
    }

    /// 住民税非課税.
    pub fn is_tax_exempt(self) -> bool {
        matches!(self, Income::Exempt | Income::ExemptNoIncome)
    }
}

/// A person. Names, addresses and numbers are synthetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// A stable identifier (`valid-shaho-honnin` for named fixtures, `P0000001` for generated).
    pub id: String,
    /// 氏名: kanji (or katakana / Latin for some foreign residents), family and given name
    /// separated by a full-width space.
    pub name: String,
    /// 氏名カナ in full-width katakana, separated by a full-width space.
    pub name_kana: String,
    /// 氏名（その他）, e.g. a 通称.
    pub name_of_other: Option<String>,
    /// 氏名カナ（その他）, full-width.
    pub name_of_other_kana: Option<String>,
    /// 性別.
    pub sex: Sex,
    /// 生年月日.
    pub birthdate: NaiveDate,
    /// 住所.
    pub address: String,
    /// 郵便番号, `123-4567`.
    pub postcode: String,
    /// Income bracket.
    pub income: Income,
    /// The qualification history, oldest first.
    pub qualifications: Vec<Qualification>,
}

impl Person {
    /// The qualification whose card the person would show on `on`: the one valid that day, else
    /// the latest one started by then, else the first.
    pub fn card_on(&self, on: NaiveDate) -> Option<&Qualification> {
        self.qualifications
            .iter()
            .filter(|q| q.is_active_on(on))
            .max_by_key(|q| q.acquired)
            .or_else(|| {
                self.qualifications
                    .iter()
                    .filter(|q| q.acquired <= on)
                    .max_by_key(|q| q.acquired)
            })
            .or(self.qualifications.first())
    }
}
