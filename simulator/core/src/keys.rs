//! Card keys (記号・番号・枝番) and how typed keys are compared with registered ones.
//!
//! Clinic staff type 記号 and 番号 from the card, in full or half width, with or without leading
//! zeros. Keys are compared after normalising: full-width to half-width ASCII, surrounding and
//! inner white space removed, and leading zeros removed from all-digit values.

/// Normalises a 記号 or 番号 for comparison. Returns an empty string for absent or blank values.
pub fn normalize_key(raw: &str) -> String {
    let half: String = raw
        .chars()
        .filter_map(|c| match c {
            ' ' | '\u{3000}' | '\t' => None,
            '！'..='～' => char::from_u32(c as u32 - 0xFEE0),
            c => Some(c),
        })
        .collect();
    if !half.is_empty() && half.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = half.trim_start_matches('0');
        if trimmed.is_empty() {
            "0".to_owned()
        } else {
            trimmed.to_owned()
        }
    } else {
        half
    }
}

/// Normalises a 枝番 to two digits (`1` → `01`); `None` if it is not one or two digits.
pub fn normalize_branch(raw: &str) -> Option<String> {
    let k: String = raw
        .chars()
        .filter_map(|c| match c {
            ' ' | '\u{3000}' => None,
            '０'..='９' => char::from_u32(c as u32 - 0xFEE0),
            c => Some(c),
        })
        .collect();
    match k.len() {
        1 | 2 if k.bytes().all(|b| b.is_ascii_digit()) => Some(format!("{k:0>2}")),
        _ => None,
    }
}

/// The keys printed on an insurance card.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardKeys {
    /// 記号, as printed (absent on many 国保 and 後期高齢 cards).
    pub symbol: Option<String>,
    /// 番号, as printed.
    pub number: String,
    /// 枝番, two digits.
    pub branch: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalize_key("１２３"), "123");
        assert_eq!(normalize_key(" 0012345 "), "12345");
        assert_eq!(normalize_key("ＡＢ－１"), "AB-1");
        assert_eq!(normalize_key("0"), "0");
        assert_eq!(normalize_key("　"), "");
        assert_eq!(normalize_key("愛知 1"), "愛知1");
        assert_eq!(normalize_branch("1").as_deref(), Some("01"));
        assert_eq!(normalize_branch("０１").as_deref(), Some("01"));
        assert_eq!(normalize_branch("001"), None);
        assert_eq!(normalize_branch("a1"), None);
    }
}
