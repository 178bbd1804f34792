//! Full-width to half-width katakana, as `NameKana` is written (半角カナ with a half-width space:
//! `ﾓｷﾞ ﾊﾅｺ`). Voiced kana become a base kana plus ﾞ or ﾟ. Full-width Latin letters and digits become
//! ASCII; anything else (kanji) is kept.
//!
//! Hand-written rather than a dependency: it is one fixed table of the JIS X 0201 katakana block,
//! and the crates that do this also pull in romaji and hiragana machinery we do not need.

/// Converts full-width katakana (and hiragana) to half-width katakana.
pub fn to_half_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        // Hiragana → katakana first.
        let c = if ('ぁ'..='ゖ').contains(&c) {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        } else {
            c
        };
        match c {
            '\u{3000}' => out.push(' '),
            '！'..='～' => out.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
            'ァ'..='ヺ' | 'ー' | '・' | '「' | '」' | '、' | '。' | '゛' | '゜' => {
                out.push_str(half_katakana(c).unwrap_or(""))
            }
            c => out.push(c),
        }
    }
    out
}

fn half_katakana(c: char) -> Option<&'static str> {
    Some(match c {
        'ァ' => "ｧ",
        'ア' => "ｱ",
        'ィ' => "ｨ",
        'イ' => "ｲ",
        'ゥ' => "ｩ",
        'ウ' => "ｳ",
        'ェ' => "ｪ",
        'エ' => "ｴ",
        'ォ' => "ｫ",
        'オ' => "ｵ",
        'カ' => "ｶ",
        'ガ' => "ｶﾞ",
        'キ' => "ｷ",
        'ギ' => "ｷﾞ",
        'ク' => "ｸ",
        'グ' => "ｸﾞ",
        'ケ' => "ｹ",
        'ゲ' => "ｹﾞ",
        'コ' => "ｺ",
        'ゴ' => "ｺﾞ",
        'サ' => "ｻ",
        'ザ' => "ｻﾞ",
        'シ' => "ｼ",
        'ジ' => "ｼﾞ",
        'ス' => "ｽ",
        'ズ' => "ｽﾞ",
        'セ' => "ｾ",
        'ゼ' => "ｾﾞ",
        'ソ' => "ｿ",
        'ゾ' => "ｿﾞ",
        'タ' => "ﾀ",
        'ダ' => "ﾀﾞ",
        'チ' => "ﾁ",
        'ヂ' => "ﾁﾞ",
        'ッ' => "ｯ",
        'ツ' => "ﾂ",
        'ヅ' => "ﾂﾞ",
        'テ' => "ﾃ",
        'デ' => "ﾃﾞ",
        'ト' => "ﾄ",
        'ド' => "ﾄﾞ",
        'ナ' => "ﾅ",
        'ニ' => "ﾆ",
        'ヌ' => "ﾇ",
        'ネ' => "ﾈ",
        'ノ' => "ﾉ",
        'ハ' => "ﾊ",
        'バ' => "ﾊﾞ",
        'パ' => "ﾊﾟ",
        'ヒ' => "ﾋ",
        'ビ' => "ﾋﾞ",
        'ピ' => "ﾋﾟ",
        'フ' => "ﾌ",
        'ブ' => "ﾌﾞ",
        'プ' => "ﾌﾟ",
        'ヘ' => "ﾍ",
        'ベ' => "ﾍﾞ",
        'ペ' => "ﾍﾟ",
        'ホ' => "ﾎ",
        'ボ' => "ﾎﾞ",
        'ポ' => "ﾎﾟ",
        'マ' => "ﾏ",
        'ミ' => "ﾐ",
        'ム' => "ﾑ",
        'メ' => "ﾒ",
        'モ' => "ﾓ",
        'ャ' => "ｬ",
        'ヤ' => "ﾔ",
        'ュ' => "ｭ",
        'ユ' => "ﾕ",
        'ョ' => "ｮ",
        'ヨ' => "ﾖ",
        'ラ' => "ﾗ",
        'リ' => "ﾘ",
        'ル' => "ﾙ",
        'レ' => "ﾚ",
        'ロ' => "ﾛ",
        'ヮ' => "ﾜ",
        'ワ' => "ﾜ",
        'ヰ' => "ｲ",
        'ヱ' => "ｴ",
        'ヲ' => "ｦ",
        'ン' => "ﾝ",
        'ヴ' => "ｳﾞ",
        'ヵ' => "ｶ",
        'ヶ' => "ｹ",
        'ヷ' => "ﾜﾞ",
        'ヸ' => "ｲﾞ",
        'ヹ' => "ｴﾞ",
        'ヺ' => "ｦﾞ",
        'ー' => "ｰ",
        '・' => "･",
        '「' => "｢",
        '」' => "｣",
        '、' => "､",
        '。' => "｡",
        '゛' => "ﾞ",
        '゜' => "ﾟ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_names() {
        assert_eq!(to_half_width("モギ　ハナコ"), "ﾓｷﾞ ﾊﾅｺ");
        assert_eq!(to_half_width("シンリョウ　タロウ"), "ｼﾝﾘｮｳ ﾀﾛｳ");
        assert_eq!(to_half_width("ハットリ　ジョウ"), "ﾊｯﾄﾘ ｼﾞｮｳ");
        assert_eq!(to_half_width("ポール・スミス"), "ﾎﾟｰﾙ･ｽﾐｽ");
        assert_eq!(to_half_width("ヴァン"), "ｳﾞｧﾝ");
        assert_eq!(to_half_width("ＳＭＩＴＨ　ＪＯＨＮ"), "SMITH JOHN");
        assert_eq!(to_half_width("もぎ"), "ﾓｷﾞ");
    }

    #[test]
    fn every_full_width_katakana_has_a_half_width_form() {
        for c in 'ァ'..='ヺ' {
            assert!(half_katakana(c).is_some(), "{c}");
        }
    }
}
