//! C-APDU parsing (ISO 7816-4 §5.1): header, short and extended Lc/Le, cases 1–4.
//!
//! The parser borrows the raw bytes and never panics: anything that is not a well-formed APDU is an
//! [`ApduError`], which the card answers with `6700`. `Le = 00` (short) means 256 and `Le = 0000`
//! (extended) means 65536, so [`Command::ne`] is always the number of bytes the client accepts.

use thiserror::Error;

/// Why a byte string is not a C-APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer than the four header bytes.
    #[error("apdu shorter than its 4-byte header ({0} bytes)")]
    TooShort(usize),
    /// The body length does not match any of the ISO cases.
    #[error("apdu body of {body} bytes does not match its length fields")]
    BadLength {
        /// Number of bytes after the header.
        body: usize,
    },
}

/// A parsed command APDU. `data` borrows from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command<'a> {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (empty for cases 1 and 2).
    pub data: &'a [u8],
    /// Maximum response length Ne, `None` when no Le field was sent (cases 1 and 3).
    pub ne: Option<usize>,
    /// Whether the length fields used the extended form.
    pub extended: bool,
}

impl<'a> Command<'a> {
    /// Parses a C-APDU. Never panics.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ApduError> {
        let (header, body) = match bytes {
            [cla, ins, p1, p2, body @ ..] => ([*cla, *ins, *p1, *p2], body),
            _ => return Err(ApduError::TooShort(bytes.len())),
        };
        let bad = ApduError::BadLength { body: body.len() };
        let (data, ne, extended): (&[u8], Option<usize>, bool) = match body {
            // Case 1.
            [] => (&[], None, false),
            // Case 2S.
            [le] => (&[], Some(short_ne(*le)), false),
            // Extended forms start with a 00 byte and need at least 3 body bytes.
            [0, rest @ ..] => match rest {
                // Case 2E.
                [hi, lo] => (&[], Some(extended_ne(*hi, *lo)), true),
                [hi, lo, tail @ ..] => {
                    let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                    if lc == 0 {
                        return Err(bad);
                    }
                    match tail.len().checked_sub(lc) {
                        // Case 3E.
                        Some(0) => (tail, None, true),
                        // Case 4E.
                        Some(2) => {
                            let (data, le) = tail.split_at(lc);
                            match le {
                                [hi, lo] => (data, Some(extended_ne(*hi, *lo)), true),
                                _ => return Err(bad),
                            }
                        }
                        _ => return Err(bad),
                    }
                }
                _ => return Err(bad),
            },
            [lc, tail @ ..] => {
                let lc = usize::from(*lc);
                match tail.len().checked_sub(lc) {
                    // Case 3S.
                    Some(0) => (tail, None, false),
                    // Case 4S.
                    Some(1) => {
                        let (data, le) = tail.split_at(lc);
                        match le {
                            [le] => (data, Some(short_ne(*le)), false),
                            _ => return Err(bad),
                        }
                    }
                    _ => return Err(bad),
                }
            }
        };
        let [cla, ins, p1, p2] = header;
        Ok(Self {
            cla,
            ins,
            p1,
            p2,
            data,
            ne,
            extended,
        })
    }

    /// P1 and P2 as one big-endian number.
    pub fn p1p2(&self) -> u16 {
        u16::from_be_bytes([self.p1, self.p2])
    }
}

fn short_ne(le: u8) -> usize {
    if le == 0 { 256 } else { usize::from(le) }
}

fn extended_ne(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => 65536,
        n => usize::from(n),
    }
}

#[cfg(test)]
mod tests;
