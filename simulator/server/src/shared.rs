//! What the file interface, the HTTP handlers and the admin API share.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sim_core::{Engine, Population};

use crate::clock::Clock;
use crate::journal::Journal;

/// Shared state of a running simulator.
#[derive(Debug)]
pub struct Shared {
    /// The eligibility engine and its settings.
    pub engine: Engine,
    /// The persons served.
    pub population: Population,
    /// Who holds which My Number Card (expiry, revocation, 保険証利用登録), by person id.
    pub holdings: sim_fixtures::CardHoldings,
    /// The simulator's clock.
    pub clock: Arc<dyn Clock>,
    /// The journal.
    pub journal: Journal,
    /// Web API tokens: idToken → expiry.
    pub tokens: Mutex<HashMap<String, Instant>>,
    /// Lifetime of new tokens.
    pub token_lifetime: Duration,
    /// The shared folder root, if the file interface runs.
    pub oqs_dir: Option<PathBuf>,
    /// The virtual My Number Cards (vpcd slots, PIN store, serial registry).
    pub cards: crate::card::Cards,
    /// Bulk jobs and 照会番号 registrations.
    pub jobs: crate::jobs::JobStore,
    /// The emulated face-auth card reader and the consent records.
    pub reader: crate::reader::Readers,
    /// Disaster mode (災害時医療情報閲覧): activations, facility register, audit log.
    pub disaster: crate::disaster::Disaster,
    /// The operator token of the admin parts.
    pub admin: crate::admin_token::AdminAuth,
    /// 薬剤情報 and 特定健診情報 of the population (derived on demand from the seed).
    pub medical: sim_fixtures::medical::SyntheticMedical,
    /// Loaded scenario sessions (`/admin/scenario…`).
    pub scenarios: crate::scenario_session::Sessions,
}

impl Shared {
    /// Wraps it for sharing.
    pub fn into_ref(self) -> Arc<Shared> {
        Arc::new(self)
    }

    /// Everything the engine remembers or looks up: bulk jobs, 照会番号, the reader's consent
    /// records, the medical records and the PDF renderer.
    pub fn stores(&self) -> sim_core::engine::Stores<'_> {
        sim_core::engine::Stores {
            reader_consents: &self.reader,
            records: &self.medical,
            renderer: &crate::medinfo::PdfRenderer,
            ..self.jobs.stores()
        }
    }
}

/// Milliseconds since the Unix epoch, wall clock.
pub fn wall_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}
