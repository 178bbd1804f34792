//! Sans-IO codec of vsmartcard's vpcd protocol: `u16` big-endian length, then the payload, both ways.
//!
//! From vpcd to the card, a 1-byte payload is a control byte (`00` power off, `01` power on, `02` reset,
//! `04` get ATR); anything longer is a C-APDU. The card answers GET ATR with the ATR and an APDU with the
//! R-APDU, framed the same way; power events get no answer. [`Deframer`] is fed arbitrary chunks (TCP
//! gives no message boundaries) and yields whole payloads; bad input is an error value, never a panic.

use crate::card::VirtualCard;
use thiserror::Error;

/// Control byte: power off.
pub const CTRL_POWER_OFF: u8 = 0x00;
/// Control byte: power on.
pub const CTRL_POWER_ON: u8 = 0x01;
/// Control byte: reset.
pub const CTRL_RESET: u8 = 0x02;
/// Control byte: get ATR.
pub const CTRL_GET_ATR: u8 = 0x04;
/// Largest payload a frame can carry.
pub const MAX_PAYLOAD: usize = u16::MAX as usize;

/// Malformed vpcd traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VpcdError {
    /// A frame of length 0.
    #[error("empty vpcd frame")]
    EmptyFrame,
    /// A 1-byte frame with an unknown control byte.
    #[error("unknown vpcd control byte {0:#04x}")]
    UnknownControl(u8),
    /// A payload longer than a frame can carry.
    #[error("payload of {0} bytes does not fit a vpcd frame")]
    TooLong(usize),
}

/// One message from vpcd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpcdRequest {
    /// `00`.
    PowerOff,
    /// `01`.
    PowerOn,
    /// `02`.
    Reset,
    /// `04`.
    GetAtr,
    /// A C-APDU (two or more bytes).
    Apdu(Vec<u8>),
}

impl VpcdRequest {
    /// Interprets one payload.
    pub fn decode(payload: &[u8]) -> Result<Self, VpcdError> {
        match payload {
            [] => Err(VpcdError::EmptyFrame),
            [CTRL_POWER_OFF] => Ok(Self::PowerOff),
            [CTRL_POWER_ON] => Ok(Self::PowerOn),
            [CTRL_RESET] => Ok(Self::Reset),
            [CTRL_GET_ATR] => Ok(Self::GetAtr),
            [other] => Err(VpcdError::UnknownControl(*other)),
            apdu => Ok(Self::Apdu(apdu.to_vec())),
        }
    }

    /// The payload bytes (what vpcd would send, unframed).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::PowerOff => vec![CTRL_POWER_OFF],
            Self::PowerOn => vec![CTRL_POWER_ON],
            Self::Reset => vec![CTRL_RESET],
            Self::GetAtr => vec![CTRL_GET_ATR],
            Self::Apdu(apdu) => apdu.clone(),
        }
    }
}

/// Frames a payload: `len_hi len_lo payload`.
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, VpcdError> {
    let len = u16::try_from(payload.len()).map_err(|_| VpcdError::TooLong(payload.len()))?;
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Incremental deframer for either direction.
#[derive(Debug, Default, Clone)]
pub struct Deframer {
    buf: Vec<u8>,
}

impl Deframer {
    /// An empty deframer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete payload, if one is buffered.
    pub fn next_payload(&mut self) -> Option<Vec<u8>> {
        let len = match self.buf.as_slice() {
            [hi, lo, ..] => usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => return None,
        };
        let end = 2 + len;
        let payload = self.buf.get(2..end)?.to_vec();
        self.buf.drain(..end);
        Some(payload)
    }

    /// The next complete request from vpcd. A malformed frame is consumed and reported, so the stream
    /// stays in step.
    pub fn next_request(&mut self) -> Option<Result<VpcdRequest, VpcdError>> {
        self.next_payload()
            .map(|payload| VpcdRequest::decode(&payload))
    }
}

/// Runs one request against the card. Returns the payload to send back (unframed), or `None` for the
/// power events, which vpcd does not expect an answer to.
pub fn respond(card: &mut VirtualCard, request: &VpcdRequest) -> Option<Vec<u8>> {
    match request {
        VpcdRequest::PowerOff => {
            card.power_off();
            None
        }
        VpcdRequest::PowerOn => {
            card.power_on();
            None
        }
        VpcdRequest::Reset => {
            card.reset();
            None
        }
        VpcdRequest::GetAtr => Some(card.atr().to_vec()),
        VpcdRequest::Apdu(apdu) => Some(card.transmit(apdu)),
    }
}

#[cfg(test)]
mod tests;
