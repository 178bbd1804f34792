//! How a name or an address typed at the counter is compared with the registered one.
//!
//! Both sides are folded, then compared:
//! 1. Unicode NFKC: 半角カナ become 全角 (`ｽｽﾞｷ` → `スズキ`), full-width Latin letters and digits
//!    become ASCII, CJK compatibility ideographs become their unified form (`﨑` stays: it is not a
//!    compatibility character, hence step 3).
//! 2. Hiragana become katakana (`すずき` → `スズキ`); Latin letters are upper-cased.
//! 3. 異体字 (旧字体 and other variants) become the common form, by the table [`VARIANTS`]
//!    (髙→高, 﨑→崎, 邊/邉→辺, 齋/齊/斉→斎, 澤→沢…).
//! 4. White space (half and full width), `・`, `･` and `=` between name parts are dropped, so
//!    `佐藤 健一`, `佐藤　健一` and `佐藤健一` are the same name.
//!
//! A kana query is compared with the reading, a kanji query with the name; both are folded.

use unicode_normalization::UnicodeNormalization;

/// 異体字 → the form used for comparison. Covers the
/// variants the population generator uses (fixtures `names::VARIANTS`) and the common ones of
/// family names; 斉 is folded into 斎 on purpose (counter staff type either).
pub const VARIANTS: &[(char, char)] = &[
    ('亞', '亜'),
    ('兒', '児'),
    ('冨', '富'),
    ('會', '会'),
    ('圓', '円'),
    ('國', '国'),
    ('增', '増'),
    ('壽', '寿'),
    ('寳', '宝'),
    ('寶', '宝'),
    ('實', '実'),
    ('峯', '峰'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('嵜', '崎'),
    ('廣', '広'),
    ('彌', '弥'),
    ('德', '徳'),
    ('惠', '恵'),
    ('條', '条'),
    ('榮', '栄'),
    ('槇', '槙'),
    ('櫻', '桜'),
    ('淵', '渕'),
    ('澤', '沢'),
    ('濱', '浜'),
    ('瀨', '瀬'),
    ('眞', '真'),
    ('藏', '蔵'),
    ('萬', '万'),
    ('邉', '辺'),
    ('邊', '辺'),
    ('鐵', '鉄'),
    ('髙', '高'),
    ('黑', '黒'),
    ('齊', '斎'),
    ('齋', '斎'),
    ('斉', '斎'),
    ('﨑', '崎'),
    ('𠮷', '吉'),
];

fn variant(c: char) -> char {
    VARIANTS
        .iter()
        .find(|(v, _)| *v == c)
        .map_or(c, |&(_, common)| common)
}

fn dropped(c: char) -> bool {
    c.is_whitespace() || matches!(c, '・' | '･' | '=' | '＝')
}

/// Folds a name (kanji, kana or Latin) for comparison.
pub fn fold_name(s: &str) -> String {
    s.nfkc()
        .filter(|&c| !dropped(c))
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            'a'..='z' => c.to_ascii_uppercase(),
            c => variant(c),
        })
        .collect()
}

/// Folds an address for a containment test: like [`fold_name`], and kanji numerals of 丁目・番・号
/// are left as they are (a typed `新宿4丁目` does not match `新宿四丁目`; type the municipality or
/// the 町域, or the number as registered).
pub fn fold_address(s: &str) -> String {
    fold_name(s)
}

/// Whether the text is kana only (after folding): such a query is compared with the reading.
pub fn is_kana(folded: &str) -> bool {
    !folded.is_empty()
        && folded
            .chars()
            .all(|c| ('ァ'..='ヺ').contains(&c) || c == 'ー' || c == 'ヽ' || c == 'ヾ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_kana_and_variants_fold_together() {
        assert_eq!(fold_name("髙橋　昭"), fold_name("高橋 昭"));
        assert_eq!(fold_name("髙橋昭"), "高橋昭");
        assert_eq!(fold_name("ﾀｶﾊｼ ｱｷﾗ"), "タカハシアキラ");
        assert_eq!(fold_name("たかはし　あきら"), "タカハシアキラ");
        assert_eq!(fold_name("山﨑"), fold_name("山崎"));
        assert_eq!(fold_name("山嵜"), "山崎");
        assert_eq!(fold_name("渡邊"), "渡辺");
        assert_eq!(fold_name("渡邉"), "渡辺");
        assert_eq!(fold_name("齋藤"), "斎藤");
        assert_eq!(fold_name("齊藤"), "斎藤");
        assert_eq!(fold_name("斉藤"), "斎藤");
        assert_eq!(fold_name("ＳＭＩＴＨ　ｊｏｈｎ"), "SMITHJOHN");
        assert_eq!(fold_name("ポール・スミス"), "ポールスミス");
        assert_eq!(fold_name("ｼﾞｮｳ"), "ジョウ");
        assert!(is_kana(&fold_name("ｽｽﾞｷ ｶｽﾞｺ")));
        assert!(!is_kana(&fold_name("鈴木")));
        assert!(!is_kana(""));
    }

    #[test]
    fn every_fixture_variant_is_folded() {
        // The generator's variants (fixtures names::VARIANTS) as standard → variant pairs.
        for (std, var) in [
            ('高', '髙'),
            ('崎', '﨑'),
            ('辺', '邊'),
            ('斎', '齋'),
            ('沢', '澤'),
            ('浜', '濱'),
            ('桜', '櫻'),
            ('広', '廣'),
            ('国', '國'),
            ('島', '嶋'),
        ] {
            assert_eq!(fold_name(&var.to_string()), std.to_string(), "{var}");
        }
        for (v, c) in VARIANTS {
            assert_eq!(fold_name(&c.to_string()), fold_name(&v.to_string()));
        }
    }
}
