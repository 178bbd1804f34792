//! Finding a patient without the card.
//!
//! Two ways, as on the terminal's disaster-mode screen:
//! - **by person**: 氏名 (kanji or kana, compared after [`fold`](super::fold)) and 生年月日 are
//!   required; 性別 and 住所 (any part of it: `新宿区`, `大阪市北区梅田`) narrow the result. Requiring
//!   the birth date keeps a name-only query from listing a whole city.
//! - **by insurance**: 保険者番号, 番号 and 生年月日 are required, 記号 and 枝番 narrow (keys are
//!   compared as the eligibility engine compares them: width, padding and leading zeros ignored).
//!
//! Each hit carries the qualification the person would show on the search date, so the facility
//! can claim with it (保険者番号・記号・番号・枝番) instead of 不詳.

use chrono::NaiveDate;

use super::fold::{fold_address, fold_name, is_kana};
use crate::insurer::InsurerNumber;
use crate::keys::{normalize_branch, normalize_key};
use crate::person::{Person, Sex};
use crate::population::Population;

/// What was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// 氏名・生年月日 (+ 性別, 住所).
    Person {
        /// 氏名 in kanji, kana (full or half width) or Latin letters.
        name: String,
        /// 生年月日.
        birthdate: NaiveDate,
        /// 性別, if given.
        sex: Option<Sex>,
        /// Part of the 住所, if given.
        address: Option<String>,
    },
    /// 保険者番号・記号・番号・枝番・生年月日.
    Insurance {
        /// 保険者番号 (6 or 8 digits, padded or not).
        insurer: String,
        /// 記号, if given.
        symbol: Option<String>,
        /// 番号.
        number: String,
        /// 枝番, if given.
        branch: Option<String>,
        /// 生年月日.
        birthdate: NaiveDate,
    },
}

impl Query {
    /// The query as one line, for the audit log.
    pub fn describe(&self) -> String {
        match self {
            Query::Person {
                name,
                birthdate,
                sex,
                address,
            } => {
                let mut s = format!("氏名={name} 生年月日={birthdate}");
                if let Some(sex) = sex {
                    s.push_str(&format!(" 性別={}", sex_label(*sex)));
                }
                if let Some(a) = address {
                    s.push_str(&format!(" 住所={a}"));
                }
                s
            }
            Query::Insurance {
                insurer,
                symbol,
                number,
                branch,
                birthdate,
            } => format!(
                "保険者番号={insurer} 記号={} 番号={number} 枝番={} 生年月日={birthdate}",
                symbol.as_deref().unwrap_or(""),
                branch.as_deref().unwrap_or("")
            ),
        }
    }
}

/// 男, 女, 未設定.
pub fn sex_label(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "男",
        Sex::Female => "女",
        Sex::Unset => "未設定",
    }
}

/// Why a query cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The name is blank.
    #[error("氏名を入力してください")]
    NoName,
    /// The name is implausibly long.
    #[error("氏名が長すぎます（100文字まで）")]
    NameTooLong,
    /// The insurer number is not one.
    #[error("保険者番号が正しくありません: {0}")]
    Insurer(String),
    /// The 番号 is blank.
    #[error("番号を入力してください")]
    NoNumber,
    /// The 枝番 is not one or two digits.
    #[error("枝番は2桁の数字です: {0:?}")]
    Branch(String),
}

/// One person found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The person's id in the population.
    pub person: String,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 性別.
    pub sex: Sex,
    /// 生年月日.
    pub birthdate: NaiveDate,
    /// 住所.
    pub address: String,
    /// The qualification shown on the search date, if the person has any.
    pub qualification: Option<HitQualification>,
}

/// The qualification data of a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitQualification {
    /// 保険者番号.
    pub insurer: String,
    /// 保険者名.
    pub insurer_name: String,
    /// 記号.
    pub symbol: Option<String>,
    /// 番号.
    pub number: String,
    /// 枝番.
    pub branch: String,
    /// Whether it is valid on the search date (else it is the latest one, lost).
    pub valid: bool,
}

/// Hits, at most `limit` of them; `truncated` when there were more.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResult {
    /// The persons found, in population order.
    pub hits: Vec<Hit>,
    /// Whether more persons matched than were returned.
    pub truncated: bool,
}

fn hit(pop: &Population, p: &Person, on: NaiveDate) -> Hit {
    let qualification = p.card_on(on).map(|q| HitQualification {
        insurer: q.insurer.as_str().to_owned(),
        insurer_name: pop
            .insurer(&q.insurer)
            .map(|i| i.name.clone())
            .unwrap_or_default(),
        symbol: q.card.symbol.clone(),
        number: q.card.number.clone(),
        branch: q.card.branch.clone(),
        valid: q.is_active_on(on),
    });
    Hit {
        person: p.id.clone(),
        name: p.name.clone(),
        name_kana: p.name_kana.clone(),
        sex: p.sex,
        birthdate: p.birthdate,
        address: p.address.clone(),
        qualification,
    }
}

/// Runs `query` on `pop` for the date `on`, returning at most `limit` hits.
pub fn search(
    pop: &Population,
    query: &Query,
    on: NaiveDate,
    limit: usize,
) -> Result<SearchResult, SearchError> {
    let mut result = SearchResult::default();
    let push = |p: &Person, result: &mut SearchResult| {
        if result.hits.iter().any(|h| h.person == p.id) {
            return;
        }
        if result.hits.len() < limit {
            result.hits.push(hit(pop, p, on));
        } else {
            result.truncated = true;
        }
    };
    match query {
        Query::Person {
            name,
            birthdate,
            sex,
            address,
        } => {
            if name.chars().count() > 100 {
                return Err(SearchError::NameTooLong);
            }
            let wanted = fold_name(name);
            if wanted.is_empty() {
                return Err(SearchError::NoName);
            }
            let kana = is_kana(&wanted);
            let address = address
                .as_deref()
                .map(fold_address)
                .filter(|a| !a.is_empty());
            // Birth date and sex from the compact rows first; a person is built only for those.
            for i in 0..u32::try_from(pop.len()).unwrap_or(u32::MAX) {
                if pop.birthdate(i) != *birthdate || sex.is_some_and(|s| s != pop.sex(i)) {
                    continue;
                }
                let p = pop.person_at(i);
                let names = if kana {
                    [Some(p.name_kana.as_str()), p.name_of_other_kana.as_deref()]
                } else {
                    [Some(p.name.as_str()), p.name_of_other.as_deref()]
                };
                if !names.into_iter().flatten().any(|n| fold_name(n) == wanted) {
                    continue;
                }
                if let Some(a) = &address
                    && !fold_address(&p.address).contains(a.as_str())
                {
                    continue;
                }
                push(&p, &mut result);
            }
        }
        Query::Insurance {
            insurer,
            symbol,
            number,
            branch,
            birthdate,
        } => {
            let insurer =
                InsurerNumber::parse(insurer).map_err(|e| SearchError::Insurer(e.to_string()))?;
            let number = normalize_key(number);
            if number.is_empty() {
                return Err(SearchError::NoNumber);
            }
            let symbol = symbol
                .as_deref()
                .map(normalize_key)
                .filter(|s| !s.is_empty());
            let branch = match branch.as_deref().filter(|b| !b.trim().is_empty()) {
                None => None,
                Some(b) => {
                    Some(normalize_branch(b).ok_or_else(|| SearchError::Branch(b.to_owned()))?)
                }
            };
            for r in pop.candidates(&insurer, &number) {
                let p = pop.person(r);
                let q = pop.qualification(r);
                if p.birthdate != *birthdate
                    || symbol.as_ref().is_some_and(|s| {
                        q.card.symbol.as_deref().map(normalize_key).as_ref() != Some(s)
                    })
                    || branch.as_ref().is_some_and(|b| *b != q.card.branch)
                {
                    continue;
                }
                push(&p, &mut result);
            }
        }
    }
    Ok(result)
}
