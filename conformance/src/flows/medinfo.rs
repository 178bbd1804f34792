//! QC-7.03 and QC-7.04: drug (薬剤情報, `YZKsiquc01req_`) and checkup (特定健診情報,
//! `TKKsiquc01req_`) information only within the consent the patient gave at the reader.
//!
//! Two visits of one patient. At the first the patient consents to the category at the reader;
//! the SUT takes in the face file, and when the doctor opens the information it sends a
//! well-formed request and shows what the result carries (counted from the result itself). At
//! the second the patient answers いいえ: the latest answers at this facility give no consent, so
//! the SUT either sends nothing or gets the SegmentOfResult 9 refusal, and shows nothing — in
//! particular not what it showed at the first visit.

use sim_messages::MessageKind;

use super::{Flow, face_file, keys_ok, take_in_face};
use crate::checks::{self, Check, Expect, element, elements, text_of};
use crate::proto::{MedicalKind, MedicalShown, Request, ViewMedicalInfo};
use crate::runner::{Ctx, HarnessError};
use crate::terminal::Observed;

/// The patient of both cases: a 国保 member in their 40s–70s with a monthly regimen and yearly 特定健診.
const PERSON: &str = "valid-kokuho";

/// What the terminal's answer to a drug or checkup request carries.
struct MedAnswer {
    file: String,
    /// ResultCode 1 with a body.
    given: bool,
    /// DrugInf lines or SpecificHealthCheckupInfo entries (None: a PDF).
    items: Option<u32>,
    /// MessageContents of a refusal.
    message: Option<String>,
    excerpt: String,
}

fn answer_of(request: &Observed, kind: MedicalKind) -> Option<MedAnswer> {
    let (name, bytes) = request.answer_file()?;
    let file = format!("res/{name}");
    if name.ends_with(".pdf") {
        return Some(MedAnswer {
            file,
            given: true,
            items: None,
            message: None,
            excerpt: format!("(PDF, {} bytes)", bytes.len()),
        });
    }
    if name.ends_with(".err") {
        return Some(MedAnswer {
            file,
            given: false,
            items: None,
            message: Some(text_of(bytes).trim().to_owned()),
            excerpt: text_of(bytes).lines().next().unwrap_or("").to_owned(),
        });
    }
    let text = text_of(bytes);
    let segment = element(&text, "SegmentOfResult").unwrap_or_default();
    let code = element(&text, "ResultCode").unwrap_or_default();
    let given = segment == "1" && code == "1";
    let tag = match kind {
        MedicalKind::Drug => "DrugInf",
        MedicalKind::Checkup => "SpecificHealthCheckupInfo",
    };
    let items = given.then(|| elements(&text, tag).len() as u32);
    Some(MedAnswer {
        file,
        given,
        items,
        message: element(&text, "MessageContents"),
        excerpt: format!(
            "<SegmentOfResult>{segment}</SegmentOfResult><ResultCode>{code}</ResultCode> {} {tag}",
            items.map_or("-".to_owned(), |n| n.to_string())
        ),
    })
}

fn names(kind: MedicalKind) -> (MessageKind, &'static str, &'static str, &'static str) {
    match kind {
        MedicalKind::Drug => (
            MessageKind::DrugInformation,
            "drug",
            "CONSENT-DRUG",
            "PharmacistsInfoConsFlg",
        ),
        MedicalKind::Checkup => (
            MessageKind::CheckupInformation,
            "checkup",
            "CONSENT-CHECKUP",
            "SpecificHealthCheckupsInfoConsFlg",
        ),
    }
}

/// QC-7.03 (drug) or QC-7.04 (checkup).
pub(super) fn only_with_consent(ctx: &mut Ctx<'_>, kind: MedicalKind) -> Flow {
    let (_, consent, _, flag) = names(kind);
    let patient = match kind {
        MedicalKind::Drug => "P0011",
        MedicalKind::Checkup => "P0012",
    };
    // Visit 1: consent given at the reader.
    let (face, bytes, want) = face_file(ctx, PERSON, &[consent])?;
    if element(&text_of(&bytes), flag).as_deref() != Some("1") {
        return Err(HarnessError(format!(
            "the reader's face/{face} does not carry {flag} 1 after the consent"
        )));
    }
    take_in_face(ctx, &face, &want)?;
    view(ctx, patient, kind, true, &face)?;
    // Visit 2: the patient answers いいえ this time.
    let (face, bytes, want) = face_file(ctx, PERSON, &[])?;
    if element(&text_of(&bytes), flag).as_deref() == Some("1") {
        return Err(HarnessError(format!(
            "the reader's face/{face} still carries {flag} 1 after the patient refused"
        )));
    }
    take_in_face(ctx, &face, &want)?;
    view(ctx, patient, kind, false, &face)?;
    Ok(())
}

/// One `view-medical-info` and its checks.
fn view(ctx: &mut Ctx<'_>, patient: &str, kind: MedicalKind, consented: bool, face: &str) -> Flow {
    let (message_kind, _, rule, flag) = names(kind);
    let card = ctx.card(PERSON)?;
    let before = ctx.term.observed().len();
    ctx.call(Request::ViewMedicalInfo(ViewMedicalInfo {
        patient: patient.into(),
        card: card.clone(),
        kind,
    }))?;
    ctx.settle();
    let new: Vec<Observed> = ctx.term.observed().into_iter().skip(before).collect();
    let (of_kind, others): (Vec<&Observed>, Vec<&Observed>) =
        new.iter().partition(|o| o.kind() == Some(message_kind));
    for o in others {
        ctx.push([Check::fail(
            "FILE-NAME",
            format!(
                "{}: not a {}req_ request, which opening the information calls for",
                o.name,
                message_kind.prefix()
            ),
        )]);
    }
    let today = ctx.today.clone();
    let mic = ctx.cfg.medical_institution_code.clone();
    let exp = Expect {
        today: &today,
        medical_institution_code: &mic,
        cards: vec![&card],
        limit_consent: None,
    };
    for o in &of_kind {
        ctx.push(checks::request_checks(o, message_kind, &exp));
    }
    if of_kind.len() > 1 {
        ctx.push([Check::fail(
            "POLL-LIMITS",
            format!("{} requests for one opening", of_kind.len()),
        )]);
    }
    let answer = of_kind.last().and_then(|o| answer_of(o, kind));
    let recorded = super::report(ctx, patient)?;
    let shown: Option<MedicalShown> = recorded.and_then(|r| match kind {
        MedicalKind::Drug => r.drug,
        MedicalKind::Checkup => r.checkup,
    });
    let face_file = format!("face/{face}");
    if consented {
        let Some(answer) = answer else {
            ctx.push([Check::fail(
                rule,
                format!(
                    "the patient consented ({flag} 1 in {face_file}), but no {}req_ request came",
                    message_kind.prefix()
                ),
            )
            .with(&face_file, format!("<{flag}>1</{flag}>"))]);
            return Ok(());
        };
        if !answer.given {
            if keys_ok(ctx) {
                return Err(HarnessError(format!(
                    "the terminal refused the {} request within consent: {}",
                    message_kind.prefix(),
                    answer.message.unwrap_or_default()
                )));
            }
            return Ok(());
        }
        ctx.push([
            Check::pass(rule, format!("requested within the consent of {face_file}"))
                .with(&face_file, format!("<{flag}>1</{flag}>")),
        ]);
        let mut problems = Vec::new();
        match &shown {
            Some(s) if s.shown => {
                if let (Some(want), got) = (answer.items, s.items)
                    && got != Some(want)
                {
                    problems.push(format!(
                        "shows {got:?} item(s), {} carries {want}",
                        answer.file
                    ));
                }
            }
            _ => problems.push(format!(
                "{} carries the information, the SUT shows none ({shown:?})",
                answer.file
            )),
        }
        ctx.push([Check::from_problems(
            "MEDINFO-RESULT",
            problems,
            format!(
                "shows the {} item(s) the result carries",
                answer.items.map_or("PDF".to_owned(), |n| n.to_string())
            ),
        )
        .with(&answer.file, answer.excerpt)]);
    } else {
        let mut problems = Vec::new();
        if let Some(s) = shown.as_ref().filter(|s| s.shown) {
            problems.push(format!(
                "shows {} item(s) although the patient gave no consent ({flag} not 1 in {face_file})",
                s.items.map_or("some".to_owned(), |n| n.to_string())
            ));
        }
        if let Some(a) = &answer
            && a.given
        {
            return Err(HarnessError(format!(
                "the terminal gave {} without consent",
                a.file
            )));
        }
        ctx.push([Check::from_problems(
            rule,
            problems,
            match &answer {
                Some(a) => format!("asked, was refused ({}), shows nothing", a.file),
                None => "sent no request without consent and shows nothing".to_owned(),
            },
        )
        .with(&face_file, format!("<{flag}>0</{flag}>"))]);
        if let Some(a) = &answer {
            let refused_shown = shown.as_ref().and_then(|s| s.message.clone());
            ctx.push([if refused_shown.is_some() {
                Check::pass("MEDINFO-RESULT", "the refusal's message is shown")
            } else {
                Check::fail(
                    "MEDINFO-RESULT",
                    format!(
                        "{} refuses ({}), the SUT shows no message",
                        a.file,
                        a.message.clone().unwrap_or_default()
                    ),
                )
            }
            .with(&a.file, a.excerpt.clone())]);
        }
    }
    Ok(())
}
