//! The flow of each case: what the harness asks the SUT, how the terminal behaves, and which
//! checks follow. Every expectation about what the SUT concludes is computed from the answer the
//! terminal actually gave ([`crate::expected`]).

use sim_messages::MessageKind;

use crate::checks::{self, Check, Expect, element, elements, text_of};
use crate::expected::{self, Expected};
use crate::proto::{
    BulkCriteria, BulkKind, BulkPatient, Card, CheckCard, MedicalKind, Outcome, Recorded,
    RegisterReference, ReportQuery, Request, RunBulk, Via,
};
use crate::runner::{Ctx, HarnessError};
use crate::terminal::{Behaviour, Observed};

mod criteria;
mod medinfo;
mod reader;

type Flow = Result<(), HarnessError>;

/// Runs the flow of case `id`.
pub fn run(ctx: &mut Ctx<'_>, id: &str) -> Flow {
    match id {
        "QC-1.01" => single_valid(ctx, "valid-shaho-honnin", false),
        "QC-1.02" => single_valid(ctx, "valid-shaho-kazoku", false),
        "QC-1.03" => single_expecting(ctx, "lapsed-job-change-old-card", "3"),
        "QC-1.04" => single_expecting(ctx, "lapsed-no-new", "2"),
        "QC-1.05" => single_expecting(ctx, "not-found", "4"),
        "QC-1.06" => single_valid(ctx, "valid-kouki", false),
        "QC-1.07" => two_in_a_row(ctx),
        "QC-1.08" => single_expecting(ctx, "multiple-matches", "5"),
        "QC-2.01" | "QC-2.02" => single_valid(ctx, "valid-kokuho", true),
        "QC-3.01" => single_failing(ctx, Behaviour::Err),
        "QC-3.02" => single_failing(ctx, Behaviour::Maintenance),
        "QC-3.03" => slow(ctx),
        "QC-3.04" => single_expecting(ctx, "check-digit-error", "-"),
        "QC-4.01" => face_once(ctx),
        "QC-4.02" => face_limit(ctx),
        "QC-4.03" => reader::all_refused(ctx),
        "QC-4.04" => reader::first_registration(ctx),
        "QC-4.05" => reader::locked_then_card(ctx),
        "QC-5.01" => bulk(ctx),
        "QC-5.02" => reference_then_check(ctx),
        "QC-5.03" => reference_then_face(ctx),
        "QC-5.04" => criteria::criteria_bulk(
            ctx,
            &criteria::CriteriaCase {
                kind: BulkKind::Home,
                criteria: BulkCriteria {
                    consent_from: Some(first_of_month(&ctx.today)),
                    consent_to: Some(ctx.today.clone()),
                    ..BulkCriteria::default()
                },
                listed: "valid-kouki",
            },
        ),
        "QC-5.05" => criteria::criteria_bulk(
            ctx,
            &criteria::CriteriaCase {
                kind: BulkKind::Online,
                criteria: BulkCriteria {
                    examination_from: Some(first_of_month(&ctx.today)),
                    examination_to: Some(ctx.today.clone()),
                    ..BulkCriteria::default()
                },
                listed: "elderly-70-74",
            },
        ),
        "QC-5.06" => criteria::criteria_bulk(
            ctx,
            &criteria::CriteriaCase {
                kind: BulkKind::MedicalAid,
                criteria: BulkCriteria {
                    month: Some(ctx.today.chars().take(6).collect()),
                    ..BulkCriteria::default()
                },
                listed: "medical-aid",
            },
        ),
        "QC-6.01" => webapi(ctx),
        "QC-7.01" => limit_consent(ctx, false),
        "QC-7.02" => limit_consent(ctx, true),
        "QC-7.03" => medinfo::only_with_consent(ctx, MedicalKind::Drug),
        "QC-7.04" => medinfo::only_with_consent(ctx, MedicalKind::Checkup),
        other => Err(HarnessError(format!("case {other} has no flow"))),
    }
}

/// `yyyyMM01` of a `yyyyMMdd` day.
fn first_of_month(day: &str) -> String {
    format!("{}01", day.chars().take(6).collect::<String>())
}

/// One check at reception as it went.
struct Checked {
    card: Card,
    request: Option<Observed>,
    recorded: Option<Recorded>,
}

/// Asks the SUT to check `person`'s card, checks the request it wrote, and asks what it
/// recorded.
fn check_card(
    ctx: &mut Ctx<'_>,
    patient: &str,
    person: &str,
    via: Via,
    limit_consent: bool,
) -> Result<Checked, HarnessError> {
    let card = ctx.card(person)?;
    let before = ctx.term.observed().len();
    ctx.call(Request::CheckInsuranceCard(CheckCard {
        patient: patient.into(),
        card: card.clone(),
        via,
        limit_consent,
    }))?;
    if via == Via::File {
        ctx.settle();
    }
    let new: Vec<Observed> = ctx.term.observed().into_iter().skip(before).collect();
    let request = if via == Via::File {
        check_new_requests(
            ctx,
            &new,
            MessageKind::SingleQualification,
            &card,
            Some(limit_consent),
        )
    } else {
        None
    };
    let recorded = report(ctx, patient)?;
    Ok(Checked {
        card,
        request,
        recorded,
    })
}

/// Checks the requests of one action: exactly one of `kind`, nothing else.
fn check_new_requests(
    ctx: &mut Ctx<'_>,
    new: &[Observed],
    kind: MessageKind,
    card: &Card,
    limit_consent: Option<bool>,
) -> Option<Observed> {
    let of_kind: Vec<&Observed> = new.iter().filter(|o| o.kind() == Some(kind)).collect();
    for o in new.iter().filter(|o| o.kind() != Some(kind)) {
        ctx.push([Check::fail(
            "FILE-NAME",
            format!(
                "{}: not a {}req_ request, which this action calls for",
                o.name,
                kind.prefix()
            ),
        )
        .with(format!("req/{}", o.name), "")]);
    }
    let Some(first) = of_kind.first() else {
        ctx.push([Check::fail(
            "FILE-NAME",
            format!("no {}req_ request appeared in req/", kind.prefix()),
        )]);
        return None;
    };
    let today = ctx.today.clone();
    let mic = ctx.cfg.medical_institution_code.clone();
    let exp = Expect {
        today: &today,
        medical_institution_code: &mic,
        cards: vec![card],
        limit_consent,
    };
    let checks = checks::request_checks(first, kind, &exp);
    ctx.push(checks);
    if of_kind.len() > 1 {
        ctx.push([Check::fail(
            "POLL-LIMITS",
            format!(
                "{} requests for one action: {}",
                of_kind.len(),
                of_kind
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )]);
    }
    Some((*first).clone())
}

fn report(ctx: &mut Ctx<'_>, patient: &str) -> Result<Option<Recorded>, HarnessError> {
    Ok(ctx
        .call(Request::Report(ReportQuery {
            patient: patient.into(),
        }))?
        .and_then(|r| r.recorded))
}

/// What the answer to `request` calls for.
fn expected_of(request: &Observed) -> Result<Expected, HarnessError> {
    let (name, bytes) = request
        .answer_file()
        .ok_or_else(|| HarnessError(format!("the terminal wrote no answer to {}", request.name)))?;
    Ok(if name.ends_with(".err") {
        Expected::from_err(&format!("res/{name}"), bytes)
    } else {
        Expected::from_result(&format!("res/{name}"), bytes)
    })
}

fn answer_excerpt(request: &Observed) -> (String, String) {
    match request.answer_file() {
        Some((name, bytes)) => {
            let text = text_of(bytes);
            let keep = [
                "SegmentOfResult",
                "ErrorCode",
                "ProcessingResultStatus",
                "ProcessingResultCode",
                "QualificationValidity",
                "InsurerNumber",
                "InsuredPartialContributionRatio",
                "ReferenceNumber",
            ];
            let mut parts = Vec::new();
            let body = text
                .find("</QualificationConfirmSearchInfo>")
                .map(|i| &text[i..])
                .unwrap_or(&text);
            for tag in keep {
                let source = if tag == "SegmentOfResult" || tag == "ErrorCode" {
                    text.as_str()
                } else {
                    body
                };
                if let Some(v) = element(source, tag) {
                    parts.push(format!("<{tag}>{v}</{tag}>"));
                }
            }
            if name.ends_with(".err") {
                parts.push(text.lines().next().unwrap_or("").to_owned());
            }
            (format!("res/{name}"), parts.join(""))
        }
        None => (String::new(), String::new()),
    }
}

/// Compares the SUT's record with the answer to `request`.
fn conclude(ctx: &mut Ctx<'_>, checked: &Checked) -> Result<Option<Expected>, HarnessError> {
    let Some(request) = &checked.request else {
        return Ok(None);
    };
    let want = expected_of(request)?;
    let (file, excerpt) = answer_excerpt(request);
    let check = expected::compare(
        checked.recorded.as_ref(),
        &want,
        Some(&checked.card.insurer_number),
    )
    .with(file, excerpt);
    ctx.push([check]);
    Ok(Some(want))
}

/// Whether the SUT did everything right so far: an unexpected answer of the terminal is then the
/// world's fault (a harness error), otherwise the SUT's doing (already a failed check).
fn keys_ok(ctx: &Ctx<'_>) -> bool {
    ctx.checks.iter().all(|c| c.ok)
}

fn single_valid(ctx: &mut Ctx<'_>, person: &str, names: bool) -> Flow {
    let checked = check_card(ctx, "P0001", person, Via::File, false)?;
    if let Some(want) = conclude(ctx, &checked)? {
        if want.outcome != Some(Outcome::Valid) && keys_ok(ctx) {
            return Err(HarnessError(format!(
                "{person} was expected valid on {}, the terminal said {:?}",
                ctx.today, want.outcome
            )));
        }
        correlate(ctx, &checked, &want);
        if names {
            let c = expected::compare_names(checked.recorded.as_ref(), &want);
            ctx.push([c]);
        }
    }
    Ok(())
}

/// RES-CORRELATE: the record is of this request's result (birth date and name of the result).
fn correlate(ctx: &mut Ctx<'_>, checked: &Checked, want: &Expected) {
    let (Some(rec), Some(r)) = (&checked.recorded, &want.result) else {
        return;
    };
    let mut problems = Vec::new();
    if rec.birthdate.as_deref() != r.birthdate.as_deref() {
        problems.push(format!(
            "recorded birth date {:?}, the result is for {:?}",
            rec.birthdate, r.birthdate
        ));
    }
    if rec.name.as_deref() != r.name.as_deref() {
        problems.push(format!(
            "recorded name {:?}, the result is for {:?}",
            rec.name, r.name
        ));
    }
    ctx.push([Check::from_problems(
        "RES-CORRELATE",
        problems,
        format!("the record is {}'s", want.source),
    )]);
}

/// A check whose answer must have validity `validity` (`-`: ProcessingResultStatus 2).
fn single_expecting(ctx: &mut Ctx<'_>, person: &str, validity: &str) -> Flow {
    let checked = check_card(ctx, "P0002", person, Via::File, false)?;
    if let Some(want) = conclude(ctx, &checked)? {
        let as_designed = if validity == "-" {
            want.outcome == Some(Outcome::Error) && want.segment.as_deref() == Some("1")
        } else {
            want.validity.as_deref() == Some(validity)
        };
        if !as_designed && keys_ok(ctx) {
            return Err(HarnessError(format!(
                "the world did not give {person} validity {validity} on {} (got {:?})",
                ctx.today, want.validity
            )));
        }
    }
    Ok(())
}

fn two_in_a_row(ctx: &mut Ctx<'_>) -> Flow {
    let first = check_card(ctx, "P0003", "valid-shaho-honnin", Via::File, false)?;
    let second = check_card(ctx, "P0004", "elderly-70-74", Via::File, false)?;
    for c in [&first, &second] {
        if let Some(want) = conclude(ctx, c)? {
            correlate(ctx, c, &want);
        }
    }
    let both: Vec<&Observed> = [&first.request, &second.request]
        .into_iter()
        .flatten()
        .collect();
    if let Some(c) = checks::distinct_identifiers(&both) {
        ctx.push([c]);
    }
    if let [a, b] = both.as_slice()
        && a.name == b.name
    {
        ctx.push([Check::fail(
            "FILE-NAME",
            format!("both requests are named {}", a.name),
        )]);
    }
    Ok(())
}

fn single_failing(ctx: &mut Ctx<'_>, behaviour: Behaviour) -> Flow {
    ctx.term.set_behaviour(behaviour)?;
    let checked = check_card(ctx, "P0005", "valid-shaho-honnin", Via::File, false)?;
    conclude(ctx, &checked)?;
    Ok(())
}

fn slow(ctx: &mut Ctx<'_>) -> Flow {
    ctx.term.set_behaviour(Behaviour::Slow(ctx.cfg.slow))?;
    let before = ctx.term.observed().len();
    let checked = check_card(ctx, "P0006", "valid-shaho-honnin", Via::File, false)?;
    let count = ctx
        .term
        .observed()
        .iter()
        .skip(before)
        .filter(|o| o.kind() == Some(MessageKind::SingleQualification))
        .count();
    let waited = checked
        .recorded
        .as_ref()
        .is_some_and(|r| r.outcome != Outcome::Error && r.outcome != Outcome::Pending);
    let mut problems = Vec::new();
    if count > 1 {
        problems.push(format!("asked {count} times instead of waiting"));
    }
    if !waited {
        problems.push(format!(
            "gave up before the answer came ({} ms late): recorded {:?}",
            ctx.cfg.slow.as_millis(),
            checked.recorded.as_ref().map(|r| r.outcome)
        ));
    }
    ctx.push([Check::from_problems(
        "POLL-WAIT",
        problems,
        format!("waited {} ms for the answer", ctx.cfg.slow.as_millis()),
    )]);
    if waited {
        conclude(ctx, &checked)?;
    }
    Ok(())
}

/// `read-face`; the results it took in.
fn read_face(ctx: &mut Ctx<'_>) -> Result<Option<Vec<Recorded>>, HarnessError> {
    Ok(ctx
        .call(Request::ReadFace)?
        .map(|r| r.received.unwrap_or_default()))
}

fn face_file(
    ctx: &mut Ctx<'_>,
    person: &str,
    consents: &[&str],
) -> Result<(String, Vec<u8>, Expected), HarnessError> {
    let (name, bytes) = ctx.term.card_check(person, consents)?;
    let want = Expected::from_result(&format!("face/{name}"), &bytes);
    if want.outcome != Some(Outcome::Valid) {
        return Err(HarnessError(format!(
            "the reader's face file for {person} is not a valid result"
        )));
    }
    Ok((name, bytes, want))
}

/// FACE-CONSUME and FACE-RECORD for one face file; the record taken in.
fn take_in_face(
    ctx: &mut Ctx<'_>,
    name: &str,
    want: &Expected,
) -> Result<Option<Recorded>, HarnessError> {
    let received = read_face(ctx)?;
    let still = crate::terminal::Terminal::list(&ctx.term.folders.face).contains(&name.to_owned());
    ctx.push([if still {
        Check::fail(
            "FACE-CONSUME",
            format!("face/{name} is still in face/ after the SUT read it"),
        )
    } else {
        Check::pass(
            "FACE-CONSUME",
            "removed or moved out of face/ after reading",
        )
    }
    .with(format!("face/{name}"), "")]);
    let Some(received) = received else {
        return Ok(None);
    };
    let record = match received.as_slice() {
        [one] => Some(one.clone()),
        [] => {
            ctx.push([Check::fail(
                "FACE-RECORD",
                format!("the SUT took in nothing from face/{name}"),
            )]);
            None
        }
        many => {
            ctx.push([Check::fail(
                "FACE-RECORD",
                format!("the SUT took in {} results from one face file", many.len()),
            )]);
            many.first().cloned()
        }
    };
    if let Some(r) = &record {
        let mut c = expected::compare(Some(r), want, None);
        c.rule = "FACE-RECORD".into();
        ctx.push([c.with(format!("face/{name}"), "")]);
    }
    Ok(record)
}

fn face_once(ctx: &mut Ctx<'_>) -> Flow {
    let (name, _, want) = face_file(ctx, "valid-kokuho", &[])?;
    take_in_face(ctx, &name, &want)?;
    if let Some(again) = read_face(ctx)? {
        ctx.push([if again.is_empty() {
            Check::pass("FACE-ONCE", "the second read took in nothing")
        } else {
            Check::fail(
                "FACE-ONCE",
                format!("the second read took in {} result(s) again", again.len()),
            )
        }]);
    }
    Ok(())
}

fn face_limit(ctx: &mut Ctx<'_>) -> Flow {
    let (name, _, want) = face_file(ctx, "limit-certificate", &["limit"])?;
    if want
        .result
        .as_ref()
        .and_then(|r| r.limit_application_certificate_related_info.as_ref())
        .is_none()
    {
        return Err(HarnessError(
            "the face file of limit-certificate with 限度額 consent carries no 限度額 information"
                .into(),
        ));
    }
    let record = take_in_face(ctx, &name, &want)?;
    let c = expected::compare_limit(record.as_ref(), &want).with(format!("face/{name}"), "");
    ctx.push([c]);
    Ok(())
}

fn limit_consent(ctx: &mut Ctx<'_>, consent: bool) -> Flow {
    let checked = check_card(ctx, "P0007", "limit-certificate", Via::File, consent)?;
    if let Some(want) = conclude(ctx, &checked)? {
        let carried = want
            .result
            .as_ref()
            .and_then(|r| r.limit_application_certificate_related_info.as_ref())
            .is_some();
        let flag_ok = keys_ok(ctx);
        if flag_ok && carried != consent {
            return Err(HarnessError(format!(
                "the terminal {} 限度額 information {} consent",
                if carried { "sent" } else { "did not send" },
                if consent { "with" } else { "without" }
            )));
        }
        let c = expected::compare_limit(checked.recorded.as_ref(), &want);
        ctx.push([c]);
    }
    Ok(())
}

fn register(
    ctx: &mut Ctx<'_>,
    patient: &str,
    person: &str,
    number: &str,
) -> Result<Option<Observed>, HarnessError> {
    let card = ctx.card(person)?;
    let before = ctx.term.observed().len();
    ctx.call(Request::RegisterReferenceNumber(RegisterReference {
        patient: patient.into(),
        card: card.clone(),
        reference_number: number.into(),
    }))?;
    ctx.settle();
    let new: Vec<Observed> = ctx.term.observed().into_iter().skip(before).collect();
    let request = check_new_requests(ctx, &new, MessageKind::ReferenceNumberSingle, &card, None);
    if let Some(r) = &request {
        let text = text_of(&r.bytes);
        let sent = elements(&text, "ReferenceNumber");
        let accepted = r
            .answer_file()
            .map(|(_, b)| element(&text_of(b), "ProcessingResultStatus").as_deref() == Some("1"))
            .unwrap_or(false);
        let mut problems = Vec::new();
        if sent.len() != 1 || sent[0] != number {
            problems.push(format!(
                "ReferenceNumber {sent:?}, the patient's number is {number:?}"
            ));
        }
        if !accepted {
            problems.push("the terminal did not accept the registration".into());
        }
        ctx.push([Check::from_problems(
            "IMM-REQUEST",
            problems,
            "ReferenceNumberRegistrationInfo with the number",
        )
        .with(
            format!("req/{}", r.name),
            format!(
                "<ReferenceNumber>{}</ReferenceNumber>",
                sent.first().cloned().unwrap_or_default()
            ),
        )]);
    }
    Ok(request)
}

fn reference_then_check(ctx: &mut Ctx<'_>) -> Flow {
    let number = "K000123";
    register(ctx, "P0008", "valid-shaho-honnin", number)?;
    let checked = check_card(ctx, "P0008", "valid-shaho-honnin", Via::File, false)?;
    if let Some(want) = conclude(ctx, &checked)? {
        let carried = want
            .result
            .as_ref()
            .and_then(|r| r.reference_number.clone());
        imm_result(ctx, carried, checked.recorded.as_ref(), &want.source);
    }
    Ok(())
}

fn imm_result(
    ctx: &mut Ctx<'_>,
    carried: Option<String>,
    recorded: Option<&Recorded>,
    source: &str,
) {
    let shown = recorded.and_then(|r| r.reference_number.clone());
    ctx.push([match (&carried, &shown) {
        (None, _) => Check::fail(
            "IMM-RESULT",
            format!("{source} carries no ReferenceNumber: the registration did not take"),
        ),
        (Some(c), Some(s)) if c == s => Check::pass("IMM-RESULT", format!("照会番号 {c} recorded")),
        (Some(c), s) => Check::fail(
            "IMM-RESULT",
            format!("{source} carries ReferenceNumber {c}, the SUT recorded {s:?}"),
        ),
    }
    .with(
        source,
        format!(
            "<ReferenceNumber>{}</ReferenceNumber>",
            carried.unwrap_or_default()
        ),
    )]);
}

fn reference_then_face(ctx: &mut Ctx<'_>) -> Flow {
    let number = "K000456";
    if register(ctx, "P0009", "valid-kokuho", number)?.is_none() {
        return Ok(());
    }
    let (name, _, want) = face_file(ctx, "valid-kokuho", &[])?;
    let record = take_in_face(ctx, &name, &want)?;
    let carried = want
        .result
        .as_ref()
        .and_then(|r| r.reference_number.clone());
    imm_result(ctx, carried, record.as_ref(), &format!("face/{name}"));
    Ok(())
}

fn bulk(ctx: &mut Ctx<'_>) -> Flow {
    let people = [
        ("P0101", "valid-shaho-honnin"),
        ("P0102", "valid-kokuho"),
        ("P0103", "lapsed-no-new"),
    ];
    let mut patients = Vec::new();
    for (patient, person) in people {
        patients.push(BulkPatient {
            patient: patient.into(),
            card: ctx.card(person)?,
        });
    }
    let before = ctx.term.observed().len();
    ctx.call(Request::RunBulk(RunBulk {
        kind: BulkKind::Qualification,
        patients: patients.clone(),
        criteria: None,
    }))?;
    // A SUT that keeps polling shows itself in the quiet time.
    ctx.term.settle(
        ctx.cfg.min_poll_interval * 3,
        ctx.cfg.min_poll_interval * 30,
    );
    let new: Vec<Observed> = ctx.term.observed().into_iter().skip(before).collect();
    let uploads: Vec<&Observed> = new
        .iter()
        .filter(|o| o.kind() == Some(MessageKind::BulkQualificationUpload))
        .collect();
    let downloads: Vec<&Observed> = new
        .iter()
        .filter(|o| o.kind() == Some(MessageKind::BulkQualificationDownload))
        .collect();
    let Some(upload) = uploads.first() else {
        ctx.push([Check::fail(
            "FILE-NAME",
            "no OQSmuquc01req_ upload appeared in req/",
        )]);
        return Ok(());
    };
    let today = ctx.today.clone();
    let mic = ctx.cfg.medical_institution_code.clone();
    let cards: Vec<&Card> = patients.iter().map(|p| &p.card).collect();
    let exp = Expect {
        today: &today,
        medical_institution_code: &mic,
        cards,
        limit_consent: None,
    };
    let mut checks = checks::request_checks(upload, MessageKind::BulkQualificationUpload, &exp);
    if uploads.len() > 1 {
        checks.push(Check::fail(
            "POLL-LIMITS",
            format!("{} uploads for one bulk check", uploads.len()),
        ));
    }
    // BULK-UNITS: one unit per patient, each with its own ArbitraryIdentifier.
    let text = text_of(&upload.bytes);
    let units = elements(&text, "QualificationConfirmSearchInfo");
    let ids: Vec<String> = units
        .iter()
        .filter_map(|u| element(u, "ArbitraryIdentifier"))
        .collect();
    let mut problems = Vec::new();
    if units.len() != patients.len() {
        problems.push(format!(
            "{} units for {} patients",
            units.len(),
            patients.len()
        ));
    }
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    if ids.len() != units.len() || distinct.len() != ids.len() {
        problems.push(format!(
            "ArbitraryIdentifier on {} of {} units, {} distinct",
            ids.len(),
            units.len(),
            distinct.len()
        ));
    }
    checks.push(
        Check::from_problems(
            "BULK-UNITS",
            problems,
            "one unit per patient, each identified",
        )
        .with(format!("req/{}", upload.name), ids.join(" ")),
    );
    ctx.push(checks);
    let reception = upload
        .answer_file()
        .and_then(|(_, b)| element(&text_of(b), "ReceptionNumber"));
    let Some(reception) = reception else {
        if keys_ok(ctx) {
            return Err(HarnessError("the terminal gave no ReceptionNumber".into()));
        }
        return Ok(());
    };
    let final_at = poll_checks(
        ctx,
        &downloads,
        &reception,
        MessageKind::BulkQualificationDownload,
    );
    // Each patient's record against the unit for their card.
    let Some(final_download) = final_at.map(|i| downloads[i]) else {
        return Ok(());
    };
    let (fname, fbytes) = final_download.answer_file().cloned().unwrap_or_default();
    let parsed =
        sim_messages::xml::read_document::<sim_messages::muquc::BulkDownloadResult>(&fbytes)
            .map_err(|e| HarnessError(format!("reading res/{fname}: {e}")))?
            .0;
    let units = parsed.body.map(|b| b.units).unwrap_or_default();
    for p in &patients {
        let recorded = report(ctx, &p.patient)?;
        let unit = units.iter().find(|u| {
            u.qualification_confirm_search_info
                .as_ref()
                .is_some_and(|s| checks::same_card(s, &p.card))
        });
        let Some(unit) = unit else {
            if keys_ok(ctx) {
                return Err(HarnessError(format!(
                    "res/{fname} has no unit for {}",
                    p.patient
                )));
            }
            continue;
        };
        let want = Expected::from_parts(
            &format!("res/{fname} (unit of {})", p.patient),
            "1",
            None,
            Some((
                unit.processing_result_status.as_str(),
                unit.processing_result_code.as_deref(),
                unit.qualification_validity.as_deref(),
                unit.results.clone(),
            )),
        );
        let mut c = expected::compare(recorded.as_ref(), &want, Some(&p.card.insurer_number));
        if c.ok {
            c.rule = "BULK-UNITS".into();
        }
        ctx.push([c]);
    }
    Ok(())
}

/// The checks on the downloads of one bulk job: their files, POLL-RETRY (asked again after
/// SegmentOfResult 2, for the job's ReceptionNumber) and POLL-LIMITS (paused, bounded, stopped at
/// the answer). The index of the final download, if one came.
fn poll_checks(
    ctx: &mut Ctx<'_>,
    downloads: &[&Observed],
    reception: &str,
    kind: MessageKind,
) -> Option<usize> {
    for d in downloads {
        let mut c = checks::file_checks(d, kind);
        c.retain(|c| !c.ok);
        ctx.push(c);
    }
    // POLL-RETRY and POLL-LIMITS.
    let segments: Vec<String> = downloads
        .iter()
        .map(|d| {
            d.answer_file()
                .and_then(|(_, b)| element(&text_of(b), "SegmentOfResult"))
                .unwrap_or_default()
        })
        .collect();
    let mut retry = Vec::new();
    for d in downloads {
        let sent = element(&text_of(&d.bytes), "ReceptionNumber");
        if sent.as_deref() != Some(reception) {
            retry.push(format!(
                "{} asks for {:?}, the job is {reception}",
                d.name, sent
            ));
        }
    }
    let final_at = segments.iter().position(|s| s == "1");
    if final_at.is_none() {
        retry.push(format!(
            "stopped after {} download(s), all answered SegmentOfResult {}",
            downloads.len(),
            segments.join(", ")
        ));
    }
    ctx.push([Check::from_problems(
        "POLL-RETRY",
        retry,
        format!(
            "asked again after SegmentOfResult 2 ({} downloads)",
            downloads.len()
        ),
    )
    .with(
        "req/",
        downloads
            .iter()
            .map(|d| d.name.clone())
            .collect::<Vec<_>>()
            .join(" "),
    )]);
    let mut limits = Vec::new();
    for pair in downloads.windows(2) {
        let gap = pair[1].at.saturating_duration_since(pair[0].at);
        if gap < ctx.cfg.min_poll_interval {
            limits.push(format!(
                "{} came {} ms after {} (at least {} ms)",
                pair[1].name,
                gap.as_millis(),
                pair[0].name,
                ctx.cfg.min_poll_interval.as_millis()
            ));
            break;
        }
    }
    if downloads.len() > ctx.cfg.max_polls as usize {
        limits.push(format!(
            "{} downloads, at most {}",
            downloads.len(),
            ctx.cfg.max_polls
        ));
    }
    if let Some(i) = final_at
        && downloads.len() > i + 1
    {
        limits.push(format!(
            "{} download(s) after the final answer",
            downloads.len() - i - 1
        ));
    }
    let timeline: Vec<String> = downloads
        .iter()
        .zip(&segments)
        .map(|(d, seg)| {
            format!(
                "{} +{} ms → SegmentOfResult {seg}",
                d.name,
                d.at.saturating_duration_since(downloads[0].at).as_millis()
            )
        })
        .collect();
    ctx.push([Check::from_problems(
        "POLL-LIMITS",
        limits,
        "paused between downloads and stopped at the answer",
    )
    .with("req/", timeline.join("; "))]);
    final_at
}

fn webapi(ctx: &mut Ctx<'_>) -> Flow {
    let checked = check_card(ctx, "P0010", "valid-shaho-honnin", Via::Webapi, false)?;
    let seen = ctx.term.http_seen();
    let files = ctx.term.observed();
    if !files.is_empty() {
        ctx.push([Check::fail(
            "WEBAPI-BODY",
            format!(
                "asked over the Web API, the SUT wrote {} file(s) into req/",
                files.len()
            ),
        )]);
    }
    let auth = seen
        .iter()
        .position(|h| h.path.ends_with("/ILI12020SV01/auth"));
    let search = seen
        .iter()
        .rposition(|h| h.path.ends_with("/ILI01030SV01/search"));
    let Some(search_at) = search else {
        ctx.push([Check::fail(
            "WEBAPI-BODY",
            "no search request reached the Web API",
        )]);
        return Ok(());
    };
    let s = &seen[search_at];
    let token = auth
        .filter(|&a| a < search_at)
        .and_then(|a| {
            serde_json::from_slice::<sim_messages::webapi::AuthResponse>(&seen[a].answer).ok()
        })
        .and_then(|r| r.result)
        .map(|t| t.id_token);
    let path = format!("POST {}", s.path);
    ctx.push([match (&token, &s.authorization) {
        (None, _) => Check::fail("WEBAPI-AUTH", "no login before the search"),
        (Some(t), Some(a)) if a == t => Check::pass("WEBAPI-AUTH", "logged in; idToken sent raw"),
        (Some(_), Some(a)) => Check::fail(
            "WEBAPI-AUTH",
            format!(
                "Authorization {:?} is not the idToken (raw, no Bearer)",
                a.chars().take(16).collect::<String>()
            ),
        ),
        (Some(_), None) => Check::fail("WEBAPI-AUTH", "the search has no Authorization header"),
    }
    .with(&path, format!("HTTP {}", s.status))]);
    let body_text = String::from_utf8_lossy(&s.body).into_owned();
    let numbers = checks::my_numbers(&body_text);
    ctx.push([if numbers.is_empty() {
        Check::pass("NO-MYNUMBER", "no 12-digit individual number")
    } else {
        Check::fail(
            "NO-MYNUMBER",
            format!(
                "{} 12-digit number(s) with a valid check digit",
                numbers.len()
            ),
        )
    }]);
    let request = match serde_json::from_slice::<sim_messages::webapi::SearchRequest>(&s.body) {
        Ok(r) => r,
        Err(e) => {
            ctx.push([Check::fail(
                "WEBAPI-BODY",
                format!("the body is not {{\"XmlMsg\": …}}: {e}"),
            )
            .with(&path, body_text.chars().take(200).collect::<String>())]);
            return Ok(());
        }
    };
    ctx.push([
        Check::pass("WEBAPI-BODY", "{\"XmlMsg\": …} with the request tree")
            .with(&path, body_text.chars().take(300).collect::<String>()),
    ]);
    // The same header and key checks as a file, on the tree the JSON carries.
    let xml = sim_messages::xml::write_document(
        &request.xml_msg,
        sim_messages::TextEncoding::Utf8,
        sim_messages::XmlStyle {
            indent: 0,
            crlf: false,
        },
    )
    .map_err(|e| HarnessError(e.to_string()))?;
    let as_file = Observed {
        name: "webapi-search".into(),
        bytes: xml,
        in_place: false,
        at: std::time::Instant::now(),
        answer: Vec::new(),
    };
    let today = ctx.today.clone();
    let mic = ctx.cfg.medical_institution_code.clone();
    let exp = Expect {
        today: &today,
        medical_institution_code: &mic,
        cards: vec![&checked.card],
        limit_consent: Some(false),
    };
    let mut checks = checks::header_checks(&as_file, &exp, true);
    checks.retain(|c| c.rule != "HDR-AFI");
    checks.extend(checks::key_checks(
        &as_file,
        &exp,
        "QualificationConfirmSearchInfo",
    ));
    for c in &mut checks {
        for e in &mut c.evidence {
            e.file = path.clone();
        }
    }
    ctx.push(checks);
    if s.status == 200 {
        let response: sim_messages::webapi::SearchResponse = serde_json::from_slice(&s.answer)
            .map_err(|e| HarnessError(format!("reading the Web API's own answer: {e}")))?;
        let body = response.xml_msg.body.as_ref();
        let want = Expected::from_parts(
            "the Web API answer",
            &response.xml_msg.header.segment_of_result,
            response.xml_msg.header.error_code.as_deref(),
            body.map(|b| {
                (
                    b.processing_result_status.as_str(),
                    b.processing_result_code.as_deref(),
                    b.qualification_validity.as_deref(),
                    b.result_list
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|i| i.result)
                        .collect(),
                )
            }),
        );
        let c = expected::compare(checked.recorded.as_ref(), &want, None);
        ctx.push([c]);
    }
    Ok(())
}
