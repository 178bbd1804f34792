//! 薬剤情報 / 特定健診情報 on the server side: the synthetic records of the population
//! ([`sim_fixtures::medical::SyntheticMedical`], derived on demand from the seed), the consent
//! records of the reader (SQLite `reader_consents`, with `…AvailableTime` from `[reader]
//! consent_window`), and the PDF renderer ([`pdf`], embedded IPAexGothic). The rules are the
//! engine's ([`sim_core::engine::medical`]); `Shared::stores` hands all of it to the engine.
//!
//! [`render_drug_pdf`] and [`render_checkup_pdf`] are the library entry points for other viewers
//! (e.g. the disaster-mode viewer): a report in, the PDF bytes out.

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
