//! The face-auth card reader (顔認証付きカードリーダー) and the terminal's side of a card check: the
//! reader's session is the pure state machine in [`session`]; this module is the server around it.
//!
//! - [`Readers`] holds the one emulated reader (the card on it, its session, the pending nonce), the
//!   reader settings and the consent records (SQLite, table `reader_consents`).
//! - Card check: the server issues a nonce, the reader has the card sign it (PIN mode) or hands over a
//!   MOCK 特定機関 attestation (face, 目視), the server verifies the certificate against the mock JPKI
//!   CA (chain, expiry at the simulator's time) and the signature, finds the person by certificate
//!   serial and decides eligibility for today with the engine ([`sim_core::Engine::card_check`]).
//! - Card holding (from the population's [`sim_fixtures::CardHoldings`], at the simulator's date): a
//!   revoked 電子証明書 is refused (`MOCK-R109`), an expired card or certificate too (`MOCK-R110`); a
//!   card not registered for insurance use gets the 初回登録 screen (`register` yes → recorded in
//!   SQLite table `reader_registrations`, then consent; no → `MOCK-R108`). None of these writes a
//!   face file. MOCK: a person without holding data (a generated non-holder, a population file
//!   without card columns) is not checked, since the simulator still issues them a virtual card.
//! - The consent answers become `…ConsFlg/ConsTime/AvailableTime`; the result (`ReferenceClassification`
//!   1, a terminal-generated `ArbitraryFileIdentifier`, `ReferenceNumber` when the facility registered
//!   one) is written atomically into `face/` in the configured encoding and journalled (channel
//!   `face`). Failures write nothing.
//!
//! Driven by `POST /admin/reader/…` and `simulator reader …`. The PIN is never logged or stored.

pub mod cli;
mod consents;
mod pcsc_link;
pub mod session;

use std::fmt;
use std::sync::{Mutex, MutexGuard};

use chrono::NaiveDateTime;
use rand::Rng;
use serde::Serialize;
use sim_card::FaceImage;
use sim_core::engine::{CardCheck, CardConsents, ConsentWindow};

pub use consents::ConsentStore;
pub use pcsc_link::PcscLink;
pub use session::{CardLink, LinkError, Mode, Proof, ReaderMessage, ReaderSession, Screen};

use crate::journal::{Channel, Entry};
use crate::shared::Shared;
use session::{ForeignCardLink, UnreadableCardLink, VirtualLink};

/// Reader settings (`[reader]`).
#[derive(Debug, Clone)]
pub struct ReaderSettings {
    /// The terminal's 医療機関コード (10 digits).
    pub medical_institution_code: String,
    /// The `…AvailableTime` rule.
    pub window: ConsentWindow,
}

impl Default for ReaderSettings {
    fn default() -> Self {
        ReaderSettings {
            medical_institution_code: "1311234567".into(),
            window: ConsentWindow::EndOfNextDay,
        }
    }
}

/// Errors of the reader service (bad use of the admin API, IO).
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// No card on the reader.
    #[error("no card on the reader")]
    NoCard,
    /// A card is already on the reader.
    #[error("a card is already on the reader (remove it first)")]
    Busy,
    /// No such person.
    #[error("no person {0:?}")]
    UnknownPerson(String),
    /// A My Number Card needs a person.
    #[error("a My Number Card needs \"person\"")]
    MissingPerson,
    /// The step does not fit the current screen.
    #[error("not possible on screen {0}")]
    WrongScreen(String),
    /// No card could be reached through PC/SC.
    #[error("PC/SC: {0}")]
    Pcsc(LinkError),
    /// Building the card or reading the PIN store failed.
    #[error(transparent)]
    Card(#[from] crate::card::CardError),
    /// Writing the face file or the consent record failed.
    #[error("{0:#}")]
    Io(anyhow::Error),
}

/// What kind of card is put on the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CardKind {
    /// The person's virtual My Number Card.
    #[default]
    Mynumber,
    /// Some other IC card (→ `002`).
    Foreign,
    /// A card the reader cannot read (→ `001`).
    Unreadable,
    /// Whatever card is in the first PC/SC reader holding one (e.g. a virtual card inserted with
    /// `simulator card insert`, through pcscd and vpcd); the person is found by its certificate.
    Pcsc,
}

enum Link {
    Virtual(Box<VirtualLink>),
    Foreign(ForeignCardLink),
    Unreadable(UnreadableCardLink),
    Pcsc(Box<PcscLink>),
}

impl Link {
    fn as_mut(&mut self) -> &mut dyn CardLink {
        match self {
            Link::Virtual(l) => l.as_mut(),
            Link::Foreign(l) => l,
            Link::Unreadable(l) => l,
            Link::Pcsc(l) => l.as_mut(),
        }
    }
}

struct Active {
    person_id: Option<String>,
    auth_serial: Option<String>,
    link: Link,
    session: ReaderSession,
    nonce: [u8; 32],
    verified_person: Option<String>,
}

/// The reader as the admin API shows it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ReaderStatus {
    /// `idle`, `choose-mode`, `enter-pin`, `face-capture`, `staff-confirm`, `register`, `consent`,
    /// `done`, `failed`.
    pub screen: &'static str,
    /// The person whose card is on the reader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// The chosen mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// PIN tries left (PIN screen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u8>,
    /// Face attempts left (face screen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u8>,
    /// The message shown (`002:マイナンバーカード以外`, `MOCK-R101:…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its number alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_code: Option<&'static str>,
    /// The face file written (Done).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_file: Option<String>,
}

/// The emulated reader of a running simulator.
pub struct Readers {
    settings: ReaderSettings,
    active: Mutex<Option<Active>>,
    consents: ConsentStore,
}

impl fmt::Debug for Readers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readers")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The consent names accepted by the admin API and `--consent`, in screen order: 薬剤, 特定健診, 診療,
/// 手術, 限度額, 特定疾病.
pub const CONSENT_NAMES: [&str; 6] = [
    "drug",
    "checkup",
    "diagnosis",
    "operation",
    "limit",
    "disease",
];

/// Parses consent names (see [`CONSENT_NAMES`]); the names not given are refused (flag 0).
pub fn parse_consents<S: AsRef<str>>(names: &[S]) -> Result<CardConsents, String> {
    let mut c = CardConsents::default();
    for name in names {
        match name.as_ref().trim() {
            "drug" => c.drug = true,
            "checkup" => c.checkup = true,
            "diagnosis" => c.diagnosis = true,
            "operation" => c.operation = true,
            "limit" => c.limit = true,
            "disease" => c.specific_disease = true,
            "" | "none" => {}
            other => {
                return Err(format!(
                    "unknown consent {other:?} (one of {})",
                    CONSENT_NAMES.join(", ")
                ));
            }
        }
    }
    Ok(c)
}

/// A terminal-generated `ArbitraryFileIdentifier`: 11 random bytes in URL-safe base64 with
/// padding, 16 characters, shaped like the observed `B4u_QfxBNjMCL4w=`.
pub fn arbitrary_file_identifier(bytes: [u8; 11]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(16);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    while out.len() < 16 {
        out.push('=');
    }
    out
}

/// The `ArbitraryFileIdentifier` of a face file on a virtual clock: the first 11 bytes of
/// SHA-256 over the 医療機関コード, the face file's sequence and the time, shaped as
/// [`arbitrary_file_identifier`]. Unique per sequence, the same on every replay.
pub fn replay_identifier(
    medical_institution_code: &str,
    sequence: u64,
    at: NaiveDateTime,
) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(
        format!(
            "{medical_institution_code}|{sequence}|{}",
            sim_core::date::ymdhms(at)
        )
        .as_bytes(),
    );
    let mut bytes = [0u8; 11];
    bytes.copy_from_slice(&digest[..11]);
    arbitrary_file_identifier(bytes)
}

/// The face file name: `OQSsiquc01res_face_` + 医療機関コード + a 20-digit number + `_` + time.
/// The number's meaning is not public; MOCK: `000` + a 17-digit sequence.
pub fn face_file_name(medical_institution_code: &str, sequence: u64, at: NaiveDateTime) -> String {
    format!(
        "OQSsiquc01res_face_{medical_institution_code}000{sequence:017}_{}.xml",
        sim_core::date::ymdhms(at)
    )
}

fn screen_name(s: &Screen) -> &'static str {
    match s {
        Screen::Idle => "idle",
        Screen::ChooseMode => "choose-mode",
        Screen::EnterPin { .. } => "enter-pin",
        Screen::FaceCapture { .. } => "face-capture",
        Screen::StaffConfirm => "staff-confirm",
        Screen::Authenticated(_) => "authenticated",
        Screen::Register => "register",
        Screen::Consent => "consent",
        Screen::Done => "done",
        Screen::Failed(_) => "failed",
    }
}

impl Readers {
    /// The reader service with consent records in the SQLite database at `db`.
    pub fn open(settings: ReaderSettings, db: &std::path::Path) -> anyhow::Result<Readers> {
        Ok(Readers {
            settings,
            active: Mutex::new(None),
            consents: ConsentStore::open(db)?,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &ReaderSettings {
        &self.settings
    }

    /// The consent records.
    pub fn consents(&self) -> &ConsentStore {
        &self.consents
    }

    /// The reader's state.
    pub fn status(&self) -> ReaderStatus {
        let active = lock(&self.active);
        match active.as_ref() {
            None => ReaderStatus {
                screen: "idle",
                ..ReaderStatus::default()
            },
            Some(a) => status_of(a, None),
        }
    }

    /// Puts a card on the reader and reads it.
    pub fn insert(
        &self,
        shared: &Shared,
        person_id: Option<&str>,
        kind: CardKind,
    ) -> Result<ReaderStatus, ReaderError> {
        self.insert_with_face(shared, person_id, kind, FaceImage::Intact)
    }

    /// [`Readers::insert`] with the state of the card's face photo (`corrupt` / `absent` make face mode
    /// fail with `MOCK-R111`; only for the in-process My Number Card, a PC/SC card has its own).
    pub fn insert_with_face(
        &self,
        shared: &Shared,
        person_id: Option<&str>,
        kind: CardKind,
        face: FaceImage,
    ) -> Result<ReaderStatus, ReaderError> {
        let mut active = lock(&self.active);
        if active.is_some() {
            return Err(ReaderError::Busy);
        }
        let (link, person, serial) = match kind {
            CardKind::Foreign => (Link::Foreign(ForeignCardLink), None, None),
            CardKind::Unreadable => (Link::Unreadable(UnreadableCardLink), None, None),
            CardKind::Pcsc => {
                let link = PcscLink::connect(None).map_err(ReaderError::Pcsc)?;
                tracing::info!(reader = %link.reader(), "reader: PC/SC card connected");
                (Link::Pcsc(Box::new(link)), None, None)
            }
            CardKind::Mynumber => {
                let id = person_id.ok_or(ReaderError::MissingPerson)?;
                let person = shared
                    .population
                    .person_by_id(id)
                    .ok_or_else(|| ReaderError::UnknownPerson(id.to_owned()))?;
                let card = shared.cards.reader_card_with_face(person, face)?;
                (
                    Link::Virtual(Box::new(VirtualLink::new(card))),
                    Some(id.to_owned()),
                    Some(shared.cards.auth_serial_hex(id)),
                )
            }
        };
        let mut a = Active {
            person_id: person,
            auth_serial: serial,
            link,
            session: ReaderSession::new(),
            nonce: [0; 32],
            verified_person: None,
        };
        a.session.insert(a.link.as_mut());
        a.session.set_printed_pin_b(printed_pin_b(shared, &a));
        tracing::info!(person = ?a.person_id, kind = ?kind, face = face.name(), screen = screen_name(a.session.screen()), "reader: card inserted");
        let status = status_of(&a, None);
        *active = Some(a);
        Ok(status)
    }

    /// Takes the card off the reader (mid-flow: the session fails with `MOCK-R105`).
    pub fn remove(&self) -> Result<ReaderStatus, ReaderError> {
        let mut active = lock(&self.active);
        let a = active.take().ok_or(ReaderError::NoCard)?;
        let mut status = status_of(&a, None);
        if !matches!(a.session.screen(), Screen::Done | Screen::Failed(_)) {
            let m = ReaderMessage::CardRemoved;
            status.screen = "failed";
            status.message = Some(m.to_string());
            status.message_code = Some(m.code());
            tracing::info!(person = ?a.person_id, "reader: card removed mid-flow");
        }
        Ok(status)
    }

    fn with_active<T>(
        &self,
        f: impl FnOnce(&mut Active) -> Result<T, ReaderError>,
    ) -> Result<T, ReaderError> {
        let mut active = lock(&self.active);
        let a = active.as_mut().ok_or(ReaderError::NoCard)?;
        f(a)
    }

    /// The patient chooses a mode.
    pub fn choose(&self, mode: Mode) -> Result<ReaderStatus, ReaderError> {
        self.with_active(|a| {
            a.session.choose(a.link.as_mut(), mode);
            if let Some(e) = a.session.face_image_error() {
                tracing::info!(person = ?a.person_id, error = %e, "reader: face photo unreadable");
            }
            Ok(status_of(a, None))
        })
    }

    /// The patient enters the PIN (PIN mode). The card signs a fresh nonce; the server verifies.
    pub fn enter_pin(&self, shared: &Shared, pin: &str) -> Result<ReaderStatus, ReaderError> {
        self.with_active(|a| {
            if !matches!(a.session.screen(), Screen::EnterPin { .. }) {
                return Err(ReaderError::WrongScreen(
                    screen_name(a.session.screen()).into(),
                ));
            }
            a.nonce = rand::rng().random();
            let nonce = a.nonce;
            a.session.enter_pin(a.link.as_mut(), pin.as_bytes(), &nonce);
            self.save_pins(shared, a);
            self.after_auth(shared, a);
            Ok(status_of(a, None))
        })
    }

    /// The camera's verdict (face mode).
    pub fn face(&self, shared: &Shared, matched: bool) -> Result<ReaderStatus, ReaderError> {
        self.with_active(|a| {
            a.session.face(a.link.as_mut(), matched);
            self.after_auth(shared, a);
            Ok(status_of(a, None))
        })
    }

    /// Staff confirm the patient (目視).
    pub fn staff_confirm(
        &self,
        shared: &Shared,
        confirmed: bool,
    ) -> Result<ReaderStatus, ReaderError> {
        self.with_active(|a| {
            a.session.staff_confirm(a.link.as_mut(), confirmed);
            self.after_auth(shared, a);
            Ok(status_of(a, None))
        })
    }

    fn save_pins(&self, shared: &Shared, a: &Active) {
        if let (Link::Virtual(link), Some(person), Some(serial)) =
            (&a.link, &a.person_id, &a.auth_serial)
        {
            let counters = link.card().export_pins();
            if let Err(e) = shared.cards.save_reader_pins(serial, person, &counters) {
                tracing::warn!(error = %e, person = %person, "reader: saving pin counters failed");
            }
        }
    }

    /// Server side of the card check, once the session holds a proof.
    fn after_auth(&self, shared: &Shared, a: &mut Active) {
        let Screen::Authenticated(proof) = a.session.screen().clone() else {
            return;
        };
        let verdict = verify_proof(shared, &proof, &a.nonce)
            .and_then(|person| self.check_holding(shared, &person).map(|reg| (person, reg)));
        a.nonce = [0; 32];
        match verdict {
            Ok((person, registered)) => {
                tracing::info!(person = %person, proof = ?proof, registered, "reader: card verified");
                if a.person_id.is_none() {
                    a.person_id = Some(person.clone());
                }
                a.verified_person = Some(person);
                if registered {
                    a.session.server_verdict(Ok(()));
                } else {
                    a.session.offer_registration();
                }
            }
            Err(m) => {
                tracing::info!(message = %m, proof = ?proof, "reader: card refused");
                a.session.server_verdict(Err(m));
            }
        }
    }

    /// The card holding of `person` at the simulator's date: `Ok(registered)` for a usable card,
    /// `Err` for a revoked certificate or an expired card / certificate.
    fn check_holding(&self, shared: &Shared, person: &str) -> Result<bool, ReaderMessage> {
        let Some(card) = shared.holdings.get(person) else {
            return Ok(true);
        };
        let today = shared.clock.now().date();
        if card.certificate_revoked.is_some_and(|r| r <= today) {
            return Err(ReaderMessage::CertificateRevoked);
        }
        if today > card.card_valid_until || today > card.certificate_valid_until {
            return Err(ReaderMessage::CardExpired);
        }
        if card.insurance_registered.is_some_and(|r| r <= today) {
            return Ok(true);
        }
        Ok(self.consents.is_registered(person).unwrap_or_else(|e| {
            tracing::warn!(error = %e, person = %person, "reader: reading registrations failed");
            false
        }))
    }

    /// The patient's answer to 初回登録 (保険証利用登録): yes → registered (kept in SQLite) and on
    /// to the consent screens; no → `MOCK-R108`, no result.
    pub fn register(&self, shared: &Shared, yes: bool) -> Result<ReaderStatus, ReaderError> {
        self.with_active(|a| {
            if a.session.screen() != &Screen::Register {
                return Err(ReaderError::WrongScreen(
                    screen_name(a.session.screen()).into(),
                ));
            }
            a.session.register(a.link.as_mut(), yes);
            if a.session.screen() == &Screen::Consent
                && let Some(person) = &a.verified_person
            {
                self.consents
                    .register(person, shared.clock.now())
                    .map_err(ReaderError::Io)?;
                tracing::info!(person = %person, "reader: 保険証利用登録 done");
            }
            Ok(status_of(a, None))
        })
    }

    /// The consent answers: the result is built, written into `face/`, journalled and the consent
    /// recorded. Returns the status with the face file's name.
    pub fn consent(
        &self,
        shared: &Shared,
        answers: CardConsents,
    ) -> Result<ReaderStatus, ReaderError> {
        self.consent_for(shared, answers, None)
    }

    /// [`Readers::consent`] at a check for 訪問診療等 or オンライン診療等 (診療区分 2 / 3, e.g. a
    /// mobile reader at the patient's home): the consent is also recorded for that 診療形態, with
    /// today as the 診察日, for the `OQSmuhvq` / `OQSmuonq` bulk checks.
    pub fn consent_for(
        &self,
        shared: &Shared,
        answers: CardConsents,
        treatment: Option<sim_core::engine::TreatmentForm>,
    ) -> Result<ReaderStatus, ReaderError> {
        self.with_active(|a| {
            if a.session.screen() != &Screen::Consent {
                return Err(ReaderError::WrongScreen(
                    screen_name(a.session.screen()).into(),
                ));
            }
            let Some(person) = a.verified_person.clone() else {
                return Err(ReaderError::WrongScreen(
                    "consent without a verified card".into(),
                ));
            };
            if let Screen::Failed(_) = a.session.finish(a.link.as_mut()) {
                return Ok(status_of(a, None));
            }
            let name = self
                .write_result(shared, &person, a.session.mode(), answers)
                .map_err(ReaderError::Io)?;
            if let Some(form) = treatment {
                let now = shared.clock.now();
                shared
                    .jobs
                    .record_consent(&sim_core::engine::TreatmentConsent {
                        person_id: person.clone(),
                        medical_institution_code: self.settings.medical_institution_code.clone(),
                        form,
                        consented_at: now,
                        examination_date: Some(now.date()),
                    })
                    .map_err(|e| ReaderError::Io(anyhow::anyhow!("{e}")))?;
                tracing::info!(person = %person, treatment = form.code(), "reader: treatment consent recorded");
            }
            Ok(status_of(a, Some(name)))
        })
    }

    fn write_result(
        &self,
        shared: &Shared,
        person: &str,
        mode: Option<Mode>,
        answers: CardConsents,
    ) -> anyhow::Result<String> {
        let now = shared.clock.now();
        let mic = &self.settings.medical_institution_code;
        // On a virtual clock (scenarios) the identifier is derived from the clock and the face
        // file's sequence, so a replay writes the same bytes; on the wall clock it is random.
        let afi = if shared.clock.control().is_some() {
            let sequence = self.consents.next_sequence()?;
            replay_identifier(mic, sequence, now)
        } else {
            arbitrary_file_identifier(rand::rng().random())
        };
        let sequence = self
            .consents
            .record(person, mic, &afi, mode, answers, now)?;
        let check = CardCheck {
            person_id: person,
            medical_institution_code: mic,
            arbitrary_file_identifier: &afi,
            consents: answers,
            window: self.settings.window,
        };
        let (result, summary) =
            shared
                .engine
                .card_check(&shared.population, &shared.jobs, &check, now);
        let bytes = shared.engine.write(&result);
        let name = face_file_name(mic, sequence, now);
        let face = shared
            .oqs_dir
            .as_ref()
            .map(|d| d.join("face"))
            .ok_or_else(|| anyhow::anyhow!("no shared folder"))?;
        std::fs::create_dir_all(&face)?;
        crate::dropbox::write_atomically(&face, &name, &bytes, true)?;
        let request = format!(
            "reader mode={} person={person} consents={answers:?}",
            mode.map_or("-", |m| match m {
                Mode::Pin => "pin",
                Mode::Face => "face",
                Mode::Visual => "visual",
            })
        );
        shared.journal.record(Entry::exchange(
            Channel::Face,
            now,
            "reader",
            &name,
            summary,
            request.into_bytes(),
            bytes,
        ));
        tracing::info!(person = %person, file = %name, afi = %afi, "reader: face file written");
        Ok(name)
    }
}

/// What the reader's camera reads off the printed card: 照合番号B of the person whose card it is (found
/// by the certificate for a PC/SC card). MOCK: handed over, not read.
fn printed_pin_b(shared: &Shared, a: &Active) -> Option<Vec<u8>> {
    let person = match &a.person_id {
        Some(id) => id.clone(),
        None => {
            let cert = a.session.certificate();
            let serial = sim_card::pki::verify::certificate_serial(cert).ok()?;
            shared.cards.person_by_auth_serial(&serial)?.to_owned()
        }
    };
    let person = shared.population.person_by_id(&person)?;
    Some(shared.cards.card_profile(person).pin_b().expose().to_vec())
}

fn status_of(a: &Active, face_file: Option<String>) -> ReaderStatus {
    let screen = a.session.screen();
    let mut s = ReaderStatus {
        screen: screen_name(screen),
        person_id: a.person_id.clone(),
        mode: a.session.mode(),
        face_file,
        ..ReaderStatus::default()
    };
    let message = match screen {
        Screen::EnterPin {
            tries_left,
            message,
        } => {
            s.tries_left = Some(*tries_left);
            *message
        }
        Screen::FaceCapture {
            attempts_left,
            message,
        } => {
            s.attempts_left = Some(*attempts_left);
            *message
        }
        Screen::Failed(m) => Some(*m),
        _ => None,
    };
    if let Some(m) = message {
        s.message = Some(m.to_string());
        s.message_code = Some(m.code());
    }
    s
}

/// Verifies a proof: the certificate chains to the mock JPKI auth CA and is valid at the simulator's
/// time; a PIN-mode signature verifies over the nonce; the serial belongs to a person. Returns the
/// person id.
pub fn verify_proof(shared: &Shared, proof: &Proof, nonce: &[u8]) -> Result<String, ReaderMessage> {
    let jpki = shared
        .cards
        .jpki()
        .map_err(|_| ReaderMessage::CardRefused)?;
    let at = shared.clock.now() - chrono::Duration::hours(9);
    let at = u64::try_from(at.and_utc().timestamp()).ok();
    let serial = match proof {
        Proof::Signed {
            certificate,
            signature,
        } => {
            sim_card::verify_auth_signature(&jpki.auth_ca, certificate, nonce, signature, at)
                .map_err(|e| {
                    tracing::info!(error = %e, "reader: signature refused");
                    ReaderMessage::CardRefused
                })?
                .serial
        }
        Proof::MockAttested { certificate, .. } => {
            sim_card::pki::verify::verify_issued_by(&jpki.auth_ca, certificate, at).map_err(
                |e| {
                    tracing::info!(error = %e, "reader: certificate refused");
                    ReaderMessage::CardRefused
                },
            )?;
            sim_card::pki::verify::certificate_serial(certificate)
                .map_err(|_| ReaderMessage::CardRefused)?
        }
    };
    shared
        .cards
        .person_by_auth_serial(&serial)
        .map(str::to_owned)
        .ok_or(ReaderMessage::CardRefused)
}

/// The reader's consent records, for the engine's 薬剤情報 / 特定健診情報 rules: the latest answers
/// per facility, with `…AvailableTime` from the `[reader]` window.
impl sim_core::medical::ConsentRecords for Readers {
    fn latest_per_facility(
        &self,
        person_id: &str,
    ) -> Result<Vec<sim_core::medical::ConsentGrant>, sim_core::engine::StoreError> {
        let records = self
            .consents
            .for_person(person_id)
            .map_err(|e| sim_core::engine::StoreError::Failed(e.to_string()))?;
        let mut latest: Vec<sim_core::medical::ConsentGrant> = Vec::new();
        for r in records {
            let Ok(at) = NaiveDateTime::parse_from_str(&r.at, "%Y%m%d%H%M%S") else {
                tracing::warn!(id = r.id, at = %r.at, "unreadable consent time; record ignored");
                continue;
            };
            latest.retain(|g| g.medical_institution_code != r.medical_institution_code);
            let [drug, checkup, diagnosis, _operation, limit, _specific] = r.answers;
            latest.push(sim_core::medical::ConsentGrant {
                medical_institution_code: r.medical_institution_code,
                at,
                available_until: self.settings.window.available_until(at),
                drug,
                checkup,
                diagnosis,
                limit,
            });
        }
        Ok(latest)
    }
}
