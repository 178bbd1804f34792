//! What must outlive the process for the bulk functions: accepted bulk jobs (`bulk_jobs`) and
//! 照会番号 registrations (`reference_numbers`), in `<state>/state.sqlite3` (own connection, WAL).
//! It implements the engine's [`BulkJobs`] and [`ReferenceNumbers`] traits, and
//! [`TreatmentConsents`]: the consents given to a facility for 訪問診療等 / オンライン診療等
//! (`treatment_consents`: recorded by the face-auth reader with that 診療区分, through
//! `POST /admin/consents`, or seeded from the named fixtures), which `OQSmuhvq` / `OQSmuonq`
//! select from. Jobs older than the retention are purged when a new one is accepted.
//!
//! A job is committed before its `01res` is written, so an upload that got a 受付番号 can always
//! be downloaded, even after a crash or a restart. The stored row keeps the upload document byte
//! for byte; the result is built from it when it is downloaded. Uploading the same file again
//! (same name, same bytes, e.g. after a crash between the commit and the removal from `req/`)
//! gives back the same job.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, params};
use sim_core::engine::stores::{BulkJob, NewJob, reception_number};
use sim_core::engine::{
    BulkJobs, ReferenceNumbers, StoreError, Stores, TreatmentConsent, TreatmentConsents,
    TreatmentForm,
};
use sim_messages::MessageKind;

use crate::shared::sha256_hex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bulk_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reception_number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    medical_institution_code TEXT NOT NULL,
    request_name TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    request BLOB NOT NULL,
    units INTEGER NOT NULL,
    accepted_at TEXT NOT NULL,
    ready_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bulk_jobs_request ON bulk_jobs (request_name, request_sha256);
CREATE INDEX IF NOT EXISTS bulk_jobs_ready ON bulk_jobs (ready_at);
CREATE TABLE IF NOT EXISTS treatment_consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id TEXT NOT NULL,
    medical_institution_code TEXT NOT NULL,
    treatment TEXT NOT NULL,
    consented_at TEXT NOT NULL,
    examination_date TEXT,
    UNIQUE (person_id, medical_institution_code, treatment, consented_at)
);
CREATE INDEX IF NOT EXISTS treatment_consents_facility
    ON treatment_consents (medical_institution_code, treatment);
CREATE TABLE IF NOT EXISTS reference_numbers (
    medical_institution_code TEXT NOT NULL,
    person_id TEXT NOT NULL,
    reference_number TEXT NOT NULL,
    PRIMARY KEY (medical_institution_code, person_id)
);
";

const TIME: &str = "%Y-%m-%dT%H:%M:%S%.3f";

/// The SQLite store of bulk jobs and 照会番号. Registrations are also kept in memory (loaded at
/// start, written through), because every single-check result looks one up.
#[derive(Debug)]
pub struct JobStore {
    conn: Mutex<Connection>,
    references: RwLock<HashMap<(String, String), String>>,
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Failed(e.to_string())
}

impl JobStore {
    /// Opens (creating if needed) the tables in the database at `path`.
    pub fn open(path: &Path) -> Result<JobStore, rusqlite::Error> {
        let conn = crate::state_db::open(path, crate::state_db::Durability::Full)?;
        conn.execute_batch(SCHEMA)?;
        let mut references = HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT medical_institution_code, person_id, reference_number FROM reference_numbers",
            )?;
            let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
            for row in rows {
                let (key, number) = row?;
                references.insert(key, number);
            }
        }
        Ok(JobStore {
            conn: Mutex::new(conn),
            references: RwLock::new(references),
        })
    }

    /// Both traits, for the engine.
    pub fn stores(&self) -> Stores<'_> {
        Stores {
            references: self,
            jobs: self,
            consents: self,
            ..Stores::none()
        }
    }

    /// Records a consent for 訪問診療等 / オンライン診療等 (the same consent twice is kept once).
    pub fn record_consent(&self, c: &TreatmentConsent) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO treatment_consents (person_id, medical_institution_code, \
                 treatment, consented_at, examination_date) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    c.person_id,
                    c.medical_institution_code,
                    c.form.code(),
                    c.consented_at.format(TIME).to_string(),
                    c.examination_date.map(|d| d.format("%Y-%m-%d").to_string()),
                ],
            )
            .map(|_| ())
            .map_err(failed)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of stored jobs (for the admin API and tests).
    pub fn job_count(&self) -> Result<u64, StoreError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM bulk_jobs", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(failed)
    }
}

fn row_to_job(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<BulkJob>> {
    let kind: String = row.get(1)?;
    let accepted: String = row.get(5)?;
    let ready: String = row.get(6)?;
    let parse = |t: &str| NaiveDateTime::parse_from_str(t, TIME).ok();
    let (Some(kind), Some(accepted_at), Some(ready_at)) = (
        MessageKind::from_prefix(&kind),
        parse(&accepted),
        parse(&ready),
    ) else {
        return Ok(None);
    };
    Ok(Some(BulkJob {
        reception_number: row.get(0)?,
        kind,
        medical_institution_code: row.get(2)?,
        request: row.get(3)?,
        units: u32::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
        accepted_at,
        ready_at,
    }))
}

const SELECT: &str = "SELECT reception_number, kind, medical_institution_code, request, units, \
                      accepted_at, ready_at FROM bulk_jobs";

impl BulkJobs for JobStore {
    fn accept(&self, job: &NewJob<'_>) -> Result<BulkJob, StoreError> {
        let sha = sha256_hex(job.request);
        let mut conn = self.conn();
        // IMMEDIATE: this transaction reads, then writes; a deferred one fails at once with
        // "database is locked" (no busy wait) when the journal's writer committed in between.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(failed)?;
        let existing = tx
            .query_row(
                &format!("{SELECT} WHERE request_name = ?1 AND request_sha256 = ?2"),
                params![job.request_name, sha],
                row_to_job,
            )
            .optional()
            .map_err(failed)?
            .flatten();
        if let Some(found) = existing {
            tracing::info!(reception = %found.reception_number, file = %job.request_name, "bulk upload seen before; same job");
            return Ok(found);
        }
        let next: i64 = tx
            // Never reuse a number, even of a purged job: sqlite_sequence keeps the highest id.
            .query_row(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'bulk_jobs'), 0), \
                 COALESCE((SELECT MAX(id) FROM bulk_jobs), 0)) + 1",
                [],
                |r| r.get(0),
            )
            .map_err(failed)?;
        let number = reception_number(job.accepted_at, next.max(1) as u64);
        tx.execute(
            "INSERT INTO bulk_jobs (id, reception_number, kind, medical_institution_code, \
             request_name, request_sha256, request, units, accepted_at, ready_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                next,
                number,
                job.kind.prefix(),
                job.medical_institution_code,
                job.request_name,
                sha,
                job.request,
                i64::from(job.units),
                job.accepted_at.format(TIME).to_string(),
                job.ready_at.format(TIME).to_string(),
            ],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(BulkJob {
            reception_number: number,
            kind: job.kind,
            medical_institution_code: job.medical_institution_code.to_owned(),
            request: job.request.to_vec(),
            units: job.units,
            accepted_at: job.accepted_at,
            ready_at: job.ready_at,
        })
    }

    fn purge(&self, ready_before: NaiveDateTime) -> Result<u64, StoreError> {
        self.conn()
            .execute(
                "DELETE FROM bulk_jobs WHERE ready_at < ?1",
                params![ready_before.format(TIME).to_string()],
            )
            .map(|n| n as u64)
            .map_err(failed)
    }

    fn job(&self, reception_number: &str) -> Result<Option<BulkJob>, StoreError> {
        self.conn()
            .query_row(
                &format!("{SELECT} WHERE reception_number = ?1"),
                params![reception_number],
                row_to_job,
            )
            .optional()
            .map(Option::flatten)
            .map_err(failed)
    }
}

impl TreatmentConsents for JobStore {
    fn treatment_consents(
        &self,
        facility: &str,
        form: TreatmentForm,
    ) -> Result<Vec<TreatmentConsent>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT person_id, consented_at, examination_date FROM treatment_consents \
                 WHERE medical_institution_code = ?1 AND treatment = ?2 ORDER BY consented_at, id",
            )
            .map_err(failed)?;
        let rows = stmt
            .query_map(params![facility, form.code()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(failed)?;
        let mut out = Vec::new();
        for row in rows {
            let (person_id, at, exam) = row.map_err(failed)?;
            let Ok(consented_at) = NaiveDateTime::parse_from_str(&at, TIME) else {
                continue;
            };
            out.push(TreatmentConsent {
                person_id,
                medical_institution_code: facility.to_owned(),
                form,
                consented_at,
                examination_date: exam
                    .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            });
        }
        Ok(out)
    }
}

impl ReferenceNumbers for JobStore {
    fn reference_number(&self, facility: &str, person_id: &str) -> Option<String> {
        let map = self.references.read().unwrap_or_else(|e| e.into_inner());
        if map.is_empty() {
            return None;
        }
        map.get(&(facility.to_owned(), person_id.to_owned()))
            .cloned()
    }

    fn register(&self, facility: &str, person_id: &str, number: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO reference_numbers (medical_institution_code, person_id, reference_number) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (medical_institution_code, person_id) \
                 DO UPDATE SET reference_number = excluded.reference_number",
                params![facility, person_id, number],
            )
            .map_err(failed)?;
        self.references
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (facility.to_owned(), person_id.to_owned()),
                number.to_owned(),
            );
        Ok(())
    }
}
