//! What the engine remembers between requests, behind traits so that the engine stays sans-IO:
//! bulk jobs (受付番号 → the accepted upload) and 照会番号 registrations (facility × person →
//! number). The server implements them over SQLite; [`MemoryStores`] keeps them in memory for
//! tests and benchmarks, and [`NoStores`] has none (bulk and registration requests then fail with
//! [`StoreError::Unavailable`]).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{NaiveDate, NaiveDateTime};
use sim_messages::MessageKind;

use crate::medical::{
    Checkup, CheckupReport, ConsentGrant, ConsentRecords, DrugMonth, DrugReport, MedicalRecords,
    MedicalRenderer, YearMonth,
};
use crate::person::Person;

/// Why a store could not do what was asked. The request stays unanswered and is retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// This engine runs without the store (e.g. [`NoStores`]).
    #[error("no store for bulk jobs and 照会番号 is configured")]
    Unavailable,
    /// The storage failed.
    #[error("store failure: {0}")]
    Failed(String),
}

/// 照会番号 registrations, per 医療機関コード and person.
pub trait ReferenceNumbers: Send + Sync {
    /// The number `facility` registered for the person with id `person_id`, if any. A storage
    /// failure is reported by the implementation (logged) and reads as `None`.
    fn reference_number(&self, facility: &str, person_id: &str) -> Option<String>;
    /// Registers `number`, replacing an earlier registration by the same facility.
    fn register(&self, facility: &str, person_id: &str, number: &str) -> Result<(), StoreError>;
}

/// 診療区分 (OQSCD028) of a consent to information use outside the clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreatmentForm {
    /// 2 訪問診療等.
    HomeVisit,
    /// 3 オンライン診療等.
    Online,
}

impl TreatmentForm {
    /// The OQSCD028 code.
    pub fn code(self) -> &'static str {
        match self {
            TreatmentForm::HomeVisit => "2",
            TreatmentForm::Online => "3",
        }
    }

    /// From an OQSCD028 code (`2`, `3`) or a name (`home`, `online`).
    pub fn parse(s: &str) -> Option<TreatmentForm> {
        match s {
            "2" | "home" | "home-visit" => Some(TreatmentForm::HomeVisit),
            "3" | "online" => Some(TreatmentForm::Online),
            _ => None,
        }
    }
}

/// A patient's consent, given to one facility for 訪問診療等 or オンライン診療等, to let it see
/// their qualification (and medical information) — e.g. through the reader with that
/// MedicalTreatmentFlag, or by マイナ在宅受付Web.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatmentConsent {
    /// Whose (person id).
    pub person_id: String,
    /// The facility (医療機関コード).
    pub medical_institution_code: String,
    /// 訪問 or オンライン.
    pub form: TreatmentForm,
    /// When consent was given (simulator time).
    pub consented_at: NaiveDateTime,
    /// 診察日 it was given for, if known (オンライン診療等 by examination date).
    pub examination_date: Option<chrono::NaiveDate>,
}

/// Consents for 訪問診療等 and オンライン診療等, per facility.
pub trait TreatmentConsents: Send + Sync {
    /// Every consent given to `facility` for `form`, oldest first.
    fn treatment_consents(
        &self,
        facility: &str,
        form: TreatmentForm,
    ) -> Result<Vec<TreatmentConsent>, StoreError>;
}

/// A bulk upload to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob<'a> {
    /// The upload's message kind (`OQSmuquc01`, …).
    pub kind: MessageKind,
    /// 医療機関コード of the upload: only this facility may download it.
    pub medical_institution_code: &'a str,
    /// Name of the request file.
    pub request_name: &'a str,
    /// The request document, byte for byte (re-read when the result is built).
    pub request: &'a [u8],
    /// Number of persons.
    pub units: u32,
    /// Simulator time of acceptance.
    pub accepted_at: NaiveDateTime,
    /// Simulator time from which the result can be downloaded.
    pub ready_at: NaiveDateTime,
}

/// A stored bulk job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkJob {
    /// 受付番号: see [`reception_number`].
    pub reception_number: String,
    /// The upload's message kind.
    pub kind: MessageKind,
    /// 医療機関コード of the upload.
    pub medical_institution_code: String,
    /// The request document.
    pub request: Vec<u8>,
    /// Number of persons.
    pub units: u32,
    /// Simulator time of acceptance.
    pub accepted_at: NaiveDateTime,
    /// Simulator time from which the result can be downloaded.
    pub ready_at: NaiveDateTime,
}

/// Accepted bulk uploads.
pub trait BulkJobs: Send + Sync {
    /// Stores `job` durably and gives it a 受付番号 ([`reception_number`] of its acceptance time
    /// and a sequence). Idempotent: the same request name with the same bytes gives back the job
    /// stored the first time (a request answered just before a crash is answered again after the
    /// restart, with the same number).
    fn accept(&self, job: &NewJob<'_>) -> Result<BulkJob, StoreError>;
    /// The job with this 受付番号.
    fn job(&self, reception_number: &str) -> Result<Option<BulkJob>, StoreError>;
    /// Forgets the jobs whose result was ready before `ready_before`; how many.
    fn purge(&self, ready_before: NaiveDateTime) -> Result<u64, StoreError>;
}

/// 受付番号: `yyyyMMdd` of acceptance and a 12-digit sequence, 20 digits in all \[I\].
pub fn reception_number(accepted_at: NaiveDateTime, sequence: u64) -> String {
    format!(
        "{}{:012}",
        accepted_at.format("%Y%m%d"),
        sequence % 1_000_000_000_000
    )
}

/// The stores the engine uses for one request.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    /// 照会番号 registrations.
    pub references: &'a dyn ReferenceNumbers,
    /// Bulk jobs.
    pub jobs: &'a dyn BulkJobs,
    /// The consent answers given at the reader.
    pub consents: &'a dyn ConsentRecords,
    /// 薬剤情報 and 特定健診情報 of the persons.
    pub records: &'a dyn MedicalRecords,
    /// PDF rendering of the reports.
    pub renderer: &'a dyn MedicalRenderer,
    /// Consents for 訪問診療等 / オンライン診療等.
    pub treatments: &'a dyn TreatmentConsents,
}

impl std::fmt::Debug for Stores<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stores")
    }
}

impl Stores<'static> {
    /// No stores at all.
    pub fn none() -> Stores<'static> {
        Stores {
            references: &NoStores,
            jobs: &NoStores,
            consents: &NoStores,
            records: &NoStores,
            renderer: &NoStores,
            treatments: &NoStores,
        }
    }
}

/// No registrations, no jobs, no consent records, no medical records, no PDF.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStores;

impl ReferenceNumbers for NoStores {
    fn reference_number(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn register(&self, _: &str, _: &str, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable)
    }
}

impl TreatmentConsents for NoStores {
    fn treatment_consents(
        &self,
        _: &str,
        _: TreatmentForm,
    ) -> Result<Vec<TreatmentConsent>, StoreError> {
        Ok(Vec::new())
    }
}

impl BulkJobs for NoStores {
    fn accept(&self, _: &NewJob<'_>) -> Result<BulkJob, StoreError> {
        Err(StoreError::Unavailable)
    }
    fn job(&self, _: &str) -> Result<Option<BulkJob>, StoreError> {
        Err(StoreError::Unavailable)
    }
    fn purge(&self, _: NaiveDateTime) -> Result<u64, StoreError> {
        Ok(0)
    }
}

impl ConsentRecords for NoStores {
    fn latest_per_facility(&self, _: &str) -> Result<Vec<ConsentGrant>, StoreError> {
        Err(StoreError::Unavailable)
    }
}

impl MedicalRecords for NoStores {
    fn drug_history(&self, _: &Person, _: YearMonth, _: YearMonth) -> Vec<DrugMonth> {
        Vec::new()
    }
    fn checkups(&self, _: &Person, _: NaiveDate, _: NaiveDate) -> Vec<Checkup> {
        Vec::new()
    }
}

impl MedicalRenderer for NoStores {
    fn drug_pdf(&self, _: &DrugReport) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::Unavailable)
    }
    fn checkup_pdf(&self, _: &CheckupReport) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::Unavailable)
    }
}

/// The stores in memory (lost when dropped): for tests and benchmarks. It has consent records
/// ([`MemoryStores::grant`]) but no medical records and no PDF renderer.
#[derive(Debug, Default)]
pub struct MemoryStores {
    references: Mutex<HashMap<(String, String), String>>,
    jobs: Mutex<Vec<(String, BulkJob)>>,
    consents: Mutex<Vec<(String, ConsentGrant)>>,
    treatments: Mutex<Vec<TreatmentConsent>>,
    sequence: std::sync::atomic::AtomicU64,
}

impl MemoryStores {
    /// Borrows them as [`Stores`].
    pub fn stores(&self) -> Stores<'_> {
        Stores {
            references: self,
            jobs: self,
            consents: self,
            records: &NoStores,
            renderer: &NoStores,
            treatments: self,
        }
    }

    /// Records consent answers of `person_id`.
    pub fn grant(&self, person_id: &str, grant: ConsentGrant) {
        let mut c = self.consents.lock().unwrap_or_else(|e| e.into_inner());
        c.push((person_id.to_owned(), grant));
    }
}

impl ConsentRecords for MemoryStores {
    fn latest_per_facility(&self, person_id: &str) -> Result<Vec<ConsentGrant>, StoreError> {
        let c = self.consents.lock().unwrap_or_else(|e| e.into_inner());
        let mut latest: Vec<ConsentGrant> = Vec::new();
        for (_, g) in c.iter().filter(|(p, _)| p == person_id) {
            latest.retain(|l| l.medical_institution_code != g.medical_institution_code);
            latest.push(g.clone());
        }
        Ok(latest)
    }
}

impl MemoryStores {
    /// Records a consent.
    pub fn add_consent(&self, consent: TreatmentConsent) {
        self.treatments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(consent);
    }
}

impl TreatmentConsents for MemoryStores {
    fn treatment_consents(
        &self,
        facility: &str,
        form: TreatmentForm,
    ) -> Result<Vec<TreatmentConsent>, StoreError> {
        let all = self.treatments.lock().unwrap_or_else(|e| e.into_inner());
        Ok(all
            .iter()
            .filter(|c| c.medical_institution_code == facility && c.form == form)
            .cloned()
            .collect())
    }
}

impl ReferenceNumbers for MemoryStores {
    fn reference_number(&self, facility: &str, person_id: &str) -> Option<String> {
        let map = self.references.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(facility.to_owned(), person_id.to_owned()))
            .cloned()
    }
    fn register(&self, facility: &str, person_id: &str, number: &str) -> Result<(), StoreError> {
        let mut map = self.references.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(
            (facility.to_owned(), person_id.to_owned()),
            number.to_owned(),
        );
        Ok(())
    }
}

impl BulkJobs for MemoryStores {
    fn accept(&self, job: &NewJob<'_>) -> Result<BulkJob, StoreError> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, found)) = jobs
            .iter()
            .find(|(name, j)| name == job.request_name && j.request == job.request)
        {
            return Ok(found.clone());
        }
        let stored = BulkJob {
            reception_number: reception_number(
                job.accepted_at,
                self.sequence
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    + 1,
            ),
            kind: job.kind,
            medical_institution_code: job.medical_institution_code.to_owned(),
            request: job.request.to_vec(),
            units: job.units,
            accepted_at: job.accepted_at,
            ready_at: job.ready_at,
        };
        jobs.push((job.request_name.to_owned(), stored.clone()));
        Ok(stored)
    }
    fn job(&self, reception_number: &str) -> Result<Option<BulkJob>, StoreError> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        Ok(jobs
            .iter()
            .find(|(_, j)| j.reception_number == reception_number)
            .map(|(_, j)| j.clone()))
    }
    fn purge(&self, ready_before: NaiveDateTime) -> Result<u64, StoreError> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let before = jobs.len();
        jobs.retain(|(_, j)| j.ready_at >= ready_before);
        Ok((before - jobs.len()) as u64)
    }
}
