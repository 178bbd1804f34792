//! 薬剤情報 / 特定健診情報 on the server side: the synthetic records of the population
//! ([`sim_fixtures::medical::SyntheticMedical`], derived on demand from the seed), the consent
//! records of the reader (SQLite `reader_consents`, with `…AvailableTime` from `[reader]
//! consent_window`), and the PDF renderer ([`pdf`], embedded IPAexGothic). The rules are the
//! engine's ([`sim_core::engine::medical`]); `Shared::stores` hands all of it to the engine.
//!
//! [`render_drug_pdf`] and [`render_checkup_pdf`] are the library entry points for other viewers
//! (e.g. the disaster-mode viewer): a report in, the PDF bytes out; [`render_drug_html`] and
//! [`render_checkup_html`] give the same as an HTML fragment.

pub mod html;
pub mod pdf;

use sim_core::engine::StoreError;
use sim_core::medical::{CheckupReport, DrugReport, MedicalRenderer};

pub use pdf::PdfError;

/// The drug report as a PDF.
pub fn render_drug_pdf(report: &DrugReport) -> Result<Vec<u8>, PdfError> {
    pdf::drug_pdf(report)
}

/// The checkup report as a PDF.
pub fn render_checkup_pdf(report: &CheckupReport) -> Result<Vec<u8>, PdfError> {
    pdf::checkup_pdf(report)
}

/// The drug report as an HTML `<section>` (escaped, no scripts).
pub fn render_drug_html(report: &DrugReport) -> String {
    html::drug_html(report)
}

/// The checkup report as an HTML `<section>`.
pub fn render_checkup_html(report: &CheckupReport) -> String {
    html::checkup_html(report)
}

/// The patient header of `person_id` with the card valid on `now`'s date (else the latest).
fn patient_of(
    shared: &crate::shared::Shared,
    person_id: &str,
    now: chrono::NaiveDateTime,
) -> Option<sim_core::medical::Patient> {
    let pop = &shared.population;
    let index = pop.persons().iter().position(|p| p.id == person_id)?;
    let person = &pop.persons()[index];
    let card = person.card_on(now.date())?;
    let qualification = person
        .qualifications
        .iter()
        .position(|q| std::ptr::eq(q, card))?;
    Some(sim_core::engine::medical::patient(
        pop,
        sim_core::population::QualRef {
            person: u32::try_from(index).ok()?,
            qualification: u16::try_from(qualification).ok()?,
        },
    ))
}

/// The whole drug window of `person_id` as a report (no consent check: for viewers with their
/// own rules, such as disaster mode), or `None` for an unknown person.
pub fn drug_report(
    shared: &crate::shared::Shared,
    person_id: &str,
    medical_institution_code: &str,
    now: chrono::NaiveDateTime,
) -> Option<DrugReport> {
    use sim_core::medical::{MedicalRecords, YearMonth};
    let person = shared.population.person_by_id(person_id)?;
    let cfg = shared.engine.config().medical;
    let to = YearMonth::of(now.date());
    let from = to.plus(1 - cfg.drug_months.max(1) as i32);
    let mut months = shared.medical.drug_history(person, from, to);
    for m in &mut months {
        m.days.retain(|d| d.dispensed <= now.date());
    }
    months.retain(|m| !m.days.is_empty());
    Some(DrugReport {
        patient: patient_of(shared, person_id, now)?,
        medical_institution_code: medical_institution_code.to_owned(),
        arbitrary_file_identifier: None,
        from,
        to,
        with_diagnosis: false,
        made_at: now,
        months,
    })
}

/// The whole checkup window of `person_id` as a report (no consent check), or `None`.
pub fn checkup_report(
    shared: &crate::shared::Shared,
    person_id: &str,
    medical_institution_code: &str,
    now: chrono::NaiveDateTime,
) -> Option<CheckupReport> {
    use sim_core::medical::MedicalRecords;
    let person = shared.population.person_by_id(person_id)?;
    let cfg = shared.engine.config().medical;
    let to = now.date();
    let from = to
        .checked_sub_months(chrono::Months::new(12 * cfg.checkup_years))
        .and_then(|d| d.succ_opt())?;
    Some(CheckupReport {
        patient: patient_of(shared, person_id, now)?,
        medical_institution_code: medical_institution_code.to_owned(),
        arbitrary_file_identifier: None,
        from,
        to,
        made_at: now,
        checkups: shared.medical.checkups(person, from, to),
    })
}

/// The PDF renderer the engine uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct PdfRenderer;

impl MedicalRenderer for PdfRenderer {
    fn drug_pdf(&self, report: &DrugReport) -> Result<Vec<u8>, StoreError> {
        render_drug_pdf(report).map_err(|e| StoreError::Failed(e.to_string()))
    }

    fn checkup_pdf(&self, report: &CheckupReport) -> Result<Vec<u8>, StoreError> {
        render_checkup_pdf(report).map_err(|e| StoreError::Failed(e.to_string()))
    }
}

/// The `YZKsiquc01req_` / `TKKsiquc01req_` document of a scenario's `drop … info:` step, with the
/// card keys of the named person (or probe) on `date`, as OQSDrug writes it.
pub fn scenario_request(
    d: &sim_scenario::DropRequest,
    info: &sim_scenario::MedicalInfoDrop,
    named: &sim_fixtures::NamedFixtures,
    date: chrono::NaiveDate,
    default_facility: &str,
) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    use sim_messages::medreq::{
        MedicalInfoRequest, MedicalInfoRequestBody, MedicalInfoRequestHeader,
    };
    let sim_scenario::Target::Person(id) = &d.target else {
        anyhow::bail!("a medical-information request needs a person");
    };
    let (insurer, symbol, number, branch) =
        if let Some(p) = named.persons.iter().find(|p| &p.id == id) {
            let q = p
                .card_on(date)
                .with_context(|| format!("{id} has no qualification"))?;
            (
                q.insurer.as_str().to_owned(),
                q.card.symbol.clone(),
                q.card.number.clone(),
                Some(q.card.branch.clone()),
            )
        } else {
            let p = named
                .probes
                .iter()
                .find(|p| &p.id == id)
                .with_context(|| format!("no person or probe {id}"))?;
            (
                p.insurer.clone(),
                p.symbol.clone(),
                p.number.clone(),
                p.branch.clone(),
            )
        };
    let month = date.format("%Y%m").to_string();
    let start = date
        .checked_sub_months(chrono::Months::new(6))
        .unwrap_or(date)
        .format("%Y%m")
        .to_string();
    let drug = info.kind == sim_scenario::InfoKind::Drug;
    let request = MedicalInfoRequest {
        header: MedicalInfoRequestHeader {
            medical_institution_code: Some(
                info.facility
                    .clone()
                    .unwrap_or_else(|| default_facility.to_owned()),
            ),
            insurer_number: Some(insurer),
            insurance_card_symbol: symbol,
            insured_person_identification_number: Some(number),
            branch_number: branch,
            arbitrary_file_identifier: Some(format!("scenario_{id}")),
        },
        body: MedicalInfoRequestBody {
            // OQSDrug's default: the last 6 months (drugs only).
            start_date: drug.then_some(start),
            end_date: drug.then_some(month),
            file_category: Some(info.file_category.clone()),
            pr_di_inf_classification: Some("1".to_owned()),
            medical_treatment_flag: Some("1".to_owned()),
        },
    };
    let encoding = match d.encoding {
        sim_scenario::Encoding::Utf8 => sim_messages::TextEncoding::Utf8,
        sim_scenario::Encoding::ShiftJis => sim_messages::TextEncoding::ShiftJis,
    };
    sim_messages::xml::write_document(
        &request,
        encoding,
        sim_messages::XmlStyle {
            indent: 2,
            crlf: d.crlf,
        },
    )
    .context("writing the request XML")
}
