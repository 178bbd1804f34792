//! What an operator may name when opening disaster mode, resolved to municipality codes
//! (全国地方公共団体コード of the KEN_ALL table): a prefecture (`13`, `東京都`), a municipality
//! (`131041`, `新宿区`, `東京都新宿区`, `大阪市北区`), or a 政令市 (`271004`, `大阪市`), which stands for
//! all its wards.

use sim_fixtures::tables::{Municipality, places};

/// The 47 prefectures: (都道府県番号, name), in code order.
pub fn prefectures() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for m in &places().municipalities {
        if out.last().is_none_or(|(c, _)| c != m.prefecture_code()) {
            out.push((m.prefecture_code().to_owned(), m.prefecture.clone()));
        }
    }
    out
}

/// The municipalities of a prefecture (by number or name).
pub fn municipalities_of(prefecture: &str) -> Vec<&'static Municipality> {
    places()
        .municipalities
        .iter()
        .filter(|m| m.prefecture_code() == prefecture || m.prefecture == prefecture)
        .collect()
}

/// Resolves one area to municipality codes; the error says what was not understood.
pub fn resolve(area: &str) -> Result<Vec<String>, String> {
    let a: String = area
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect();
    let all = &places().municipalities;
    let codes = |it: &mut dyn Iterator<Item = &'static Municipality>| -> Vec<String> {
        it.map(|m| m.code.clone()).collect()
    };
    let found = if a.len() == 2 && a.bytes().all(|b| b.is_ascii_digit()) {
        codes(&mut all.iter().filter(|m| m.prefecture_code() == a))
    } else if a.len() == 6 && a.bytes().all(|b| b.is_ascii_digit()) {
        match places().municipality(&a) {
            Some(m) => vec![m.code.clone()],
            None => codes(&mut all.iter().filter(|m| m.kokuho_code == a && m.code != a)),
        }
    } else {
        let exact: Vec<String> = codes(&mut all.iter().filter(|m| {
            m.prefecture == a || m.name == a || format!("{}{}", m.prefecture, m.name) == a
        }));
        if exact.is_empty() {
            codes(&mut all.iter().filter(|m| {
                m.kokuho_code != m.code
                    && (m.kokuho_name == a || format!("{}{}", m.prefecture, m.kokuho_name) == a)
            }))
        } else {
            exact
        }
    };
    if found.is_empty() {
        Err(format!(
            "{area:?} is not a prefecture (13, 東京都), a municipality (131041, 新宿区) or a 政令市 (271004, 大阪市)"
        ))
    } else {
        Ok(found)
    }
}

/// The name of a municipality code (`東京都新宿区`), or the code itself if unknown.
pub fn label(code: &str) -> String {
    places().municipality(code).map_or_else(
        || code.to_owned(),
        |m| format!("{}{}", m.prefecture, m.name),
    )
}
