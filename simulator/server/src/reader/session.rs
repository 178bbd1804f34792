//! The face-auth card reader's session (顔認証付きカードリーダー) as a pure state machine: screens in,
//! screens out, the card behind a [`CardLink`] (`transmit(&[u8]) -> Result<Vec<u8>, LinkError>`). No
//! clock, no network, no files: the server side (nonce, verification, result) is
//! [`super::Readers`]. Links: [`VirtualLink`] (in process), [`super::PcscLink`] (through pcscd).
//!
//! ```text
//!                 insert card: SELECT JPKI AP, READ auth certificate (EF 000A, no PIN)
//!   +-------+   6A82 (not a My Number Card) -> Failed("002:マイナンバーカード以外")
//!   | Idle  |   no answer / garbage          -> Failed("001:マイナンバーカードの認識不可")
//!   +-------+
//!       | ok
//!       v
//!  +------------+  pin     +-----------+ VERIFY 0018 63Cx -> EnterPin { tries_left } (MOCK-R101)
//!  | ChooseMode | -------> | EnterPin  | VERIFY 6983      -> Failed(PIN locked, MOCK-R102)
//!  +------------+          +-----------+ VERIFY 9000: SELECT EF 0017, SIGN(DigestInfo(SHA-256(nonce)))
//!     |      | face               |                 -> Authenticated(Signed)
//!     |      |  read 券面AP (SELECT, VERIFY PIN B from the printed card, READ FF20, decode DF27):
//!     |      |  photo missing or not decodable -> Failed(MOCK-R111), from which PIN or 目視 may be chosen
//!     |      v
//!     |  +-------------+ mismatch -> FaceCapture { attempts_left } (MOCK-R103); 10th -> Failed(MOCK-R104),
//!     |  | FaceCapture |             from which PIN or 目視 may still be chosen;
//!     |  |             | match    -> Authenticated(MockAttested { face })
//!     |  +-------------+
//!     | visual (目視)
//!     v
//!  +--------------+  staff confirms -> Authenticated(MockAttested { visual }); refuses -> Failed(MOCK-R106)
//!  | StaffConfirm |
//!  +--------------+
//!  Authenticated --(server verifies the proof)--> Consent --answers--> Done
//!  Authenticated --(revoked certificate)--> Failed(MOCK-R109); (expired card/certificate) --> Failed(MOCK-R110)
//!  Authenticated --(not registered for insurance use)--> Register --yes--> Consent
//!                                                                 --no---> Failed(MOCK-R108)
//!  any state --card removed (LinkError::Removed)--> Failed("MOCK-R105")
//! ```
//!
//! MOCK: the real face/目視 path signs through 特定機関認証 (a PIN-less protocol between the reader
//! and J-LIS that is not public). Here the reader proves nothing cryptographically in those modes:
//! it hands the server the auth certificate it read from the card with a "MOCK 特定機関" attestation
//! naming the method, and the server checks chain, expiry and the serial registry only. PIN mode is
//! the real thing: the card signs the server's nonce with the auth key.
//!
//! Message numbers: only `001` and `002` are public; every other message is this simulator's own
//! (`MOCK-R1nn`, table in [`ReaderMessage`]).

use std::fmt;

use sim_card::{FaceImageError, sha256_digest_info};

/// Consecutive face mismatches before the reader stops offering face recognition (MOCK figure).
pub const FACE_MAX_ATTEMPTS: u8 = 10;

/// Why a link failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The card left the reader.
    #[error("card removed")]
    Removed,
    /// The card did not answer sensibly.
    #[error("card did not answer: {0}")]
    NoAnswer(String),
}

/// The wire to a card: a C-APDU in, the R-APDU (data and SW1 SW2) out.
pub trait CardLink: Send {
    /// Sends one C-APDU.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, LinkError>;
}

/// An in-process link to a [`sim_card::VirtualCard`], with a removal switch.
pub struct VirtualLink {
    card: sim_card::VirtualCard,
    removed: bool,
}

impl VirtualLink {
    /// A powered card.
    pub fn new(mut card: sim_card::VirtualCard) -> VirtualLink {
        card.power_on();
        VirtualLink {
            card,
            removed: false,
        }
    }

    /// Takes the card out: every later transmit fails with [`LinkError::Removed`].
    pub fn remove(&mut self) {
        self.removed = true;
        self.card.power_off();
    }

    /// The card (to persist its PIN counters).
    pub fn card(&self) -> &sim_card::VirtualCard {
        &self.card
    }
}

impl CardLink for VirtualLink {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, LinkError> {
        if self.removed {
            return Err(LinkError::Removed);
        }
        Ok(self.card.transmit(apdu))
    }
}

/// A card that is not a My Number Card: answers `6A82` (file not found) to every SELECT.
#[derive(Debug, Default)]
pub struct ForeignCardLink;

impl CardLink for ForeignCardLink {
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, LinkError> {
        Ok(vec![0x6A, 0x82])
    }
}

/// A card the reader cannot talk to (dirty contacts, wrong orientation): no answer at all.
#[derive(Debug, Default)]
pub struct UnreadableCardLink;

impl CardLink for UnreadableCardLink {
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, LinkError> {
        Err(LinkError::NoAnswer("mute card".into()))
    }
}

/// How the patient identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 暗証番号 (the JPKI 利用者証明用 PIN).
    Pin,
    /// 顔認証.
    Face,
    /// 目視確認 by staff.
    Visual,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pin" => Ok(Mode::Pin),
            "face" => Ok(Mode::Face),
            "visual" => Ok(Mode::Visual),
            other => Err(format!("unknown mode {other:?} (pin, face or visual)")),
        }
    }
}

/// A message the reader shows. `001` and `002` are the real ones; the rest are MOCK numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderMessage {
    /// `001:マイナンバーカードの認識不可`.
    Unreadable,
    /// `002:マイナンバーカード以外`.
    NotMyNumberCard,
    /// `MOCK-R101`: wrong PIN, tries left.
    WrongPin(u8),
    /// `MOCK-R102`: PIN locked (市区町村窓口で初期化).
    PinLocked,
    /// `MOCK-R103`: face did not match, attempts left.
    FaceMismatch(u8),
    /// `MOCK-R104`: face recognition locked for this card.
    FaceLocked,
    /// `MOCK-R105`: the card was removed mid-flow.
    CardRemoved,
    /// `MOCK-R106`: staff did not confirm the patient (目視).
    VisualRefused,
    /// `MOCK-R107`: the server refused the card (certificate, chain, expiry, revocation, unknown serial).
    CardRefused,
    /// `MOCK-R108`: the card is not registered for insurance use (保険証利用登録) and the patient
    /// declined 初回登録.
    NotRegistered,
    /// `MOCK-R109`: the 利用者証明用電子証明書 is revoked (失効).
    CertificateRevoked,
    /// `MOCK-R110`: the card or its 電子証明書 has expired.
    CardExpired,
    /// `MOCK-R111`: the face photo in the 券面AP is missing or cannot be decoded, so face recognition
    /// cannot run; PIN or 目視 may still be chosen.
    FaceImageUnreadable,
}

impl ReaderMessage {
    /// The number shown (`001`, `MOCK-R101`, …).
    pub fn code(self) -> &'static str {
        match self {
            ReaderMessage::Unreadable => "001",
            ReaderMessage::NotMyNumberCard => "002",
            ReaderMessage::WrongPin(_) => "MOCK-R101",
            ReaderMessage::PinLocked => "MOCK-R102",
            ReaderMessage::FaceMismatch(_) => "MOCK-R103",
            ReaderMessage::FaceLocked => "MOCK-R104",
            ReaderMessage::CardRemoved => "MOCK-R105",
            ReaderMessage::VisualRefused => "MOCK-R106",
            ReaderMessage::CardRefused => "MOCK-R107",
            ReaderMessage::NotRegistered => "MOCK-R108",
            ReaderMessage::CertificateRevoked => "MOCK-R109",
            ReaderMessage::CardExpired => "MOCK-R110",
            ReaderMessage::FaceImageUnreadable => "MOCK-R111",
        }
    }
}

impl fmt::Display for ReaderMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            ReaderMessage::Unreadable => write!(f, "{code}:マイナンバーカードの認識不可"),
            ReaderMessage::NotMyNumberCard => write!(f, "{code}:マイナンバーカード以外"),
            ReaderMessage::WrongPin(n) => {
                write!(f, "{code}:暗証番号が違います（残り{n}回）")
            }
            ReaderMessage::PinLocked => {
                write!(
                    f,
                    "{code}:暗証番号がロックされています。市区町村窓口で初期化してください"
                )
            }
            ReaderMessage::FaceMismatch(n) => {
                write!(f, "{code}:顔認証できませんでした（残り{n}回）")
            }
            ReaderMessage::FaceLocked => {
                write!(
                    f,
                    "{code}:顔認証がロックされました。暗証番号か目視確認を選んでください"
                )
            }
            ReaderMessage::CardRemoved => write!(f, "{code}:カードが取り外されました"),
            ReaderMessage::VisualRefused => write!(f, "{code}:目視確認で本人確認できませんでした"),
            ReaderMessage::CardRefused => {
                write!(f, "{code}:このカードでは資格確認できません（電子証明書）")
            }
            ReaderMessage::NotRegistered => {
                write!(
                    f,
                    "{code}:保険証利用登録がされていません。初回登録を行ってください"
                )
            }
            ReaderMessage::CertificateRevoked => {
                write!(
                    f,
                    "{code}:電子証明書が失効しています。市区町村窓口にお問い合わせください"
                )
            }
            ReaderMessage::CardExpired => {
                write!(
                    f,
                    "{code}:カードまたは電子証明書の有効期限が切れています。市区町村窓口で更新してください"
                )
            }
            ReaderMessage::FaceImageUnreadable => {
                write!(
                    f,
                    "{code}:カードの顔写真を読み取れないため顔認証できません。暗証番号か目視確認を選んでください"
                )
            }
        }
    }
}

/// What the reader hands the server to identify the card.
#[derive(Clone, PartialEq, Eq)]
pub enum Proof {
    /// PIN mode: the card's signature over `DigestInfo(SHA-256(nonce))` with the auth key.
    Signed {
        /// The auth certificate (DER) read from the card.
        certificate: Vec<u8>,
        /// The signature.
        signature: Vec<u8>,
    },
    /// Face / 目視: MOCK 特定機関認証, no signature (see the module documentation).
    MockAttested {
        /// The auth certificate (DER) read from the card.
        certificate: Vec<u8>,
        /// Face or Visual.
        mode: Mode,
    },
}

impl fmt::Debug for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proof::Signed { certificate, .. } => f
                .debug_struct("Signed")
                .field("certificate_bytes", &certificate.len())
                .finish_non_exhaustive(),
            Proof::MockAttested { certificate, mode } => f
                .debug_struct("MockAttested")
                .field("certificate_bytes", &certificate.len())
                .field("mode", mode)
                .finish(),
        }
    }
}

/// The screen the reader shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Waiting for a card.
    Idle,
    /// Card read: choose 顔認証 / 暗証番号 / 目視.
    ChooseMode,
    /// Enter the PIN.
    EnterPin {
        /// Tries left on the card (3 when fresh).
        tries_left: u8,
        /// Shown after a wrong PIN.
        message: Option<ReaderMessage>,
    },
    /// Look at the camera.
    FaceCapture {
        /// Mismatches left before the face path locks.
        attempts_left: u8,
        /// Shown after a mismatch.
        message: Option<ReaderMessage>,
    },
    /// Staff check the face against the card.
    StaffConfirm,
    /// Identified: the server checks the proof.
    Authenticated(Proof),
    /// The card is not registered for insurance use: offer 初回登録 (保険証利用登録), yes or no.
    Register,
    /// Consent screens (薬剤・特定健診・診療・手術・限度額・特定疾病).
    Consent,
    /// Finished: the result is written.
    Done,
    /// The flow stopped with this message; no result file.
    Failed(ReaderMessage),
}

/// One patient at the reader.
#[derive(Debug)]
pub struct ReaderSession {
    screen: Screen,
    certificate: Vec<u8>,
    mode: Option<Mode>,
    face_failures: u8,
    pin_b: Option<Vec<u8>>,
    face_image: Option<Result<(), FaceImageError>>,
}

impl Default for ReaderSession {
    fn default() -> Self {
        Self::new()
    }
}

const SELECT_JPKI: [u8; 15] = [
    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
];

fn select_ef(fid: u16) -> Vec<u8> {
    let [hi, lo] = fid.to_be_bytes();
    vec![0x00, 0xA4, 0x02, 0x0C, 0x02, hi, lo]
}

fn split(r: &[u8]) -> (&[u8], u16) {
    match r.len() {
        0 | 1 => (&[], 0),
        n => (&r[..n - 2], u16::from_be_bytes([r[n - 2], r[n - 1]])),
    }
}

fn failed_link(e: LinkError) -> ReaderMessage {
    match e {
        LinkError::Removed => ReaderMessage::CardRemoved,
        LinkError::NoAnswer(_) => ReaderMessage::Unreadable,
    }
}

/// Reads the current EF as one BER-TLV (`FF20 82 hi lo …`): `None` when it is not one.
fn read_tlv_file(link: &mut dyn CardLink) -> Result<Option<Vec<u8>>, ReaderMessage> {
    let r = link
        .transmit(&[0x00, 0xB0, 0x00, 0x00, 0x05])
        .map_err(failed_link)?;
    let (head, sw) = split(&r);
    let Some((_, header, len)) = (sw == 0x9000).then(|| tlv_header(head)).flatten() else {
        return Ok(None);
    };
    let total = header + len;
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        let Ok(offset) = u16::try_from(out.len()) else {
            return Ok(None);
        };
        if offset > 0x7FFF {
            return Ok(None);
        }
        let want = (total - out.len()).min(256);
        let [hi, lo] = offset.to_be_bytes();
        let le = if want == 256 { 0 } else { want as u8 };
        let r = link
            .transmit(&[0x00, 0xB0, hi, lo, le])
            .map_err(failed_link)?;
        let (data, sw) = split(&r);
        if sw != 0x9000 || data.is_empty() {
            return Ok(None);
        }
        out.extend_from_slice(data);
    }
    out.truncate(total);
    Ok(Some(out))
}

/// A BER-TLV header at the start of `b`: (tag, header length, value length).
fn tlv_header(b: &[u8]) -> Option<(u16, usize, usize)> {
    let (tag, at) = match *b.first()? {
        t if t & 0x1F == 0x1F => (u16::from_be_bytes([t, *b.get(1)?]), 2),
        t => (u16::from(t), 1),
    };
    let first = *b.get(at)?;
    let (len, n) = match first {
        0..=0x7F => (usize::from(first), 1),
        0x81 => (usize::from(*b.get(at + 1)?), 2),
        0x82 => (
            usize::from(u16::from_be_bytes([*b.get(at + 1)?, *b.get(at + 2)?])),
            3,
        ),
        _ => return None,
    };
    Some((tag, at + n, len))
}

/// The value of `DF27` (the face photo) inside the `FF20` container `entries`.
fn find_face(entries: &[u8]) -> Option<Vec<u8>> {
    let (tag, header, len) = tlv_header(entries)?;
    let mut value = entries
        .get(header..header + len)
        .filter(|_| tag == 0xFF20)?;
    while !value.is_empty() {
        let (tag, header, len) = tlv_header(value)?;
        let field = value.get(header..header + len)?;
        if tag == 0xDF27 {
            return Some(field.to_vec());
        }
        value = &value[header + len..];
    }
    None
}

impl ReaderSession {
    /// A reader with no card.
    pub fn new() -> ReaderSession {
        ReaderSession {
            screen: Screen::Idle,
            certificate: Vec::new(),
            mode: None,
            face_failures: 0,
            pin_b: None,
            face_image: None,
        }
    }

    /// The 照合番号B (birth `YYMMDD` ‖ expiry `YYYY` ‖ security code) the reader's camera reads off the
    /// printed card, needed to read the 券面AP in face mode. MOCK: the camera does not read anything;
    /// the server hands over what is printed on the synthetic card. Without it the photo cannot be
    /// read (`MOCK-R111`). Never logged.
    pub fn set_printed_pin_b(&mut self, pin_b: Option<Vec<u8>>) {
        self.pin_b = pin_b;
    }

    /// The auth certificate (DER) read at insert (empty before).
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// Why the face photo could not be read, once face mode has tried.
    pub fn face_image_error(&self) -> Option<&FaceImageError> {
        self.face_image.as_ref().and_then(|r| r.as_ref().err())
    }

    /// What the reader shows.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// The mode chosen, if any.
    pub fn mode(&self) -> Option<Mode> {
        self.mode
    }

    fn fail(&mut self, m: ReaderMessage) -> &Screen {
        self.screen = Screen::Failed(m);
        &self.screen
    }

    /// A card is put on the reader: check it is a My Number Card and read its auth certificate.
    pub fn insert(&mut self, link: &mut dyn CardLink) -> &Screen {
        match self.read_certificate(link) {
            Ok(cert) => {
                self.certificate = cert;
                self.screen = Screen::ChooseMode;
            }
            Err(m) => self.screen = Screen::Failed(m),
        }
        &self.screen
    }

    fn read_certificate(&mut self, link: &mut dyn CardLink) -> Result<Vec<u8>, ReaderMessage> {
        let r = link.transmit(&SELECT_JPKI).map_err(failed_link)?;
        match split(&r).1 {
            0x9000 => {}
            0x6A82 | 0x6A86 | 0x6D00 | 0x6E00 => return Err(ReaderMessage::NotMyNumberCard),
            _ => return Err(ReaderMessage::Unreadable),
        }
        let r = link.transmit(&select_ef(0x000A)).map_err(failed_link)?;
        if split(&r).1 != 0x9000 {
            return Err(ReaderMessage::NotMyNumberCard);
        }
        let r = link
            .transmit(&[0x00, 0xB0, 0x00, 0x00, 0x04])
            .map_err(failed_link)?;
        let (head, sw) = split(&r);
        let total = match (sw, head) {
            (0x9000, [0x30, 0x82, hi, lo]) => 4 + usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => return Err(ReaderMessage::Unreadable),
        };
        let mut cert = Vec::with_capacity(total);
        while cert.len() < total {
            let offset = u16::try_from(cert.len()).map_err(|_| ReaderMessage::Unreadable)?;
            let want = (total - cert.len()).min(256);
            let [hi, lo] = offset.to_be_bytes();
            let le = if want == 256 { 0 } else { want as u8 };
            let r = link
                .transmit(&[0x00, 0xB0, hi, lo, le])
                .map_err(failed_link)?;
            let (data, sw) = split(&r);
            if sw != 0x9000 || data.is_empty() {
                return Err(ReaderMessage::Unreadable);
            }
            cert.extend_from_slice(data);
        }
        cert.truncate(total);
        Ok(cert)
    }

    /// The patient picks a mode on the ChooseMode screen (or switches before being identified, or
    /// after the face path locked). PIN mode asks the card for its tries left.
    pub fn choose(&mut self, link: &mut dyn CardLink, mode: Mode) -> &Screen {
        if !matches!(
            self.screen,
            Screen::ChooseMode
                | Screen::FaceCapture { .. }
                | Screen::EnterPin { .. }
                | Screen::Failed(ReaderMessage::FaceLocked | ReaderMessage::FaceImageUnreadable)
        ) {
            return &self.screen;
        }
        self.mode = Some(mode);
        self.screen = match mode {
            Mode::Pin => match self.pin_tries(link) {
                Ok(0) => Screen::Failed(ReaderMessage::PinLocked),
                Ok(n) => Screen::EnterPin {
                    tries_left: n,
                    message: None,
                },
                Err(m) => Screen::Failed(m),
            },
            Mode::Face if self.face_failures >= FACE_MAX_ATTEMPTS => {
                Screen::Failed(ReaderMessage::FaceLocked)
            }
            Mode::Face => match self.face_photo(link) {
                Ok(()) => Screen::FaceCapture {
                    attempts_left: FACE_MAX_ATTEMPTS - self.face_failures,
                    message: None,
                },
                Err(m) => Screen::Failed(m),
            },
            Mode::Visual => Screen::StaffConfirm,
        };
        &self.screen
    }

    /// Reads and decodes the face photo once per card (later calls reuse the verdict).
    fn face_photo(&mut self, link: &mut dyn CardLink) -> Result<(), ReaderMessage> {
        if self.face_image.is_none() {
            let photo = self.read_face_photo(link)?;
            self.face_image = Some(photo.and_then(|p| sim_card::check_face_image(&p)));
        }
        match self.face_image {
            Some(Ok(())) => Ok(()),
            _ => Err(ReaderMessage::FaceImageUnreadable),
        }
    }

    /// The 券面AP's `DF27`: `Err` for a link failure, `Ok(Err)` when the photo cannot be had.
    fn read_face_photo(
        &mut self,
        link: &mut dyn CardLink,
    ) -> Result<Result<Vec<u8>, FaceImageError>, ReaderMessage> {
        let unreadable = || FaceImageError::Malformed("券面AP not readable");
        let Some(pin_b) = self.pin_b.clone() else {
            return Ok(Err(unreadable()));
        };
        let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
        select.extend_from_slice(&sim_card::fs::AID_KENKAKU);
        let r = link.transmit(&select).map_err(failed_link)?;
        if split(&r).1 != 0x9000 {
            return Ok(Err(unreadable()));
        }
        let r = link
            .transmit(&select_ef(sim_card::fs::fid::KENKAKU_PIN_B))
            .map_err(failed_link)?;
        if split(&r).1 != 0x9000 {
            return Ok(Err(unreadable()));
        }
        let mut verify = vec![0x00, 0x20, 0x00, 0x80, pin_b.len() as u8];
        verify.extend_from_slice(&pin_b);
        let r = link.transmit(&verify);
        verify.fill(0);
        if split(&r.map_err(failed_link)?).1 != 0x9000 {
            return Ok(Err(unreadable()));
        }
        let r = link
            .transmit(&select_ef(sim_card::fs::fid::KENKAKU_ENTRIES))
            .map_err(failed_link)?;
        if split(&r).1 != 0x9000 {
            return Ok(Err(unreadable()));
        }
        let Some(entries) = read_tlv_file(link)? else {
            return Ok(Err(unreadable()));
        };
        Ok(Ok(find_face(&entries).unwrap_or_default()))
    }

    fn pin_tries(&mut self, link: &mut dyn CardLink) -> Result<u8, ReaderMessage> {
        let r = link.transmit(&SELECT_JPKI).map_err(failed_link)?;
        if split(&r).1 != 0x9000 {
            return Err(ReaderMessage::Unreadable);
        }
        let r = link
            .transmit(&[0x00, 0x20, 0x00, 0x98])
            .map_err(failed_link)?;
        match split(&r).1 {
            sw if sw & 0xFFF0 == 0x63C0 => Ok((sw & 0x0F) as u8),
            0x6983 => Ok(0),
            _ => Err(ReaderMessage::Unreadable),
        }
    }

    /// The patient enters the PIN: VERIFY, then (if right) the card signs `nonce` with the auth key.
    /// The PIN goes to the card only; it is never kept or logged.
    pub fn enter_pin(&mut self, link: &mut dyn CardLink, pin: &[u8], nonce: &[u8]) -> &Screen {
        if !matches!(self.screen, Screen::EnterPin { .. }) {
            return &self.screen;
        }
        match self.verify_and_sign(link, pin, nonce) {
            Ok(Ok(signature)) => {
                self.screen = Screen::Authenticated(Proof::Signed {
                    certificate: self.certificate.clone(),
                    signature,
                });
                &self.screen
            }
            Ok(Err(tries_left)) => {
                self.screen = Screen::EnterPin {
                    tries_left,
                    message: Some(ReaderMessage::WrongPin(tries_left)),
                };
                &self.screen
            }
            Err(m) => self.fail(m),
        }
    }

    /// `Ok(Ok(signature))`, `Ok(Err(tries_left))` for a wrong PIN, `Err` to stop.
    fn verify_and_sign(
        &mut self,
        link: &mut dyn CardLink,
        pin: &[u8],
        nonce: &[u8],
    ) -> Result<Result<Vec<u8>, u8>, ReaderMessage> {
        let r = link.transmit(&SELECT_JPKI).map_err(failed_link)?;
        if split(&r).1 != 0x9000 {
            return Err(ReaderMessage::Unreadable);
        }
        let len = u8::try_from(pin.len()).map_err(|_| ReaderMessage::WrongPin(0))?;
        let mut verify = vec![0x00, 0x20, 0x00, 0x98, len];
        verify.extend_from_slice(pin);
        let r = link.transmit(&verify);
        verify.fill(0);
        let r = r.map_err(failed_link)?;
        match split(&r).1 {
            0x9000 => {}
            0x6983 => return Err(ReaderMessage::PinLocked),
            sw if sw & 0xFFF0 == 0x63C0 => return Ok(Err((sw & 0x0F) as u8)),
            // A malformed PIN (wrong length) is refused by the card without counting.
            0x6700 | 0x6A80 => return Ok(Err(self.pin_tries(link)?)),
            _ => return Err(ReaderMessage::Unreadable),
        }
        let r = link.transmit(&select_ef(0x0017)).map_err(failed_link)?;
        if split(&r).1 != 0x9000 {
            return Err(ReaderMessage::Unreadable);
        }
        let digest_info = sha256_digest_info(nonce);
        let mut sign = vec![0x80, 0x2A, 0x00, 0x80, digest_info.len() as u8];
        sign.extend_from_slice(&digest_info);
        sign.push(0x00);
        let r = link.transmit(&sign).map_err(failed_link)?;
        match split(&r) {
            (sig, 0x9000) if !sig.is_empty() => Ok(Ok(sig.to_vec())),
            _ => Err(ReaderMessage::Unreadable),
        }
    }

    /// The camera's verdict (an input: the simulator does not look at faces). The card is checked
    /// to be still there; a match gives the MOCK 特定機関 attestation.
    pub fn face(&mut self, link: &mut dyn CardLink, matched: bool) -> &Screen {
        if !matches!(self.screen, Screen::FaceCapture { .. }) {
            return &self.screen;
        }
        if let Err(m) = self.still_there(link) {
            return self.fail(m);
        }
        if matched {
            self.screen = Screen::Authenticated(Proof::MockAttested {
                certificate: self.certificate.clone(),
                mode: Mode::Face,
            });
        } else {
            self.face_failures = self.face_failures.saturating_add(1);
            self.screen = if self.face_failures >= FACE_MAX_ATTEMPTS {
                Screen::Failed(ReaderMessage::FaceLocked)
            } else {
                let left = FACE_MAX_ATTEMPTS - self.face_failures;
                Screen::FaceCapture {
                    attempts_left: left,
                    message: Some(ReaderMessage::FaceMismatch(left)),
                }
            };
        }
        &self.screen
    }

    /// Staff confirm (or not) that the patient is the person on the card (目視).
    pub fn staff_confirm(&mut self, link: &mut dyn CardLink, confirmed: bool) -> &Screen {
        if self.screen != Screen::StaffConfirm {
            return &self.screen;
        }
        if let Err(m) = self.still_there(link) {
            return self.fail(m);
        }
        if !confirmed {
            return self.fail(ReaderMessage::VisualRefused);
        }
        self.screen = Screen::Authenticated(Proof::MockAttested {
            certificate: self.certificate.clone(),
            mode: Mode::Visual,
        });
        &self.screen
    }

    fn still_there(&mut self, link: &mut dyn CardLink) -> Result<(), ReaderMessage> {
        let r = link.transmit(&SELECT_JPKI).map_err(failed_link)?;
        if split(&r).1 == 0x9000 {
            Ok(())
        } else {
            Err(ReaderMessage::Unreadable)
        }
    }

    /// The server's verdict on the proof: accepted → the consent screens; refused → the message.
    pub fn server_verdict(&mut self, verdict: Result<(), ReaderMessage>) -> &Screen {
        if !matches!(self.screen, Screen::Authenticated(_)) {
            return &self.screen;
        }
        self.screen = match verdict {
            Ok(()) => Screen::Consent,
            Err(m) => Screen::Failed(m),
        };
        &self.screen
    }

    /// The server found the card valid but not registered for insurance use: offer 初回登録.
    pub fn offer_registration(&mut self) -> &Screen {
        if matches!(self.screen, Screen::Authenticated(_)) {
            self.screen = Screen::Register;
        }
        &self.screen
    }

    /// The patient's answer to 初回登録: yes → the consent screens (the server records the
    /// registration); no → `MOCK-R108`, no result.
    pub fn register(&mut self, link: &mut dyn CardLink, yes: bool) -> &Screen {
        if self.screen != Screen::Register {
            return &self.screen;
        }
        if let Err(m) = self.still_there(link) {
            return self.fail(m);
        }
        if !yes {
            return self.fail(ReaderMessage::NotRegistered);
        }
        self.screen = Screen::Consent;
        &self.screen
    }

    /// The consent answers were given and the result written.
    pub fn finish(&mut self, link: &mut dyn CardLink) -> &Screen {
        if self.screen != Screen::Consent {
            return &self.screen;
        }
        if let Err(m) = self.still_there(link) {
            return self.fail(m);
        }
        self.screen = Screen::Done;
        &self.screen
    }
}
