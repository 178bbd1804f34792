//! Scenario sessions that survive a restart of `simulator serve --state DIR`: one row per loaded
//! session (own world) in the state database, table `scenario_sessions`: its key, where its
//! script came from (a file path, or the YAML text itself), its options (`pcsc`, the shared
//! folder) and its cursor. At start-up each row is loaded again and replayed to its cursor on a
//! fresh world (with the virtual clock the replay writes the same bytes), see
//! [`crate::scenario_session::Sessions::restore`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use rusqlite::{Connection, params};

use crate::scenario_session::Source;
use crate::state_db::{self, Durability};

/// What is kept of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The key.
    pub id: String,
    /// The script.
    pub source: Source,
    /// Card and reader steps through pcscd + vpcd.
    pub pcsc: bool,
    /// The shared folder chosen at load (`None`: a temporary one, new after a restart).
    pub folder: Option<PathBuf>,
    /// Steps played.
    pub cursor: usize,
}

/// The table of sessions.
#[derive(Debug)]
pub struct SessionStore {
    conn: Mutex<Connection>,
}

impl SessionStore {
    /// Opens (creating) the table in the state database at `path`.
    pub fn open(path: &Path) -> anyhow::Result<SessionStore> {
        // A load or a step was acknowledged to the trainer: it must survive a power loss.
        let conn = state_db::open(path, Durability::Full)
            .with_context(|| format!("opening {}", path.display()))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS scenario_sessions (
                id TEXT PRIMARY KEY,
                source_kind TEXT NOT NULL,
                source_name TEXT NOT NULL,
                source_text TEXT,
                pcsc INTEGER NOT NULL,
                folder TEXT,
                cursor INTEGER NOT NULL
            )",
        )
        .context("creating the scenario_sessions table")?;
        Ok(SessionStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `record`, replacing the row of its key.
    pub fn save(&self, record: &Record) -> rusqlite::Result<()> {
        let (kind, name, text) = match &record.source {
            Source::File(path) => ("file", path.display().to_string(), None),
            Source::Text { name, text } => ("text", name.clone(), Some(text.as_str())),
        };
        self.conn().execute(
            "INSERT OR REPLACE INTO scenario_sessions
                 (id, source_kind, source_name, source_text, pcsc, folder, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                record.id,
                kind,
                name,
                text,
                record.pcsc,
                record.folder.as_ref().map(|f| f.display().to_string()),
                record.cursor as i64
            ],
        )?;
        Ok(())
    }

    /// Moves the cursor of `id`.
    pub fn set_cursor(&self, id: &str, cursor: usize) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE scenario_sessions SET cursor = ?2 WHERE id = ?1",
            params![id, cursor as i64],
        )?;
        Ok(())
    }

    /// Forgets `id`.
    pub fn remove(&self, id: &str) -> rusqlite::Result<()> {
        self.conn()
            .execute("DELETE FROM scenario_sessions WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Every stored session, by key.
    pub fn all(&self) -> rusqlite::Result<Vec<Record>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, source_kind, source_name, source_text, pcsc, folder, cursor
             FROM scenario_sessions ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            let kind: String = row.get(1)?;
            let name: String = row.get(2)?;
            let text: Option<String> = row.get(3)?;
            let source = match (kind.as_str(), text) {
                ("text", Some(text)) => Source::Text { name, text },
                _ => Source::File(PathBuf::from(name)),
            };
            Ok(Record {
                id: row.get(0)?,
                source,
                pcsc: row.get(4)?,
                folder: row.get::<_, Option<String>>(5)?.map(PathBuf::from),
                cursor: row.get::<_, i64>(6)?.max(0) as usize,
            })
        })?;
        rows.collect()
    }
}
