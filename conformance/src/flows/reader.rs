//! QC-4.03 … QC-4.05: what reaches the SUT from card checks at the face-auth reader that do not
//! simply succeed. Only what the interface defines: a result with every consent refused is an
//! ordinary face file with the flags 0 (§1.5, §2.2); a failed check (PIN or face lock, mismatch,
//! 初回登録 declined) writes nothing — the reader's messages never reach the clinic system as
//! files (§4) — so the SUT takes in nothing and reception checks the insurance card instead.

use sim_server::reader::Mode;

use super::{Flow, check_card, conclude, read_face, take_in_face};
use crate::checks::Check;
use crate::expected::{self, Expected};
use crate::proto::{Outcome, Via};
use crate::runner::{Ctx, HarnessError};
use crate::terminal::{ReaderOutcome, ReaderStep};

/// The reader steps of one patient; the face file it wrote (an error if it wrote one against the
/// world's design, or none when one was due).
fn at_reader(
    ctx: &Ctx<'_>,
    person: &str,
    steps: &[ReaderStep],
    want_file: bool,
) -> Result<ReaderOutcome, HarnessError> {
    let (face, message) = ctx.term.reader_steps(person, steps)?;
    match (&face, want_file) {
        (Some((name, _)), false) => Err(HarnessError(format!(
            "the reader wrote face/{name} for a check meant to fail ({person})"
        ))),
        (None, true) => Err(HarnessError(format!(
            "the reader wrote no face file for {person} ({})",
            message.clone().unwrap_or_default()
        ))),
        _ => Ok((face, message)),
    }
}

/// READER-NOFILE: after a failed reader check, `read-face` takes in nothing.
fn nothing_taken_in(ctx: &mut Ctx<'_>, what: &str, message: Option<String>) -> Flow {
    let received = read_face(ctx)?;
    let code = message.unwrap_or_else(|| "-".into());
    if let Some(received) = received {
        ctx.push([if received.is_empty() {
            Check::pass(
                "READER-NOFILE",
                format!("{what} ({code}): nothing taken in"),
            )
        } else {
            Check::fail(
                "READER-NOFILE",
                format!(
                    "{what} ({code}) wrote nothing, yet the SUT took in {} result(s)",
                    received.len()
                ),
            )
        }
        .with("face/", format!("reader message {code}, no file"))]);
    }
    Ok(())
}

fn steps_face(consents: &[&str]) -> Vec<ReaderStep> {
    vec![
        ReaderStep::Mode(Mode::Face),
        ReaderStep::Face(true),
        ReaderStep::Consent(consents.iter().map(|s| (*s).to_owned()).collect()),
    ]
}

/// QC-4.03: every consent refused: an ordinary face file with the flags 0; the SUT records the
/// qualification and shows no 限度額 information.
pub(super) fn all_refused(ctx: &mut Ctx<'_>) -> Flow {
    let (face, _) = at_reader(ctx, "limit-certificate", &steps_face(&[]), true)?;
    let Some((name, bytes)) = face else {
        return Ok(());
    };
    let want = Expected::from_result(&format!("face/{name}"), &bytes);
    if want.outcome != Some(Outcome::Valid) {
        return Err(HarnessError(format!("face/{name} is not a valid result")));
    }
    let record = take_in_face(ctx, &name, &want)?;
    if record.is_some() {
        let c = expected::compare_limit(record.as_ref(), &want).with(format!("face/{name}"), "");
        ctx.push([c]);
    }
    Ok(())
}

/// QC-4.04: an unregistered card: 初回登録 declined writes nothing; accepted, the check goes on to
/// an ordinary face file.
pub(super) fn first_registration(ctx: &mut Ctx<'_>) -> Flow {
    let person = "unregistered-card";
    let declined = [
        ReaderStep::Mode(Mode::Face),
        ReaderStep::Face(true),
        ReaderStep::Register(false),
    ];
    let (_, message) = at_reader(ctx, person, &declined, false)?;
    nothing_taken_in(ctx, "初回登録 declined", message)?;
    let accepted = [
        ReaderStep::Mode(Mode::Face),
        ReaderStep::Face(true),
        ReaderStep::Register(true),
        ReaderStep::Consent(Vec::new()),
    ];
    let (face, _) = at_reader(ctx, person, &accepted, true)?;
    let Some((name, bytes)) = face else {
        return Ok(());
    };
    let want = Expected::from_result(&format!("face/{name}"), &bytes);
    take_in_face(ctx, &name, &want)?;
    Ok(())
}

/// QC-4.05: the PIN locked, then the face path locked: nothing in face/, nothing taken in; the
/// patient then shows the insurance card, which is checked as usual.
pub(super) fn locked_then_card(ctx: &mut Ctx<'_>) -> Flow {
    let person = "valid-shaho-honnin";
    let mut pin = vec![ReaderStep::Mode(Mode::Pin)];
    pin.extend((0..3).map(|_| ReaderStep::Pin("0000".into())));
    let (_, message) = at_reader(ctx, person, &pin, false)?;
    nothing_taken_in(ctx, "PIN locked", message)?;
    let mut face = vec![ReaderStep::Mode(Mode::Face)];
    face.extend((0..10).map(|_| ReaderStep::Face(false)));
    let (_, message) = at_reader(ctx, person, &face, false)?;
    nothing_taken_in(ctx, "face mismatch until locked", message)?;
    let checked = check_card(ctx, "P0013", person, Via::File, false)?;
    conclude(ctx, &checked)?;
    Ok(())
}
