//! The card's non-volatile memory that must outlive the simulator: PIN values and retry counters,
//! in the table `card_pins` of `<state>/state.sqlite3` (own connection, WAL), so a locked card stays
//! locked after a restart.
//!
//! Rows are keyed by the card (its auth certificate serial, which the population seed and the
//! person id determine) and the PIN's stable name. A card with no rows has its initial PINs. The
//! values are stored because CHANGE REFERENCE DATA may have changed them; they are synthetic test
//! PINs, and they never go to the logs.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, params};
use sim_card::{PinCounters, PinId, PinRecord, PinValue};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS card_pins (
    card TEXT NOT NULL,
    person_id TEXT NOT NULL,
    pin TEXT NOT NULL,
    tries_left INTEGER NOT NULL,
    value BLOB NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (card, pin)
);
";

/// PIN state of every card ever inserted.
#[derive(Debug)]
pub struct PinStore {
    conn: Mutex<Connection>,
}

impl PinStore {
    /// Opens (creating if needed) the table in the database at `path`.
    pub fn open(path: &Path) -> Result<PinStore, rusqlite::Error> {
        let conn = crate::state_db::open(path, crate::state_db::Durability::Normal)?;
        conn.execute_batch(SCHEMA)?;
        Ok(PinStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The stored PIN state of `card`, if any. Rows with an unknown PIN name are skipped.
    pub fn load(&self, card: &str) -> Result<Option<PinCounters>, rusqlite::Error> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT pin, tries_left, value FROM card_pins WHERE card = ?1")?;
        let rows = stmt.query_map(params![card], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut records = Vec::new();
        for row in rows {
            let (name, tries, value) = row?;
            let Some(pin) = PinId::from_name(&name) else {
                continue;
            };
            records.push(PinRecord {
                pin,
                value: PinValue::new(value),
                tries_left: u8::try_from(tries.max(0)).unwrap_or(u8::MAX),
            });
        }
        Ok((!records.is_empty()).then_some(PinCounters { records }))
    }

    /// Stores the PIN state of `card` (the card of `person_id`), replacing what was there.
    pub fn save(
        &self,
        card: &str,
        person_id: &str,
        counters: &PinCounters,
    ) -> Result<(), rusqlite::Error> {
        let now = crate::shared::wall_ms(std::time::SystemTime::now());
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO card_pins (card, person_id, pin, tries_left, value, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (card, pin) DO UPDATE SET
                     person_id = excluded.person_id, tries_left = excluded.tries_left,
                     value = excluded.value, updated_ms = excluded.updated_ms",
            )?;
            for r in &counters.records {
                stmt.execute(params![
                    card,
                    person_id,
                    r.pin.name(),
                    i64::from(r.tries_left),
                    r.value.expose(),
                    now
                ])?;
            }
        }
        tx.commit()
    }

    /// Forgets the PIN state of `card`: its next insertion starts with the initial PINs.
    pub fn forget(&self, card: &str) -> Result<(), rusqlite::Error> {
        self.conn()
            .execute("DELETE FROM card_pins WHERE card = ?1", params![card])?;
        Ok(())
    }
}
