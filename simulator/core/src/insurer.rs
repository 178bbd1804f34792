//! 保険者番号 (insurer numbers) and insurers.
//!
//! An 8-digit number is 法別番号 (2) + 都道府県番号 (2) + 保険者別番号 (3) + 検証番号 (1); a 6-digit
//! 国民健康保険 number is 都道府県番号 (2) + 保険者別番号 (3) + 検証番号 (1). The 検証番号 is computed
//! like Luhn: multiply the other digits by 2, 1, 2, 1, … from the right, add the digits of each
//! product, and take 10 minus the last digit of the sum (0 when that is 10).
//!
//! On the wire a 6-digit number may arrive as `139999`, `  139999` or `00139999`; results carry
//! it space-padded to 8 characters.

use std::fmt;

/// A syntactically valid insurer number (6 or 8 ASCII digits). The check digit is not enforced
/// here; see [`InsurerNumber::has_valid_check_digit`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InsurerNumber(String);

/// Why a string is not an insurer number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsurerNumberError {
    /// Not 6 or 8 digits after removing padding.
    #[error("an insurer number has 6 or 8 digits, got {0:?}")]
    Shape(String),
}

impl InsurerNumber {
    /// Reads an insurer number as clients write it: 8 digits, or 6 digits bare, space-padded or
    /// zero-padded to 8. Full-width digits are accepted.
    pub fn parse(raw: &str) -> Result<InsurerNumber, InsurerNumberError> {
        let s: String = raw
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                c => c,
            })
            .collect();
        let s = s.trim_matches(|c: char| c == ' ' || c == '\u{3000}');
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InsurerNumberError::Shape(raw.to_owned()));
        }
        match s.len() {
            6 => Ok(InsurerNumber(s.to_owned())),
            8 if s.starts_with("00") => Ok(InsurerNumber(s[2..].to_owned())),
            8 => Ok(InsurerNumber(s.to_owned())),
            _ => Err(InsurerNumberError::Shape(raw.to_owned())),
        }
    }

    /// Builds a number from its parts, appending the correct 検証番号. `body` is 5 or 7 digits.
    pub fn with_check_digit(body: &str) -> Option<InsurerNumber> {
        if !(body.len() == 5 || body.len() == 7) || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(InsurerNumber(format!("{body}{}", check_digit(body))))
    }

    /// The digits, 6 or 8 of them.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 8-character wire form: 6-digit numbers are left-padded with two spaces.
    pub fn to_wire(&self) -> String {
        format!("{:>8}", self.0)
    }

    /// Whether the last digit is the 検証番号 of the others.
    pub fn has_valid_check_digit(&self) -> bool {
        let (body, last) = self.0.split_at(self.0.len() - 1);
        last.as_bytes()[0] - b'0' == check_digit(body)
    }

    /// 法別番号 of an 8-digit number; `None` for a 6-digit 国保 number.
    pub fn law_code(&self) -> Option<&str> {
        (self.0.len() == 8).then(|| &self.0[..2])
    }

    /// 都道府県番号.
    pub fn prefecture_code(&self) -> &str {
        if self.0.len() == 8 {
            &self.0[2..4]
        } else {
            &self.0[..2]
        }
    }
}

impl fmt::Display for InsurerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 検証番号 of the digits `body`.
pub fn check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let p = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The kind of insurer (保険者種別).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsurerKind {
    /// 全国健康保険協会 (協会けんぽ), 法別 01.
    KyokaiKenpo,
    /// 船員保険, 法別 02.
    Seamen,
    /// 健康保険組合, 法別 06.
    KenpoKumiai,
    /// 自衛官等, 法別 07.
    SelfDefenseForces,
    /// 共済組合, 法別 31–34.
    Kyosai,
    /// 市町村国民健康保険 (6-digit number).
    Kokuho,
    /// 国民健康保険組合 (6-digit number).
    KokuhoKumiai,
    /// 後期高齢者医療広域連合, 法別 39.
    Kouki,
}

impl InsurerKind {
    /// The Japanese name of the kind.
    pub fn label(self) -> &'static str {
        match self {
            InsurerKind::KyokaiKenpo => "協会けんぽ",
            InsurerKind::Seamen => "船員保険",
            InsurerKind::KenpoKumiai => "健保組合",
            InsurerKind::SelfDefenseForces => "自衛官等",
            InsurerKind::Kyosai => "共済組合",
            InsurerKind::Kokuho => "市町村国保",
            InsurerKind::KokuhoKumiai => "国保組合",
            InsurerKind::Kouki => "後期高齢者医療",
        }
    }

    /// Parses the identifiers used in fixture files (`kyokai`, `kumiai`, `kyosai`, `kokuho`,
    /// `kokuho-kumiai`, `kouki`, `seamen`, `sdf`).
    pub fn from_id(id: &str) -> Option<InsurerKind> {
        Some(match id {
            "kyokai" => InsurerKind::KyokaiKenpo,
            "seamen" => InsurerKind::Seamen,
            "kumiai" => InsurerKind::KenpoKumiai,
            "sdf" => InsurerKind::SelfDefenseForces,
            "kyosai" => InsurerKind::Kyosai,
            "kokuho" => InsurerKind::Kokuho,
            "kokuho-kumiai" => InsurerKind::KokuhoKumiai,
            "kouki" => InsurerKind::Kouki,
            _ => return None,
        })
    }

    /// The fixture-file identifier ([`InsurerKind::from_id`] reads it back).
    pub fn id(self) -> &'static str {
        match self {
            InsurerKind::KyokaiKenpo => "kyokai",
            InsurerKind::Seamen => "seamen",
            InsurerKind::KenpoKumiai => "kumiai",
            InsurerKind::SelfDefenseForces => "sdf",
            InsurerKind::Kyosai => "kyosai",
            InsurerKind::Kokuho => "kokuho",
            InsurerKind::KokuhoKumiai => "kokuho-kumiai",
            InsurerKind::Kouki => "kouki",
        }
    }

    /// Whether the kind's numbers are 6-digit (国保).
    pub fn is_kokuho(self) -> bool {
        matches!(self, InsurerKind::Kokuho | InsurerKind::KokuhoKumiai)
    }
}

/// An insurer (保険者).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insurer {
    /// 保険者番号.
    pub number: InsurerNumber,
    /// 保険者名称 (mock insurers are named as mock).
    pub name: String,
    /// 種別.
    pub kind: InsurerKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits() {
        // 法別 01, 東京 13, 保険者別 001 → 0113001x.
        let n = InsurerNumber::with_check_digit("0113001").unwrap();
        assert_eq!(n.as_str(), "01130012");
        assert!(n.has_valid_check_digit());
        assert_eq!(check_digit("13999"), 8);
        assert!(
            InsurerNumber::parse("139998")
                .unwrap()
                .has_valid_check_digit()
        );
        assert!(
            !InsurerNumber::parse("139999")
                .unwrap()
                .has_valid_check_digit()
        );
        assert_eq!(check_digit("3913001"), 8);
    }

    #[test]
    fn wire_forms() {
        for raw in ["139998", "  139998", "00139998", "１３９９９８", "139998 "] {
            let n = InsurerNumber::parse(raw).unwrap();
            assert_eq!(n.as_str(), "139998", "{raw:?}");
            assert_eq!(n.to_wire(), "  139998");
            assert_eq!(n.law_code(), None);
            assert_eq!(n.prefecture_code(), "13");
        }
        let n = InsurerNumber::parse("06139999").unwrap();
        assert_eq!(n.to_wire(), "06139999");
        assert_eq!(n.law_code(), Some("06"));
        for bad in ["", "1234567", "12345", "0613999x", "123456789", " 1 3 9998"] {
            assert!(InsurerNumber::parse(bad).is_err(), "{bad:?}");
        }
    }
}
