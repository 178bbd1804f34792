//! The journal: every request the terminal received and what it answered, in SQLite (WAL) under
//! the state directory, so it survives restarts and can be queried (`simulator journal`,
//! `GET /admin/journal`).
//!
//! Writes go through one writer thread that batches them into transactions, so the request paths
//! never wait for the disk. Reads use their own connection. The request and answer bytes live in
//! append-only segment files beside the database (`bodies`); the rows point at them.

mod bodies;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// How an exchange reached the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A file in `req/`.
    File,
    /// `POST /oqs/req/…` (XML over HTTP).
    HttpXml,
    /// The Web API's JSON search.
    WebApi,
    /// A card check at the face-auth reader (result in `face/`).
    Face,
}

impl Channel {
    /// Name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::File => "file",
            Channel::HttpXml => "http-xml",
            Channel::WebApi => "webapi",
            Channel::Face => "face",
        }
    }
}

/// One exchange.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Entry {
    /// Row id (assigned by the database).
    pub id: i64,
    /// Simulator time of the answer, `yyyyMMddHHmmss`.
    pub at: String,
    /// Wall-clock milliseconds since the Unix epoch when the answer was written.
    pub wall_ms: i64,
    /// `file`, `http-xml` or `webapi`.
    pub channel: String,
    /// Name of the request file (or the name given over HTTP).
    pub request_name: String,
    /// Name of the result or `.err` file.
    pub answer_name: Option<String>,
    /// Message prefix, e.g. `OQSsiquc01`.
    pub kind: Option<String>,
    /// 医療機関コード.
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子.
    pub arbitrary_file_identifier: Option<String>,
    /// SegmentOfResult.
    pub segment_of_result: Option<String>,
    /// ProcessingResultStatus.
    pub processing_result_status: Option<String>,
    /// QualificationValidity.
    pub qualification_validity: Option<String>,
    /// Error or processing-result code.
    pub code: Option<String>,
    /// Why the request was rejected (`.err`).
    pub rejection: Option<String>,
    /// SHA-256 of the request bytes, hex. Left empty by a caller that has not hashed the request;
    /// the writer thread fills it in, off the request path.
    pub request_sha256: String,
    /// Modification time of the request file (ms since the epoch), for the file channel.
    pub request_mtime_ms: Option<i64>,
    /// The request bytes.
    #[serde(skip)]
    pub request: Vec<u8>,
    /// The answer bytes (result document, `.err` text or JSON).
    #[serde(skip)]
    pub answer: Vec<u8>,
}

impl Entry {
    /// An exchange answered at simulator time `at`: the engine's summary plus the bytes in and out.
    /// The wall-clock time is filled in here, the request's hash by the writer thread (unless the
    /// caller already has it and sets `request_sha256`).
    pub fn exchange(
        channel: Channel,
        at: chrono::NaiveDateTime,
        request_name: &str,
        answer_name: &str,
        summary: sim_core::OutcomeSummary,
        request: Vec<u8>,
        answer: Vec<u8>,
    ) -> Entry {
        Entry {
            id: 0,
            at: sim_core::date::ymdhms(at),
            wall_ms: crate::shared::wall_ms(std::time::SystemTime::now()),
            channel: channel.as_str().into(),
            request_name: request_name.to_owned(),
            answer_name: Some(answer_name.to_owned()),
            kind: summary.kind.map(|k| k.prefix().to_owned()),
            medical_institution_code: summary.medical_institution_code,
            arbitrary_file_identifier: summary.arbitrary_file_identifier,
            segment_of_result: summary.segment_of_result,
            processing_result_status: summary.processing_result_status,
            qualification_validity: summary.qualification_validity,
            code: summary.code,
            rejection: summary.rejection,
            request_sha256: String::new(),
            request_mtime_ms: None,
            request,
            answer,
        }
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    wall_ms INTEGER NOT NULL,
    channel TEXT NOT NULL,
    request_name TEXT NOT NULL,
    answer_name TEXT,
    kind TEXT,
    medical_institution_code TEXT,
    arbitrary_file_identifier TEXT,
    segment_of_result TEXT,
    processing_result_status TEXT,
    qualification_validity TEXT,
    code TEXT,
    rejection TEXT,
    request_sha256 TEXT NOT NULL,
    request_mtime_ms INTEGER,
    body_segment INTEGER NOT NULL,
    body_offset INTEGER NOT NULL,
    request_len INTEGER NOT NULL,
    answer_len INTEGER NOT NULL
);
-- Only the shared folder's entries are looked up by request (crash recovery, `file_answered`), so
-- only they are indexed: an index over every HTTP request's random SHA-256 would dirty a random
-- B-tree page per entry. `journal_request` indexed every channel (journals before 2026-12).
DROP INDEX IF EXISTS journal_request;
CREATE INDEX IF NOT EXISTS journal_file_request ON journal (request_name, request_sha256, request_mtime_ms)
    WHERE channel = 'file';
";

enum Msg {
    Entry(Box<Entry>),
    Flush(mpsc::Sender<()>),
}

/// Handle to the journal: cheap to clone.
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: Option<SyncSender<Msg>>,
    reader: Mutex<Connection>,
    writer: Option<JoinHandle<()>>,
    bodies_dir: PathBuf,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel lets the writer drain what is queued and exit.
        drop(self.tx.take());
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
    }
}

fn open(path: &Path) -> anyhow::Result<Connection> {
    crate::state_db::open(path, crate::state_db::Durability::Normal)
        .with_context(|| format!("opening {}", path.display()))
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`, keeping at most `max_entries`.
    pub fn open(path: &Path, max_entries: u64) -> anyhow::Result<Journal> {
        let conn = open(path)?;
        conn.execute_batch(SCHEMA)
            .context("creating the journal schema")?;
        let reader = open(path)?;
        let bodies_dir = path.with_file_name("journal-bodies");
        let log = bodies::BodyLog::open(&bodies_dir)?;
        let (tx, rx) = mpsc::sync_channel(16_384);
        let handle = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || writer(conn, log, rx, max_entries))
            .context("starting the journal writer")?;
        Ok(Journal {
            inner: Arc::new(Inner {
                tx: Some(tx),
                reader: Mutex::new(reader),
                writer: Some(handle),
                bodies_dir,
            }),
        })
    }

    fn send(&self, msg: Msg) -> bool {
        self.inner
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(msg).is_ok())
    }

    /// Queues an entry. The queue is large and the writer batches, so callers do not wait for
    /// the disk.
    pub fn record(&self, entry: Entry) {
        if !self.send(Msg::Entry(Box::new(entry))) {
            tracing::error!("journal writer has stopped; entry dropped");
        }
    }

    /// Waits until every entry queued so far is written.
    pub fn flush(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        if self.send(Msg::Flush(done_tx)) {
            let _ = done_rx.recv_timeout(std::time::Duration::from_secs(30));
        }
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner.reader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this very request file (same name, same bytes, same modification time) was
    /// already answered through the shared folder. Used to skip a request answered just before a
    /// crash; a new copy of the same request has a later modification time and is answered.
    pub fn file_answered(&self, name: &str, sha256: &str, mtime_ms: i64) -> bool {
        self.reader()
            .query_row(
                "SELECT 1 FROM journal WHERE request_name = ?1 AND request_sha256 = ?2 \
                 AND request_mtime_ms = ?3 AND channel = 'file' AND answer_name IS NOT NULL LIMIT 1",
                params![name, sha256, mtime_ms],
                |_| Ok(()),
            )
            .optional()
            .ok()
            .flatten()
            .is_some()
    }

    /// The newest entries, newest first; `before` pages backwards by id.
    pub fn list(&self, limit: u32, before: Option<i64>) -> anyhow::Result<Vec<Entry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, at, wall_ms, channel, request_name, answer_name, kind, medical_institution_code, \
             arbitrary_file_identifier, segment_of_result, processing_result_status, qualification_validity, \
             code, rejection, request_sha256 FROM journal WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![before.unwrap_or(i64::MAX), limit], row_summary)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One entry with its request and answer bytes.
    pub fn get(&self, id: i64) -> anyhow::Result<Option<Entry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, at, wall_ms, channel, request_name, answer_name, kind, medical_institution_code, \
             arbitrary_file_identifier, segment_of_result, processing_result_status, qualification_validity, \
             code, rejection, request_sha256, body_segment, body_offset, request_len, answer_len \
             FROM journal WHERE id = ?1",
        )?;
        let found = stmt
            .query_row(params![id], |row| {
                let body = bodies::BodyRef {
                    segment: row.get(15)?,
                    offset: row.get(16)?,
                    request_len: row.get(17)?,
                    answer_len: row.get(18)?,
                };
                Ok((row_summary(row)?, body))
            })
            .optional()?;
        Ok(found.map(|(mut e, body)| {
            (e.request, e.answer) = bodies::read(&self.inner.bodies_dir, body);
            e
        }))
    }

    /// Number of entries.
    pub fn count(&self) -> anyhow::Result<i64> {
        Ok(self
            .reader()
            .query_row("SELECT count(*) FROM journal", [], |r| r.get(0))?)
    }
}

fn row_summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: row.get(0)?,
        at: row.get(1)?,
        wall_ms: row.get(2)?,
        channel: row.get(3)?,
        request_name: row.get(4)?,
        answer_name: row.get(5)?,
        kind: row.get(6)?,
        medical_institution_code: row.get(7)?,
        arbitrary_file_identifier: row.get(8)?,
        segment_of_result: row.get(9)?,
        processing_result_status: row.get(10)?,
        qualification_validity: row.get(11)?,
        code: row.get(12)?,
        rejection: row.get(13)?,
        request_sha256: row.get(14)?,
        request_mtime_ms: None,
        request: Vec::new(),
        answer: Vec::new(),
    })
}

/// Under load the writer sleeps this long between batches instead of being woken for every entry
/// (a wake-up per request costs more than the insert itself). When idle it blocks until the next
/// entry, so a quiet simulator does not poll.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

fn writer(mut conn: Connection, mut log: bodies::BodyLog, rx: Receiver<Msg>, max_entries: u64) {
    let mut since_prune: u64 = 0;
    let mut busy = false;
    // Reused from batch to batch; the entries stay in the boxes they came in.
    let mut batch: Vec<Box<Entry>> = Vec::with_capacity(1024);
    loop {
        let first = if busy {
            std::thread::sleep(BATCH_PAUSE);
            match rx.try_recv() {
                Ok(msg) => msg,
                Err(mpsc::TryRecvError::Empty) => {
                    busy = false;
                    continue;
                }
                Err(mpsc::TryRecvError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(msg) => msg,
                Err(_) => break,
            }
        };
        let mut waiters = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Entry(e) => batch.push(e),
                Msg::Flush(tx) => waiters.push(tx),
            }
            if batch.len() < 1024 {
                next = rx.try_recv().ok();
            }
        }
        busy = !batch.is_empty();
        if let Err(e) = insert(&mut conn, &mut log, &batch) {
            tracing::error!(error = %format!("{e:#}"), entries = batch.len(), "journal write failed");
        }
        since_prune += batch.len() as u64;
        batch.clear();
        if since_prune >= 1_000 {
            since_prune = 0;
            let pruned = conn
                .execute(
                    "DELETE FROM journal WHERE id <= (SELECT max(id) FROM journal) - ?1",
                    params![max_entries as i64],
                )
                .and_then(|_| {
                    // Segments grow with the id, so the oldest row has the oldest segment: a
                    // look-up by primary key, where `min(body_segment)` scanned the whole table.
                    conn.query_row(
                        "SELECT body_segment FROM journal ORDER BY id LIMIT 1",
                        [],
                        |r| r.get::<_, i64>(0),
                    )
                    .optional()
                });
            match pruned {
                Ok(Some(oldest)) => {
                    if let Err(e) = log.prune(oldest) {
                        tracing::warn!(error = %e, "journal segment pruning failed");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "journal pruning failed"),
            }
        }
        for tx in waiters {
            let _ = tx.send(());
        }
    }
}

fn insert(
    conn: &mut Connection,
    log: &mut bodies::BodyLog,
    batch: &[Box<Entry>],
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut refs = Vec::with_capacity(batch.len());
    for e in batch {
        refs.push(log.append(&e.request, &e.answer)?);
    }
    log.flush()?;
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO journal (at, wall_ms, channel, request_name, answer_name, kind, \
             medical_institution_code, arbitrary_file_identifier, segment_of_result, \
             processing_result_status, qualification_validity, code, rejection, request_sha256, \
             request_mtime_ms, body_segment, body_offset, request_len, answer_len) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        )?;
        for (e, body) in batch.iter().zip(&refs) {
            stmt.execute(params![
                e.at,
                e.wall_ms,
                e.channel,
                e.request_name,
                e.answer_name,
                e.kind,
                e.medical_institution_code,
                e.arbitrary_file_identifier,
                e.segment_of_result,
                e.processing_result_status,
                e.qualification_validity,
                e.code,
                e.rejection,
                if e.request_sha256.is_empty() {
                    crate::shared::sha256_hex(&e.request)
                } else {
                    e.request_sha256.clone()
                },
                e.request_mtime_ms,
                body.segment,
                body.offset,
                body.request_len,
                body.answer_len,
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}
