//! ISO 7816-4 status words (SW1 SW2) the card answers with, as named constants.
//!
//! Only the words the mock actually produces are listed. Which command answers which word is described in
//! the `apdu` modules; the table in the project's `mynumber-card.md` (§2.6) is the source.

/// A status word: SW1 in the high byte, SW2 in the low byte.
pub type StatusWord = u16;

/// Normal processing.
pub const SW_OK: StatusWord = 0x9000;
/// VERIFY failed or retry query: `63Cx`, x = tries left. Build it with [`sw_tries_left`].
pub const SW_VERIFY_FAILED_BASE: StatusWord = 0x63C0;
/// Wrong length (Lc or Le), or a malformed APDU.
pub const SW_WRONG_LENGTH: StatusWord = 0x6700;
/// Command incompatible with the file structure (e.g. READ BINARY on a PIN EF).
pub const SW_INCOMPATIBLE_FILE: StatusWord = 0x6981;
/// Security status not satisfied (PIN not verified).
pub const SW_SECURITY_NOT_SATISFIED: StatusWord = 0x6982;
/// Authentication method blocked (PIN locked).
pub const SW_PIN_BLOCKED: StatusWord = 0x6983;
/// Command not allowed: no current EF, or the current EF is of the wrong kind.
pub const SW_NO_CURRENT_EF: StatusWord = 0x6986;
/// Incorrect parameters in the data field (e.g. a new PIN that breaks the PIN format).
pub const SW_WRONG_DATA: StatusWord = 0x6A80;
/// File or application not found.
pub const SW_FILE_NOT_FOUND: StatusWord = 0x6A82;
/// Incorrect parameters P1-P2.
pub const SW_WRONG_P1P2: StatusWord = 0x6A86;
/// Referenced data (PIN) not found.
pub const SW_REF_DATA_NOT_FOUND: StatusWord = 0x6A88;
/// Wrong parameters: offset outside the EF.
pub const SW_OFFSET_OUT_OF_RANGE: StatusWord = 0x6B00;
/// Instruction code not supported.
pub const SW_INS_NOT_SUPPORTED: StatusWord = 0x6D00;
/// Class not supported.
pub const SW_CLA_NOT_SUPPORTED: StatusWord = 0x6E00;
/// No precise diagnosis (an internal failure, e.g. the signature could not be computed).
pub const SW_UNKNOWN: StatusWord = 0x6F00;

/// `63Cx` with x = `tries_left` (clamped to 15).
pub fn sw_tries_left(tries_left: u8) -> StatusWord {
    SW_VERIFY_FAILED_BASE | StatusWord::from(tries_left.min(0x0F))
}
