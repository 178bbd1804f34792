//! The state database, `<state>/state.sqlite3`: the journal index, bulk jobs and 照会番号, card PIN
//! counters, reader consents and registrations. Each store opens its own connection to it, the
//! same way: WAL (readers never wait for the writer), a busy timeout for the moments two
//! connections write at once, and the durability the store asks for.

use std::path::Path;

use rusqlite::Connection;

/// How durable a store's commits must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous = NORMAL`: a commit survives a crash of the process; the last commits may be
    /// lost on power loss (fine for logs and counters that are written very often).
    Normal,
    /// `synchronous = FULL`: a commit survives power loss (jobs that were acknowledged to a
    /// client, registrations). SQLite's own default.
    Full,
}

/// Opens a connection to the state database at `path`, creating the file if needed.
pub fn open(path: &Path, durability: Durability) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let synchronous = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}
