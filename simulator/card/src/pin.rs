//! PINs: which PINs the card holds, their formats and retry limits, and the retry counters.
//!
//! A [`PinValue`] never shows its bytes in `Debug` output. The counters live here, not in the session:
//! they survive power cycles, and [`PinCounters`] exports and imports them so the server can persist a
//! card between runs.

use std::fmt;

/// Every PIN (reference data) on the card, in AP order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PinId {
    /// JPKI AP `0018`: 利用者証明用パスワード, 4 digits, 3 tries.
    JpkiAuth,
    /// JPKI AP `001B`: 署名用パスワード, 6–16 of `A–Z 0–9`, 5 tries.
    JpkiSign,
    /// 券面事項入力補助AP `0011`: 券面事項入力補助用暗証番号, 4 digits, 3 tries.
    Kenhojo,
    /// 券面事項入力補助AP `0014`: PIN A (the 12-digit My Number), 10 tries.
    KenhojoPinA,
    /// 券面事項入力補助AP `0015`: PIN B (birth YYMMDD + expiry YYYY + security code), 10 tries.
    KenhojoPinB,
    /// 券面AP `0013`: PIN A (the 12-digit My Number), 10 tries.
    KenkakuPinA,
    /// 券面AP `0012`: PIN B (birth YYMMDD + expiry YYYY + security code), 10 tries.
    KenkakuPinB,
    /// 住基AP `001C`: 住民基本台帳用暗証番号, 4 digits, 3 tries.
    Juki,
}

impl PinId {
    /// All PINs, in a fixed order.
    pub const ALL: [PinId; 8] = [
        PinId::JpkiAuth,
        PinId::JpkiSign,
        PinId::Kenhojo,
        PinId::KenhojoPinA,
        PinId::KenhojoPinB,
        PinId::KenkakuPinA,
        PinId::KenkakuPinB,
        PinId::Juki,
    ];

    /// The format rule and the retry limit of this PIN.
    pub fn policy(self) -> PinPolicy {
        match self {
            PinId::JpkiAuth | PinId::Kenhojo | PinId::Juki => PinPolicy::digits(4, 4, 3),
            PinId::JpkiSign => PinPolicy {
                charset: PinCharset::UpperAlnum,
                min_len: 6,
                max_len: 16,
                max_tries: 5,
            },
            PinId::KenhojoPinA | PinId::KenkakuPinA => PinPolicy::digits(12, 12, 10),
            PinId::KenhojoPinB | PinId::KenkakuPinB => PinPolicy::digits(14, 14, 10),
        }
    }

    /// A stable lowercase name, for persistence and logs.
    pub fn name(self) -> &'static str {
        match self {
            PinId::JpkiAuth => "jpki-auth",
            PinId::JpkiSign => "jpki-sign",
            PinId::Kenhojo => "kenhojo",
            PinId::KenhojoPinA => "kenhojo-pin-a",
            PinId::KenhojoPinB => "kenhojo-pin-b",
            PinId::KenkakuPinA => "kenkaku-pin-a",
            PinId::KenkakuPinB => "kenkaku-pin-b",
            PinId::Juki => "juki",
        }
    }

    /// The inverse of [`PinId::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Bit of this PIN in a verified-PIN set.
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Characters a PIN may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCharset {
    /// ASCII `0–9`.
    Digits,
    /// ASCII `A–Z` and `0–9`.
    UpperAlnum,
}

/// Format rule and retry limit of a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPolicy {
    /// Allowed characters.
    pub charset: PinCharset,
    /// Minimum length in bytes.
    pub min_len: usize,
    /// Maximum length in bytes.
    pub max_len: usize,
    /// Consecutive wrong tries before the PIN locks.
    pub max_tries: u8,
}

impl PinPolicy {
    const fn digits(min_len: usize, max_len: usize, max_tries: u8) -> Self {
        Self {
            charset: PinCharset::Digits,
            min_len,
            max_len,
            max_tries,
        }
    }

    /// Whether `value` is a well-formed PIN under this policy.
    pub fn accepts(&self, value: &[u8]) -> bool {
        let charset_ok = value.iter().all(|b| match self.charset {
            PinCharset::Digits => b.is_ascii_digit(),
            PinCharset::UpperAlnum => b.is_ascii_digit() || b.is_ascii_uppercase(),
        });
        charset_ok && (self.min_len..=self.max_len).contains(&value.len())
    }
}

/// The secret value of a PIN (ASCII bytes). `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct PinValue(Vec<u8>);

impl PinValue {
    /// Wraps PIN bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The PIN bytes (for persistence; never log them).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Compares without an early exit on the first differing byte.
    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        self.0.len() == candidate.len()
            && self
                .0
                .iter()
                .zip(candidate)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl fmt::Debug for PinValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinValue(***)")
    }
}

/// One PIN's persistent state: its value and tries left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRecord {
    /// Which PIN.
    pub pin: PinId,
    /// Current value (changes with CHANGE REFERENCE DATA).
    pub value: PinValue,
    /// Tries left; 0 means locked. Never above the policy's `max_tries`.
    pub tries_left: u8,
}

/// Exported retry counters and PIN values of every PIN on a card.
///
/// The server stores this between runs and hands it back to [`crate::VirtualCard::import_pins`].
/// A plain struct on purpose: the wire/storage format is the server's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinCounters {
    /// One record per PIN, in [`PinId::ALL`] order.
    pub records: Vec<PinRecord>,
}

/// Result of checking a candidate PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VerifyOutcome {
    /// Correct; the counter was reset.
    Accepted,
    /// Wrong; `tries_left` remain (0 = it just locked).
    Rejected { tries_left: u8 },
    /// Already locked; the counter did not move.
    Blocked,
}

/// The PINs of one card with their counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PinStore {
    records: Vec<PinRecord>,
}

impl PinStore {
    /// A store with every PIN at full tries.
    pub(crate) fn new(values: impl Fn(PinId) -> PinValue) -> Self {
        let records = PinId::ALL
            .into_iter()
            .map(|pin| PinRecord {
                pin,
                value: values(pin),
                tries_left: pin.policy().max_tries,
            })
            .collect();
        Self { records }
    }

    fn record_mut(&mut self, pin: PinId) -> Option<&mut PinRecord> {
        self.records.iter_mut().find(|r| r.pin == pin)
    }

    pub(crate) fn tries_left(&self, pin: PinId) -> u8 {
        self.records
            .iter()
            .find(|r| r.pin == pin)
            .map_or(0, |r| r.tries_left)
    }

    pub(crate) fn is_blocked(&self, pin: PinId) -> bool {
        self.tries_left(pin) == 0
    }

    /// Checks `candidate`, updating the counter.
    pub(crate) fn verify(&mut self, pin: PinId, candidate: &[u8]) -> VerifyOutcome {
        let Some(record) = self.record_mut(pin) else {
            return VerifyOutcome::Blocked;
        };
        if record.tries_left == 0 {
            return VerifyOutcome::Blocked;
        }
        if record.value.matches(candidate) {
            record.tries_left = pin.policy().max_tries;
            VerifyOutcome::Accepted
        } else {
            record.tries_left -= 1;
            VerifyOutcome::Rejected {
                tries_left: record.tries_left,
            }
        }
    }

    /// Replaces the value and resets the counter. The caller has checked the format.
    pub(crate) fn set_value(&mut self, pin: PinId, value: PinValue) {
        if let Some(record) = self.record_mut(pin) {
            record.value = value;
            record.tries_left = pin.policy().max_tries;
        }
    }

    pub(crate) fn export(&self) -> PinCounters {
        PinCounters {
            records: self.records.clone(),
        }
    }

    /// Takes over the records in `counters`; PINs missing there keep their state, and counters above the
    /// maximum are clamped so an imported file cannot create an impossible state.
    pub(crate) fn import(&mut self, counters: &PinCounters) {
        for incoming in &counters.records {
            if let Some(record) = self.record_mut(incoming.pin) {
                record.value = incoming.value.clone();
                record.tries_left = incoming.tries_left.min(incoming.pin.policy().max_tries);
            }
        }
    }

    pub(crate) fn records(&self) -> &[PinRecord] {
        &self.records
    }
}
