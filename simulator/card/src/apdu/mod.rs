//! APDU handling: parsing, the per-session state, and the dispatch to one module per command family.
//!
//! `dispatch` is the only entry point used by [`crate::VirtualCard`]. Class and instruction bytes decide
//! the family; unknown ones answer `6E00` / `6D00`, so OpenSC's other drivers never claim the card.

mod challenge;
mod change_pin;
pub mod command;
mod read_binary;
mod select;
mod sign;
mod verify;

pub use command::{ApduError, Command};

use crate::fs::{AppId, Application, EfKind, FileSystem, KeyId};
use crate::pin::{PinId, PinStore};
use crate::sw::{self, StatusWord};
use rsa::RsaPrivateKey;

/// Class byte of the interindustry commands.
pub const CLA_ISO: u8 = 0x00;
/// Class byte of the proprietary commands (COMPUTE DIGITAL SIGNATURE).
pub const CLA_PROPRIETARY: u8 = 0x80;
/// SELECT.
pub const INS_SELECT: u8 = 0xA4;
/// READ BINARY.
pub const INS_READ_BINARY: u8 = 0xB0;
/// VERIFY.
pub const INS_VERIFY: u8 = 0x20;
/// CHANGE REFERENCE DATA.
pub const INS_CHANGE_REFERENCE_DATA: u8 = 0x24;
/// GET CHALLENGE.
pub const INS_GET_CHALLENGE: u8 = 0x84;
/// COMPUTE DIGITAL SIGNATURE (JPKI, CLA `80`).
pub const INS_COMPUTE_SIGNATURE: u8 = 0x2A;

/// A response APDU: data followed by the status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data (may be empty).
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: StatusWord,
}

impl Response {
    /// A response with no data.
    pub fn status(sw: StatusWord) -> Self {
        Self {
            data: Vec::new(),
            sw,
        }
    }

    /// Data with `9000`.
    pub fn ok(data: Vec<u8>) -> Self {
        Self {
            data,
            sw: sw::SW_OK,
        }
    }

    /// The R-APDU bytes: data ‖ SW1 ‖ SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_be_bytes());
        out
    }
}

/// The powered card's session: which DF is current. Cleared on power events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Session {
    /// Powered, no application selected.
    AwaitSelect(AwaitSelect),
    /// An application is selected.
    AppOpen(AppOpen),
}

/// State: powered, the MF is current, nothing verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct AwaitSelect;

/// State: an application is selected; its security state lives here and dies with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AppOpen {
    /// The current DF.
    pub(crate) app: AppId,
    /// The current EF, if one was selected.
    pub(crate) ef: Option<u16>,
    /// Bit set of verified PINs ([`PinId::bit`]).
    pub(crate) verified: u16,
}

impl AppOpen {
    pub(crate) fn new(app: AppId) -> Self {
        Self {
            app,
            ef: None,
            verified: 0,
        }
    }

    pub(crate) fn is_verified(&self, pin: PinId) -> bool {
        self.verified & pin.bit() != 0
    }

    pub(crate) fn set_verified(&mut self, pin: PinId, verified: bool) {
        if verified {
            self.verified |= pin.bit();
        } else {
            self.verified &= !pin.bit();
        }
    }
}

/// The two JPKI private keys.
#[derive(Clone)]
pub(crate) struct CardKeys {
    pub(crate) auth: RsaPrivateKey,
    pub(crate) sign: RsaPrivateKey,
}

impl CardKeys {
    pub(crate) fn get(&self, key: KeyId) -> &RsaPrivateKey {
        match key {
            KeyId::JpkiAuth => &self.auth,
            KeyId::JpkiSign => &self.sign,
        }
    }
}

impl std::fmt::Debug for CardKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardKeys(***)")
    }
}

/// Source of GET CHALLENGE bytes, injected by the caller so the core stays deterministic.
pub trait ChallengeSource: Send {
    /// Fills `out` with challenge bytes.
    fn fill(&mut self, out: &mut [u8]);
}

impl ChallengeSource for rand_chacha::ChaCha20Rng {
    fn fill(&mut self, out: &mut [u8]) {
        rand_core::RngCore::fill_bytes(self, out);
    }
}

/// What an empty VERIFY (retry query) answers on a locked PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockedQueryReply {
    /// `6983` (ISO "authentication method blocked"). OpenSC then refuses the whole card.
    #[default]
    Blocked,
    /// `63C0` (zero tries left), which OpenSC tolerates.
    ZeroTries,
}

/// Everything a command handler may touch besides the session.
pub(crate) struct Ctx<'a> {
    pub(crate) fs: &'a FileSystem,
    pub(crate) pins: &'a mut PinStore,
    pub(crate) keys: &'a CardKeys,
    pub(crate) challenges: &'a mut dyn ChallengeSource,
    pub(crate) blocked_query: BlockedQueryReply,
}

/// Runs one raw C-APDU against the session.
pub(crate) fn dispatch(session: &mut Session, ctx: &mut Ctx<'_>, raw: &[u8]) -> Response {
    let Ok(cmd) = Command::parse(raw) else {
        return Response::status(sw::SW_WRONG_LENGTH);
    };
    match (cmd.cla, cmd.ins) {
        (CLA_ISO, INS_SELECT) => select::handle(session, ctx, &cmd),
        (CLA_ISO, INS_READ_BINARY) => read_binary::handle(session, ctx, &cmd),
        (CLA_ISO, INS_VERIFY) => verify::handle(session, ctx, &cmd),
        (CLA_ISO, INS_CHANGE_REFERENCE_DATA) => change_pin::handle(session, ctx, &cmd),
        (CLA_ISO, INS_GET_CHALLENGE) => challenge::handle(ctx, &cmd),
        (CLA_PROPRIETARY, INS_COMPUTE_SIGNATURE) => sign::handle(session, ctx, &cmd),
        (CLA_ISO | CLA_PROPRIETARY, _) => Response::status(sw::SW_INS_NOT_SUPPORTED),
        _ => Response::status(sw::SW_CLA_NOT_SUPPORTED),
    }
}

/// The open application and its file table, or `6986` when no DF is selected.
pub(crate) fn open_app<'s, 'f>(
    session: &'s mut Session,
    fs: &'f FileSystem,
) -> Result<(&'s mut AppOpen, &'f Application), Response> {
    match session {
        Session::AppOpen(open) => match fs.app(open.app) {
            Some(app) => Ok((open, app)),
            None => Err(Response::status(sw::SW_FILE_NOT_FOUND)),
        },
        Session::AwaitSelect(_) => Err(Response::status(sw::SW_NO_CURRENT_EF)),
    }
}

/// The PIN addressed by VERIFY / CHANGE REFERENCE DATA: P2 `80` = current EF, `80|SFI` = EF `00 SFI`.
pub(crate) fn pin_reference(
    open: &AppOpen,
    app: &Application,
    p2: u8,
) -> Result<PinId, StatusWord> {
    match p2 {
        0x80 => match open.ef.and_then(|fid| app.ef(fid)).map(|ef| &ef.kind) {
            Some(EfKind::Pin(pin)) => Ok(*pin),
            Some(_) => Err(sw::SW_REF_DATA_NOT_FOUND),
            None => Err(sw::SW_NO_CURRENT_EF),
        },
        0x81..=0x9E => app.pin_by_sfi(p2 & 0x1F).ok_or(sw::SW_REF_DATA_NOT_FOUND),
        _ => Err(sw::SW_WRONG_P1P2),
    }
}

#[cfg(test)]
mod tests;
