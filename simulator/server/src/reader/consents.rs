//! The patients' consent answers at the reader, kept in SQLite (`reader_consents` in the state
//! database); the 薬剤・特定健診 requests and 限度額 in qualification results read them. One row per finished card
//! check; its row id numbers the face file. Also the 保険証利用登録 done at the reader (初回登録,
//! table `reader_registrations`), so a registered card stays registered across restarts.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use chrono::NaiveDateTime;
use rusqlite::{Connection, params};
use serde::Serialize;
use sim_core::engine::CardConsents;

use super::Mode;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reader_consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    person_id TEXT NOT NULL,
    medical_institution_code TEXT NOT NULL,
    arbitrary_file_identifier TEXT NOT NULL,
    mode TEXT NOT NULL,
    drug INTEGER NOT NULL,
    checkup INTEGER NOT NULL,
    diagnosis INTEGER NOT NULL,
    operation INTEGER NOT NULL,
    limit_certificate INTEGER NOT NULL,
    specific_disease INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reader_consents_person ON reader_consents (person_id, at);
CREATE TABLE IF NOT EXISTS reader_registrations (
    person_id TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
";

/// One stored consent record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRecord {
    /// Row id.
    pub id: i64,
    /// Simulator time of the consent, `yyyyMMddHHmmss`.
    pub at: String,
    /// Whose.
    pub person_id: String,
    /// The facility.
    pub medical_institution_code: String,
    /// The face file's `ArbitraryFileIdentifier`.
    pub arbitrary_file_identifier: String,
    /// `pin`, `face` or `visual`.
    pub mode: String,
    /// The answers, in the order drug, checkup, diagnosis, operation, limit, specific disease.
    pub answers: [bool; 6],
}

/// The consent table.
pub struct ConsentStore {
    conn: Mutex<Connection>,
    /// Who has at least one record: every qualification check with the 限度額 flag 0 asks for the
    /// patient's records, and almost no patient has any, so most answers need no query (and no
    /// wait for the connection). Rows are only ever added, by [`ConsentStore::record`].
    with_records: RwLock<HashSet<String>>,
}

fn mode_name(mode: Option<Mode>) -> &'static str {
    match mode {
        Some(Mode::Pin) => "pin",
        Some(Mode::Face) => "face",
        Some(Mode::Visual) => "visual",
        None => "-",
    }
}

impl ConsentStore {
    /// Opens (creating if needed) the table in the database at `path`.
    pub fn open(path: &Path) -> anyhow::Result<ConsentStore> {
        // A consent or a registration the patient gave at the reader must not be lost.
        let conn = crate::state_db::open(path, crate::state_db::Durability::Full)?;
        conn.execute_batch(SCHEMA)?;
        let with_records = conn
            .prepare("SELECT DISTINCT person_id FROM reader_consents")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<HashSet<_>, _>>()?;
        Ok(ConsentStore {
            conn: Mutex::new(conn),
            with_records: RwLock::new(with_records),
        })
    }

    fn has_records(&self, person_id: &str) -> bool {
        self.with_records
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(person_id)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores the answers of one check and returns the row id.
    pub fn record(
        &self,
        person_id: &str,
        medical_institution_code: &str,
        afi: &str,
        mode: Option<Mode>,
        c: CardConsents,
        at: NaiveDateTime,
    ) -> anyhow::Result<u64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO reader_consents (at, person_id, medical_institution_code, \
             arbitrary_file_identifier, mode, drug, checkup, diagnosis, operation, \
             limit_certificate, specific_disease) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                sim_core::date::ymdhms(at),
                person_id,
                medical_institution_code,
                afi,
                mode_name(mode),
                c.drug,
                c.checkup,
                c.diagnosis,
                c.operation,
                c.limit,
                c.specific_disease
            ],
        )?;
        if !self.has_records(person_id) {
            self.with_records
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(person_id.to_owned());
        }
        Ok(u64::try_from(conn.last_insert_rowid()).unwrap_or(0))
    }

    /// Records the 保険証利用登録 of `person_id` done at the reader (idempotent: the first date stays).
    pub fn register(&self, person_id: &str, at: NaiveDateTime) -> anyhow::Result<()> {
        self.conn().execute(
            "INSERT OR IGNORE INTO reader_registrations (person_id, at) VALUES (?1, ?2)",
            params![person_id, sim_core::date::ymdhms(at)],
        )?;
        Ok(())
    }

    /// The number the next record will get (its face file's sequence).
    pub fn next_sequence(&self) -> anyhow::Result<u64> {
        let conn = self.conn();
        let next: i64 = conn.query_row(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'reader_consents'), 0) + 1",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(next).unwrap_or(1))
    }

    /// Forgets the 保険証利用登録 of `person_id` done at the reader (a scenario's reset).
    pub fn unregister(&self, person_id: &str) -> anyhow::Result<()> {
        self.conn().execute(
            "DELETE FROM reader_registrations WHERE person_id = ?1",
            params![person_id],
        )?;
        Ok(())
    }

    /// Whether `person_id` registered for insurance use at the reader.
    pub fn is_registered(&self, person_id: &str) -> anyhow::Result<bool> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT 1 FROM reader_registrations WHERE person_id = ?1")?;
        Ok(stmt.exists([person_id])?)
    }

    /// The records of `person_id`, oldest first.
    pub fn for_person(&self, person_id: &str) -> anyhow::Result<Vec<ConsentRecord>> {
        if !self.has_records(person_id) {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, at, person_id, medical_institution_code, arbitrary_file_identifier, mode, \
             drug, checkup, diagnosis, operation, limit_certificate, specific_disease \
             FROM reader_consents WHERE person_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([person_id], |r| {
            Ok(ConsentRecord {
                id: r.get(0)?,
                at: r.get(1)?,
                person_id: r.get(2)?,
                medical_institution_code: r.get(3)?,
                arbitrary_file_identifier: r.get(4)?,
                mode: r.get(5)?,
                answers: [
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ],
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
