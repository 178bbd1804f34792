//! Virtual My Number Cards on a real PC/SC stack: persons' cards in vsmartcard's virtual readers.
//!
//! - [`Cards`] is the service behind `simulator card insert|remove|list` and `/admin/cards`: one card
//!   per person, at most one card per vpcd slot.
//! - [`profile`] maps a [`Person`] to what is printed on and stored in the card, with the documented
//!   default PINs, all derived from the population seed (stable across restarts).
//! - The card content (two RSA-2048 keys and certificates: slow to make) is built on first insertion
//!   and cached in memory; the mock JPKI CAs likewise.
//! - [`store`] keeps the PIN counters in SQLite, so a locked card stays locked after a restart.
//! - `driver` runs one thread per inserted card that talks vpcd's protocol (normal mode: the card
//!   connects to `HOST:PORT+slot`).
//! - The registry maps every person's auth certificate serial (発行番号) to the person, without
//!   building any card: what a reader needs to find the person behind a certificate.
//!
//! Invariant: PINs never reach the logs; APDU data is not logged at all (VERIFY carries the PIN).

pub mod cli;
mod driver;
mod error;
pub mod profile;
pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use sim_card::{CardContent, MockJpki, VirtualCard, auth_serial_for_seed, build_card};
use sim_core::{Person, Population};

pub use driver::{LinkState, LinkStatus};
pub use error::CardError;

use driver::{Driver, DriverParams};
use store::PinStore;

/// vpcd's default address (slot 0; slot n listens on port + n).
pub const DEFAULT_VPCD: &str = "127.0.0.1:35963";

/// Slots accepted: vpcd is built with 2 by default (`--enable-vpcdslots`), larger builds exist.
pub const MAX_SLOTS: u8 = 16;

/// Where vpcd listens: `HOST:PORT` of slot 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcdAddr {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port of slot 0.
    pub port: u16,
}

impl Default for VpcdAddr {
    fn default() -> Self {
        VpcdAddr {
            host: "127.0.0.1".into(),
            port: 35963,
        }
    }
}

impl VpcdAddr {
    /// The port of `slot`, if it fits.
    pub fn slot_port(&self, slot: u8) -> Option<u16> {
        self.port.checked_add(u16::from(slot))
    }
}

impl FromStr for VpcdAddr {
    type Err = CardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CardError::BadAddress(s.to_owned());
        let (host, port) = s.trim().rsplit_once(':').ok_or_else(bad)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse::<u16>().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(VpcdAddr {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for VpcdAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// One slot as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CardInfo {
    /// vpcd slot (`Virtual PCD 00 0n`).
    pub slot: u8,
    /// Whose card.
    pub person_id: String,
    /// 氏名 on the card.
    pub name: String,
    /// Auth certificate serial (発行番号), hex.
    pub auth_serial: String,
    /// `preparing` (building the card), `connecting`, `connected` or `stopped`.
    pub state: &'static str,
    /// The connection, once the card is built.
    #[serde(flatten)]
    pub link: Option<LinkStatus>,
}

struct Slot {
    person_id: String,
    name: String,
    auth_serial: String,
    /// `None` while the card is being built.
    driver: Option<Driver>,
}

impl Slot {
    fn info(&self, slot: u8) -> CardInfo {
        let link = self.driver.as_ref().map(Driver::status);
        let state = match link.as_ref().map(|l| l.state) {
            None => "preparing",
            Some(LinkState::Connecting) => "connecting",
            Some(LinkState::Connected) => "connected",
            Some(LinkState::Stopped) => "stopped",
        };
        CardInfo {
            slot,
            person_id: self.person_id.clone(),
            name: self.name.clone(),
            auth_serial: self.auth_serial.clone(),
            state,
            link,
        }
    }
}

type ContentCell = Arc<Mutex<Option<Arc<CardContent>>>>;

/// The virtual cards of a running simulator.
pub struct Cards {
    vpcd: VpcdAddr,
    population_seed: u64,
    jpki: Mutex<Option<Arc<MockJpki>>>,
    contents: Mutex<HashMap<String, ContentCell>>,
    /// Auth certificate serial (hex) → person id, for the whole population.
    serials: HashMap<String, String>,
    store: Arc<PinStore>,
    slots: Mutex<BTreeMap<u8, Slot>>,
}

impl fmt::Debug for Cards {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cards")
            .field("vpcd", &self.vpcd)
            .field("population_seed", &self.population_seed)
            .field("registered", &self.serials.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl Cards {
    /// The card service for `population`, with PIN counters in the SQLite database at `db`. Builds the
    /// serial registry (two SHA-256 per person); no card is built yet.
    pub fn open(
        vpcd: VpcdAddr,
        population_seed: u64,
        population: &Population,
        db: &Path,
    ) -> Result<Cards, CardError> {
        let store = Arc::new(PinStore::open(db)?);
        let serials = population
            .persons()
            .iter()
            .map(|p| {
                let seed = profile::card_seed(population_seed, &p.id);
                (hex(&auth_serial_for_seed(&seed)), p.id.clone())
            })
            .collect();
        Ok(Cards {
            vpcd,
            population_seed,
            jpki: Mutex::new(None),
            contents: Mutex::new(HashMap::new()),
            serials,
            store,
            slots: Mutex::new(BTreeMap::new()),
        })
    }

    /// Where the cards connect to.
    pub fn vpcd(&self) -> &VpcdAddr {
        &self.vpcd
    }

    /// The id of the person whose card has this auth certificate serial (発行番号).
    pub fn person_by_auth_serial(&self, serial: &[u8]) -> Option<&str> {
        self.person_by_auth_serial_hex(&hex(serial))
    }

    /// As [`Cards::person_by_auth_serial`], with the serial in hex (either case).
    pub fn person_by_auth_serial_hex(&self, serial: &str) -> Option<&str> {
        self.serials
            .get(&serial.to_ascii_uppercase())
            .map(String::as_str)
    }

    /// The auth certificate serial of `person_id`'s card, hex, without building it.
    pub fn auth_serial_hex(&self, person_id: &str) -> String {
        hex(&auth_serial_for_seed(&profile::card_seed(
            self.population_seed,
            person_id,
        )))
    }

    /// What is printed on and stored in `person`'s card (cheap: no keys). Its `pin_b()` is the 照合番号B
    /// a face-auth reader reads off the card's face.
    pub fn card_profile(&self, person: &Person) -> sim_card::CardProfile {
        profile::card_profile(
            person,
            &profile::card_seed(self.population_seed, &person.id),
        )
    }

    /// The mock JPKI CAs (built on first use: two RSA key generations).
    pub fn jpki(&self) -> Result<Arc<MockJpki>, CardError> {
        let mut jpki = lock(&self.jpki);
        if let Some(j) = jpki.as_ref() {
            return Ok(j.clone());
        }
        let started = Instant::now();
        let seed = profile::ca_seed(self.population_seed);
        let built =
            MockJpki::from_seed(&seed, profile::CERT_VALIDITY).map_err(|e| CardError::Build {
                person: "(mock JPKI CA)".into(),
                reason: e.to_string(),
            })?;
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "mock jpki ca ready"
        );
        let built = Arc::new(built);
        *jpki = Some(built.clone());
        Ok(built)
    }

    /// The content of `person`'s card: built on first use (slow: RSA key generation), then cached.
    pub fn content(&self, person: &Person) -> Result<Arc<CardContent>, CardError> {
        let cell = lock(&self.contents)
            .entry(person.id.clone())
            .or_default()
            .clone();
        let mut cell = lock(&cell);
        if let Some(c) = cell.as_ref() {
            return Ok(c.clone());
        }
        let jpki = self.jpki()?;
        let started = Instant::now();
        let seed = profile::card_seed(self.population_seed, &person.id);
        let card_profile = profile::card_profile(person, &seed);
        let content =
            build_card(&card_profile, &jpki, &seed, profile::CERT_VALIDITY).map_err(|e| {
                CardError::Build {
                    person: person.id.clone(),
                    reason: e.to_string(),
                }
            })?;
        tracing::info!(
            person = %person.id,
            auth_serial = %content.auth_serial_hex(),
            ms = started.elapsed().as_millis() as u64,
            "card content built"
        );
        let content = Arc::new(content);
        *cell = Some(content.clone());
        Ok(content)
    }

    /// `person`'s card for the in-process face-auth reader: built (or cached) content with its
    /// stored PIN counters.
    pub fn reader_card(&self, person: &Person) -> Result<VirtualCard, CardError> {
        let content = self.content(person)?;
        let mut card = VirtualCard::new(&content);
        if let Some(counters) = self.store.load(&self.auth_serial_hex(&person.id))? {
            card.import_pins(&counters);
        }
        Ok(card)
    }

    /// [`Cards::reader_card`] with the face photo in the 券面AP damaged or removed (`face`), for the
    /// reader's "unreadable face image" path; keys, certificates and PIN counters are the person's.
    pub fn reader_card_with_face(
        &self,
        person: &Person,
        face: sim_card::FaceImage,
    ) -> Result<VirtualCard, CardError> {
        if face == sim_card::FaceImage::Intact {
            return self.reader_card(person);
        }
        let mut card_profile = self.card_profile(person);
        card_profile.set_face_image(face);
        let content = self.content(person)?.with_kenkaku_entries(&card_profile);
        let mut card = VirtualCard::new(&content);
        if let Some(counters) = self.store.load(&self.auth_serial_hex(&person.id))? {
            card.import_pins(&counters);
        }
        Ok(card)
    }

    /// Persists the PIN counters of a card used by the in-process reader.
    pub fn save_reader_pins(
        &self,
        auth_serial: &str,
        person_id: &str,
        counters: &sim_card::PinCounters,
    ) -> Result<(), CardError> {
        Ok(self.store.save(auth_serial, person_id, counters)?)
    }

    /// Inserts `person`'s card into `slot`: builds it if needed, restores its PIN counters and starts
    /// connecting to vpcd (retrying until vpcd is up or the card is removed).
    pub fn insert(&self, person: &Person, slot: u8) -> Result<CardInfo, CardError> {
        self.insert_with_face(person, slot, sim_card::FaceImage::Intact)
    }

    /// [`Cards::insert`] of a card whose face photo is `face` (damaged or missing: a face-auth
    /// reader's face mode then stops with `MOCK-R111`).
    pub fn insert_with_face(
        &self,
        person: &Person,
        slot: u8,
        face: sim_card::FaceImage,
    ) -> Result<CardInfo, CardError> {
        if slot >= MAX_SLOTS {
            return Err(CardError::BadSlot {
                slot,
                max: MAX_SLOTS,
            });
        }
        let port = self.vpcd.slot_port(slot).ok_or(CardError::BadSlot {
            slot,
            max: MAX_SLOTS,
        })?;
        let auth_serial = self.auth_serial_hex(&person.id);
        {
            let mut slots = lock(&self.slots);
            if let Some(s) = slots.get(&slot) {
                return Err(CardError::SlotBusy {
                    slot,
                    person: s.person_id.clone(),
                });
            }
            if let Some((at, _)) = slots.iter().find(|(_, s)| s.person_id == person.id) {
                return Err(CardError::AlreadyInserted {
                    person: person.id.clone(),
                    slot: *at,
                });
            }
            slots.insert(
                slot,
                Slot {
                    person_id: person.id.clone(),
                    name: person.name.clone(),
                    auth_serial: auth_serial.clone(),
                    driver: None,
                },
            );
        }
        let started = self.start_driver(person, slot, port, &auth_serial, face);
        let mut slots = lock(&self.slots);
        match started {
            Ok(driver) => {
                let Some(entry) = slots.get_mut(&slot) else {
                    // Only `remove_all` (shutdown) takes a preparing slot; the driver is dropped,
                    // which stops it.
                    return Err(CardError::EmptySlot(slot));
                };
                entry.driver = Some(driver);
                tracing::info!(slot, person = %person.id, %auth_serial, "card inserted");
                Ok(entry.info(slot))
            }
            Err(e) => {
                slots.remove(&slot);
                Err(e)
            }
        }
    }

    fn start_driver(
        &self,
        person: &Person,
        slot: u8,
        port: u16,
        auth_serial: &str,
        face: sim_card::FaceImage,
    ) -> Result<Driver, CardError> {
        // The card with its stored PIN counters (keyed by `auth_serial`).
        let card = self.reader_card_with_face(person, face)?;
        Driver::spawn(DriverParams {
            slot,
            host: self.vpcd.host.clone(),
            port,
            card,
            card_key: auth_serial.to_owned(),
            person_id: person.id.clone(),
            store: self.store.clone(),
        })
        .map_err(CardError::Spawn)
    }

    /// Removes the card in `slot`: closes its connection (pcscd sees a removal) and returns what the
    /// slot held.
    pub fn remove(&self, slot: u8) -> Result<CardInfo, CardError> {
        let mut taken = {
            let mut slots = lock(&self.slots);
            match slots.get(&slot) {
                None => return Err(CardError::EmptySlot(slot)),
                Some(s) if s.driver.is_none() => return Err(CardError::Preparing(slot)),
                Some(_) => {}
            }
            slots.remove(&slot).ok_or(CardError::EmptySlot(slot))?
        };
        if let Some(driver) = taken.driver.take() {
            driver.stop();
        }
        let mut info = taken.info(slot);
        info.state = "removed";
        Ok(info)
    }

    /// Every occupied slot, by slot number.
    pub fn list(&self) -> Vec<CardInfo> {
        lock(&self.slots)
            .iter()
            .map(|(slot, s)| s.info(*slot))
            .collect()
    }

    /// Resets `person_id`'s card to its initial PINs (full tries). Refused while the card is inserted.
    pub fn reset_pins(&self, person_id: &str) -> Result<(), CardError> {
        if let Some((slot, _)) = lock(&self.slots)
            .iter()
            .find(|(_, s)| s.person_id == person_id)
        {
            return Err(CardError::AlreadyInserted {
                person: person_id.to_owned(),
                slot: *slot,
            });
        }
        self.store.forget(&self.auth_serial_hex(person_id))?;
        tracing::info!(person = %person_id, "card pins reset");
        Ok(())
    }

    /// Removes every card (at shutdown).
    pub fn remove_all(&self) {
        let slots = std::mem::take(&mut *lock(&self.slots));
        for (_, mut s) in slots {
            if let Some(d) = s.driver.take() {
                d.stop();
            }
        }
    }
}
