//! What the SUT should conclude from an answer of the terminal, computed from the answer itself
//! (a result file, a face file, a bulk unit, an `.err` file, a Web API response), and the
//! comparison with what the SUT recorded.

use sim_messages::siquc01::{QualificationConfirmResult, ResultOfQualificationConfirmation};

use crate::checks::{Check, key};
use crate::proto::{Outcome, Recorded};

/// The body of an answer: ProcessingResultStatus, its code, QualificationValidity, the results.
pub type AnswerBody<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Vec<ResultOfQualificationConfirmation>,
);

/// The conclusion an answer calls for.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// The outcome (None: the answer could not be read, a harness problem).
    pub outcome: Option<Outcome>,
    /// SegmentOfResult.
    pub segment: Option<String>,
    /// 資格有効性.
    pub validity: Option<String>,
    /// The (first) qualification of the answer.
    pub result: Option<ResultOfQualificationConfirmation>,
    /// The error code staff should see.
    pub error_code: Option<String>,
    /// Where it came from (for messages).
    pub source: String,
}

impl Expected {
    /// From a result document (single check or face file).
    pub fn from_result(name: &str, bytes: &[u8]) -> Expected {
        match sim_messages::xml::read_document::<QualificationConfirmResult>(bytes) {
            Ok((r, _)) => Expected::from_parts(
                name,
                &r.header.segment_of_result,
                r.header.error_code.as_deref(),
                r.body.as_ref().map(|b| {
                    (
                        b.processing_result_status.as_str(),
                        b.processing_result_code.as_deref(),
                        b.qualification_validity.as_deref(),
                        b.result_list
                            .as_ref()
                            .map(|l| l.results.clone())
                            .unwrap_or_default(),
                    )
                }),
            ),
            Err(_) => Expected {
                source: name.to_owned(),
                ..Expected::default()
            },
        }
    }

    /// From the parts every answer shape has.
    pub fn from_parts(
        source: &str,
        segment: &str,
        error_code: Option<&str>,
        body: Option<AnswerBody<'_>>,
    ) -> Expected {
        let mut e = Expected {
            segment: Some(segment.to_owned()),
            source: source.to_owned(),
            ..Expected::default()
        };
        if segment != "1" {
            e.outcome = Some(if segment == "2" {
                Outcome::Pending
            } else {
                Outcome::Error
            });
            e.error_code = error_code.map(str::to_owned);
            return e;
        }
        let Some((status, code, validity, results)) = body else {
            e.outcome = Some(Outcome::Error);
            return e;
        };
        e.validity = validity.map(str::to_owned);
        e.result = results.first().cloned();
        if status != "1" {
            e.outcome = Some(Outcome::Error);
            e.error_code = code.map(str::to_owned);
            return e;
        }
        e.outcome = Some(match validity {
            Some("1") if results.len() == 1 => Outcome::Valid,
            Some("1") | Some("5") => Outcome::Multiple,
            Some("4") => Outcome::NotFound,
            _ => Outcome::Invalid,
        });
        e
    }

    /// From an `.err` file: its code is the first word.
    pub fn from_err(name: &str, bytes: &[u8]) -> Expected {
        let text = crate::checks::text_of(bytes);
        Expected {
            outcome: Some(Outcome::Error),
            error_code: text.split_whitespace().next().map(str::to_owned),
            source: name.to_owned(),
            ..Expected::default()
        }
    }

    /// The rule a comparison is reported under.
    pub fn rule(&self) -> &'static str {
        match (self.outcome, self.segment.as_deref()) {
            (Some(Outcome::Valid), _) => "RES-VALID",
            (Some(Outcome::Error), Some("1")) => "RES-STATUS",
            (Some(Outcome::Error), Some(_)) => "RES-SEG9",
            (Some(Outcome::Error), None) => "RES-ERR",
            _ => "RES-INVALID",
        }
    }
}

fn same(a: Option<&str>, b: Option<&str>) -> bool {
    a.map(str::trim) == b.map(str::trim)
}

/// Compares what the SUT recorded with what the answer calls for; one check under the answer's
/// rule, and the problems listed.
pub fn compare(recorded: Option<&Recorded>, want: &Expected, card_insurer: Option<&str>) -> Check {
    let rule = want.rule();
    let Some(outcome) = want.outcome else {
        return Check::fail(
            rule,
            format!("{}: the answer could not be read", want.source),
        );
    };
    let Some(rec) = recorded else {
        return Check::fail(
            rule,
            format!(
                "the SUT recorded nothing; {} calls for {outcome:?}",
                want.source
            ),
        );
    };
    let mut problems = Vec::new();
    if rec.outcome != outcome {
        problems.push(format!(
            "recorded {:?}, {} calls for {outcome:?} (SegmentOfResult {}, QualificationValidity {})",
            rec.outcome,
            want.source,
            want.segment.as_deref().unwrap_or("-"),
            want.validity.as_deref().unwrap_or("-")
        ));
    }
    match outcome {
        Outcome::Valid | Outcome::Invalid => {
            if let Some(r) = &want.result {
                if key(rec.insurer_number.as_deref().unwrap_or(""))
                    != key(r.insurer_number.as_deref().unwrap_or(""))
                {
                    problems.push(format!(
                        "shows insurer {:?}, the result names {:?}",
                        rec.insurer_number.as_deref().unwrap_or(""),
                        r.insurer_number.as_deref().unwrap_or("")
                    ));
                }
                if outcome == Outcome::Valid
                    && !same(
                        rec.burden_ratio.as_deref(),
                        r.insured_partial_contribution_ratio.as_deref(),
                    )
                {
                    problems.push(format!(
                        "burden ratio {:?}, the result gives {:?}",
                        rec.burden_ratio, r.insured_partial_contribution_ratio
                    ));
                }
            }
            if want.validity.as_deref() == Some("3")
                && let (Some(card), Some(shown)) = (card_insurer, rec.insurer_number.as_deref())
                && key(card) == key(shown)
            {
                problems.push(format!(
                    "shows the old card's insurer {card}, not the new one"
                ));
            }
        }
        Outcome::Error => {
            if want.error_code.is_some()
                && !same(rec.error_code.as_deref(), want.error_code.as_deref())
            {
                problems.push(format!(
                    "shows error code {:?}, the terminal said {:?}",
                    rec.error_code, want.error_code
                ));
            }
            if rec.validity.is_some() || rec.insurer_number.is_some() {
                problems.push("records a qualification for a failed check".into());
            }
        }
        _ => {}
    }
    Check::from_problems(
        rule,
        problems,
        format!("recorded {outcome:?} as {} says", want.source),
    )
}

/// The name and kana were read intact (the encoding of the result honoured).
pub fn compare_names(recorded: Option<&Recorded>, want: &Expected) -> Check {
    let Some(r) = &want.result else {
        return Check::fail("RES-ENCODING", format!("{} carries no name", want.source));
    };
    let rec_name = recorded.and_then(|r| r.name.as_deref());
    let rec_kana = recorded.and_then(|r| r.name_kana.as_deref());
    let mut problems = Vec::new();
    if rec_name != r.name.as_deref() {
        problems.push(format!("name {rec_name:?}, the result says {:?}", r.name));
    }
    if r.name_kana.is_some() && rec_kana != r.name_kana.as_deref() {
        problems.push(format!(
            "kana {rec_kana:?}, the result says {:?}",
            r.name_kana
        ));
    }
    Check::from_problems("RES-ENCODING", problems, "name and kana intact").with(
        &want.source,
        format!("<Name>{}</Name>", r.name.as_deref().unwrap_or("")),
    )
}

/// The 限度額 適用区分 shown is the one the answer carries, and none without it.
pub fn compare_limit(recorded: Option<&Recorded>, want: &Expected) -> Check {
    let carried = want
        .result
        .as_ref()
        .and_then(|r| r.limit_application_certificate_related_info.as_ref())
        .and_then(|l| l.limit_application_certificate_classification_flag.clone());
    let shown = recorded.and_then(|r| r.limit_category.clone());
    let ok = carried == shown;
    let msg = match (&carried, &shown) {
        (None, None) => "no 限度額 information in the answer, none shown".to_owned(),
        (Some(c), Some(s)) if c == s => format!("適用区分 {c} shown as carried"),
        (None, Some(s)) => {
            format!("shows 適用区分 {s} although the answer carries no 限度額 information")
        }
        (Some(c), s) => format!("the answer carries 適用区分 {c}, the SUT shows {s:?}"),
    };
    if ok {
        Check::pass("CONSENT-LIMIT", msg)
    } else {
        Check::fail("CONSENT-LIMIT", msg)
    }
}
