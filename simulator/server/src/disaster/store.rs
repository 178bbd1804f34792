//! Disaster mode in `<state>/state.sqlite3`: activations with their extensions (written through on
//! every operator command, read back at start-up) and the audit log (one row per search and view,
//! refused ones included), exported as CSV.

use std::path::Path;

use chrono::NaiveDateTime;
use rusqlite::{Connection, params};
use sim_core::disaster::{Activation, AuditAction, AuditRecord, Consent, Extension};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS disaster_activation (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    municipalities TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE IF NOT EXISTS disaster_extension (
    activation INTEGER NOT NULL,
    facility TEXT NOT NULL,
    until TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (activation, facility)
);
CREATE TABLE IF NOT EXISTS disaster_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    facility TEXT NOT NULL,
    facility_name TEXT NOT NULL,
    operator TEXT NOT NULL,
    activation INTEGER,
    consent TEXT,
    query TEXT NOT NULL,
    persons TEXT NOT NULL,
    outcome TEXT NOT NULL
);
";

/// Stored time format (Japan time, simulator clock).
pub const TIME: &str = "%Y-%m-%dT%H:%M:%S";

fn time(s: &str) -> rusqlite::Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, TIME).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// One stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When (`yyyy-mm-ddTHH:MM:SS`, simulator time).
    pub at: String,
    /// `search`, `view` or `refused`.
    pub action: String,
    /// 医療機関コード.
    pub facility: String,
    /// 医療機関名.
    pub facility_name: String,
    /// Who at the facility.
    pub operator: String,
    /// The activation in force.
    pub activation: Option<u32>,
    /// `oral`, `waived` or empty.
    pub consent: String,
    /// The query or what was viewed.
    pub query: String,
    /// Person ids, space-separated.
    pub persons: String,
    /// Outcome.
    pub outcome: String,
}

/// The connection.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating) the tables.
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let conn = crate::state_db::open(path, crate::state_db::Durability::Full)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    /// Every stored activation.
    pub fn activations(&self) -> rusqlite::Result<Vec<Activation>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, title, municipalities, start, end, opened_at, closed_at
             FROM disaster_activation ORDER BY id",
        )?;
        let mut out = stmt
            .query_map([], |r| {
                let closed: Option<String> = r.get(6)?;
                Ok(Activation {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    municipalities: r
                        .get::<_, String>(2)?
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect(),
                    start: time(&r.get::<_, String>(3)?)?,
                    end: time(&r.get::<_, String>(4)?)?,
                    opened_at: time(&r.get::<_, String>(5)?)?,
                    closed_at: closed.as_deref().map(time).transpose()?,
                    extensions: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT activation, facility, until, granted_at FROM disaster_extension
             ORDER BY activation, granted_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                Extension {
                    facility: r.get(1)?,
                    until: time(&r.get::<_, String>(2)?)?,
                    granted_at: time(&r.get::<_, String>(3)?)?,
                },
            ))
        })?;
        for row in rows {
            let (id, ext) = row?;
            if let Some(a) = out.iter_mut().find(|a| a.id == id) {
                a.extensions.push(ext);
            }
        }
        Ok(out)
    }

    /// Writes an activation and its extensions (replacing what was stored).
    pub fn save(&mut self, a: &Activation) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO disaster_activation
             (id, title, municipalities, start, end, opened_at, closed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                a.id,
                a.title,
                a.municipalities.join(" "),
                a.start.format(TIME).to_string(),
                a.end.format(TIME).to_string(),
                a.opened_at.format(TIME).to_string(),
                a.closed_at.map(|t| t.format(TIME).to_string()),
            ],
        )?;
        tx.execute(
            "DELETE FROM disaster_extension WHERE activation = ?1",
            params![a.id],
        )?;
        for e in &a.extensions {
            tx.execute(
                "INSERT INTO disaster_extension (activation, facility, until, granted_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    a.id,
                    e.facility,
                    e.until.format(TIME).to_string(),
                    e.granted_at.format(TIME).to_string()
                ],
            )?;
        }
        tx.commit()
    }

    /// Appends an audit record.
    pub fn audit(&self, r: &AuditRecord, facility_name: &str) -> rusqlite::Result<i64> {
        self.conn.execute(
            "INSERT INTO disaster_audit
             (at, action, facility, facility_name, operator, activation, consent, query, persons, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                r.at.format(TIME).to_string(),
                r.action.id(),
                r.facility,
                facility_name,
                r.operator,
                r.activation,
                r.consent.map(Consent::id).unwrap_or(""),
                r.query,
                r.persons.join(" "),
                r.outcome,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The audit log, oldest first.
    pub fn audit_rows(&self) -> rusqlite::Result<Vec<AuditRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, action, facility, facility_name, operator, activation, consent, query,
                    persons, outcome FROM disaster_audit ORDER BY id",
        )?;
        stmt.query_map([], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                at: r.get(1)?,
                action: r.get(2)?,
                facility: r.get(3)?,
                facility_name: r.get(4)?,
                operator: r.get(5)?,
                activation: r.get(6)?,
                consent: r.get(7)?,
                query: r.get(8)?,
                persons: r.get(9)?,
                outcome: r.get(10)?,
            })
        })?
        .collect()
    }
}

/// The audit log as CSV (RFC 4180: comma-separated, fields quoted when they hold a comma, a quote
/// or a line break, CRLF line ends), with a header row in Japanese and English.
pub fn audit_csv(rows: &[AuditRow]) -> String {
    fn field(out: &mut String, s: &str) {
        if s.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(s);
        }
    }
    let mut out = String::from(
        "番号(id),日時(at),操作(action),医療機関コード(facility),医療機関名(facility_name),\
         操作者(operator),災害時モード(activation),同意(consent),検索条件・閲覧内容(query),\
         対象者(persons),結果(outcome)\r\n",
    );
    for r in rows {
        let activation = r.activation.map(|a| a.to_string()).unwrap_or_default();
        let cells = [
            r.id.to_string(),
            r.at.clone(),
            r.action.clone(),
            r.facility.clone(),
            r.facility_name.clone(),
            r.operator.clone(),
            activation,
            r.consent.clone(),
            r.query.clone(),
            r.persons.clone(),
            r.outcome.clone(),
        ];
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, c);
        }
        out.push_str("\r\n");
    }
    out
}

/// Reads [`AuditAction::id`] back (for filters).
pub fn action_from_id(s: &str) -> Option<AuditAction> {
    match s {
        "search" => Some(AuditAction::Search),
        "view" => Some(AuditAction::View),
        "refused" => Some(AuditAction::Refused),
        _ => None,
    }
}
