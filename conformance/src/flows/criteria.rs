//! QC-5.04 … QC-5.06: the bulk checks that select persons by criteria (oqs-interface.md §2.4):
//! 訪問診療等 (`OQSmuhvq`, by consent date), オンライン診療等 (`OQSmuonq`, by examination date) and
//! 医療扶助 (`OQSmutic`, by treatment month). The SUT uploads the criteria, polls the job like the
//! qualification bulk check, and lists every unit of the answer; the harness compares each unit
//! listed with the unit of the answer for that person (by birth date and name), and the count.

use sim_messages::MessageKind;

use super::{Flow, keys_ok, poll_checks};
use crate::checks::{self, Check, Expect, element, text_of};
use crate::expected::{self, Expected};
use crate::proto::{BulkCriteria, BulkKind, Recorded, Request, RunBulk};
use crate::runner::{Ctx, HarnessError};
use crate::terminal::Observed;

/// One criteria case: what is asked, and who the world's answer must list.
pub(super) struct CriteriaCase {
    /// The bulk check.
    pub kind: BulkKind,
    /// The selection.
    pub criteria: BulkCriteria,
    /// A fixture person the answer lists (the world's design; a harness error otherwise).
    pub listed: &'static str,
}

fn kinds(kind: BulkKind) -> (MessageKind, MessageKind, Option<&'static str>) {
    match kind {
        BulkKind::Home => (
            MessageKind::HomeVisitUpload,
            MessageKind::HomeVisitDownload,
            Some("2"),
        ),
        BulkKind::Online => (
            MessageKind::OnlineUpload,
            MessageKind::OnlineDownload,
            Some("3"),
        ),
        BulkKind::MedicalAid => (
            MessageKind::MedicalAidUpload,
            MessageKind::MedicalAidDownload,
            None,
        ),
        BulkKind::Qualification => (
            MessageKind::BulkQualificationUpload,
            MessageKind::BulkQualificationDownload,
            None,
        ),
    }
}

/// BULK-CRITERIA: the upload carries the criteria asked for, under the names of §2.4.
fn criteria_check(upload: &Observed, case: &CriteriaCase) -> Check {
    let text = text_of(&upload.bytes);
    let info = element(&text, "QualificationConfirmSearchInfo").unwrap_or_default();
    let (_, _, flag) = kinds(case.kind);
    let c = &case.criteria;
    let wanted: Vec<(&str, Option<&str>)> = vec![
        ("ConsentDateFrom", c.consent_from.as_deref()),
        ("ConsentDateTo", c.consent_to.as_deref()),
        ("ExaminationDateFrom", c.examination_from.as_deref()),
        ("ExaminationDateTo", c.examination_to.as_deref()),
        ("MedicalTreatmentMonth", c.month.as_deref()),
        ("MedicalTreatmentFlag", flag),
    ];
    let mut problems = Vec::new();
    for (tag, want) in wanted {
        let got = element(&info, tag);
        if let Some(w) = want
            && got.as_deref().map(str::trim) != Some(w)
        {
            problems.push(format!("{tag} {got:?}, asked for {w}"));
        }
    }
    Check::from_problems("BULK-CRITERIA", problems, "the criteria asked for").with(
        format!("req/{}", upload.name),
        info.split_whitespace().collect::<String>(),
    )
}

/// Runs one criteria case.
pub(super) fn criteria_bulk(ctx: &mut Ctx<'_>, case: &CriteriaCase) -> Flow {
    let (upload_kind, download_kind, _) = kinds(case.kind);
    let before = ctx.term.observed().len();
    let reply = ctx.call(Request::RunBulk(RunBulk {
        kind: case.kind,
        patients: Vec::new(),
        criteria: Some(case.criteria.clone()),
    }))?;
    ctx.term.settle(
        ctx.cfg.min_poll_interval * 3,
        ctx.cfg.min_poll_interval * 30,
    );
    let new: Vec<Observed> = ctx.term.observed().into_iter().skip(before).collect();
    let of =
        |k: MessageKind| -> Vec<&Observed> { new.iter().filter(|o| o.kind() == Some(k)).collect() };
    let uploads = of(upload_kind);
    let downloads = of(download_kind);
    for o in new
        .iter()
        .filter(|o| o.kind() != Some(upload_kind) && o.kind() != Some(download_kind))
    {
        ctx.push([Check::fail(
            "FILE-NAME",
            format!(
                "{}: this bulk check calls for {}req_ and {}req_",
                o.name,
                upload_kind.prefix(),
                download_kind.prefix()
            ),
        )]);
    }
    let Some(upload) = uploads.first() else {
        ctx.push([Check::fail(
            "FILE-NAME",
            format!("no {}req_ upload appeared in req/", upload_kind.prefix()),
        )]);
        return Ok(());
    };
    let today = ctx.today.clone();
    let mic = ctx.cfg.medical_institution_code.clone();
    let exp = Expect {
        today: &today,
        medical_institution_code: &mic,
        cards: Vec::new(),
        limit_consent: None,
    };
    let mut c = checks::request_checks(upload, upload_kind, &exp);
    c.push(criteria_check(upload, case));
    if uploads.len() > 1 {
        c.push(Check::fail(
            "POLL-LIMITS",
            format!("{} uploads for one bulk check", uploads.len()),
        ));
    }
    ctx.push(c);
    let Some(reception) = upload
        .answer_file()
        .and_then(|(_, b)| element(&text_of(b), "ReceptionNumber"))
    else {
        if keys_ok(ctx) {
            return Err(HarnessError(format!(
                "the terminal gave no ReceptionNumber for {}",
                upload.name
            )));
        }
        return Ok(());
    };
    let Some(final_at) = poll_checks(ctx, &downloads, &reception, download_kind) else {
        return Ok(());
    };
    let (fname, fbytes) = downloads[final_at]
        .answer_file()
        .cloned()
        .unwrap_or_default();
    let parsed =
        sim_messages::xml::read_document::<sim_messages::muquc::BulkDownloadResult>(&fbytes)
            .map_err(|e| HarnessError(format!("reading res/{fname}: {e}")))?
            .0;
    let units = parsed.body.map(|b| b.units).unwrap_or_default();
    let listed = ctx.card(case.listed)?;
    let birth_of = |u: &sim_messages::muquc::BulkConfirmUnit| {
        u.results.first().and_then(|r| r.birthdate.clone())
    };
    if !units
        .iter()
        .any(|u| birth_of(u).as_deref() == Some(listed.birthdate.as_str()))
        && keys_ok(ctx)
    {
        return Err(HarnessError(format!(
            "res/{fname} does not list {} ({} units)",
            case.listed,
            units.len()
        )));
    }
    let Some(received) = reply.and_then(|r| r.received) else {
        ctx.push([Check::fail(
            "BULK-UNITS",
            "the run-bulk reply lists no units (received)",
        )]);
        return Ok(());
    };
    let mut problems = Vec::new();
    if received.len() != units.len() {
        problems.push(format!(
            "lists {} patient(s), res/{fname} has {} unit(s)",
            received.len(),
            units.len()
        ));
    }
    let mut checks_out = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let first = u.results.first();
        let who = first.and_then(|r| r.name.clone()).unwrap_or_default();
        let rec: Option<&Recorded> = received.iter().find(|r| {
            r.birthdate == first.and_then(|f| f.birthdate.clone())
                && r.name == first.and_then(|f| f.name.clone())
        });
        let want = Expected::from_parts(
            &format!("res/{fname} (unit {} {who})", i + 1),
            "1",
            None,
            Some((
                u.processing_result_status.as_str(),
                u.processing_result_code.as_deref(),
                u.qualification_validity.as_deref(),
                u.results.clone(),
            )),
        );
        let mut c = expected::compare(rec, &want, None);
        if let (Some(rec), Some(r)) = (rec, first) {
            let mut extra = Vec::new();
            if rec.card_classification.as_deref() != r.insured_card_classification.as_deref() {
                extra.push(format!(
                    "保険者証区分 {:?}, the unit says {:?}",
                    rec.card_classification, r.insured_card_classification
                ));
            }
            let tickets = r
                .public_expense_result_list
                .as_ref()
                .map(|l| l.tickets.len() as u32);
            if tickets.is_some() && rec.medical_tickets != tickets {
                extra.push(format!(
                    "shows {:?} 医療券・調剤券, the unit carries {tickets:?}",
                    rec.medical_tickets
                ));
            }
            if !extra.is_empty() {
                c = Check::fail(
                    "BULK-UNITS",
                    format!("{}: {}", want.source, extra.join("; ")),
                );
            }
        }
        if c.ok {
            c.rule = "BULK-UNITS".into();
        }
        checks_out.push(c.with(
            format!("res/{fname}"),
            format!(
                "<QualificationValidity>{}</QualificationValidity><Birthdate>{}</Birthdate>",
                u.qualification_validity.clone().unwrap_or_default(),
                first.and_then(|f| f.birthdate.clone()).unwrap_or_default()
            ),
        ));
    }
    ctx.push([Check::from_problems(
        "BULK-UNITS",
        problems,
        format!("{} unit(s) listed, as in res/{fname}", units.len()),
    )]);
    ctx.push(checks_out);
    Ok(())
}
