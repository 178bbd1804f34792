//! 個人番号 (My Number): the official check digit and a generator of mock numbers.
//!
//! Check digit (the rule published with the 番号法 ordinances, 検査用数字): with `P(n)` the n-th of the first 11 digits counted from the right and `Q(n) = n + 1` for
//! n ≤ 6, `n − 5` for n ≥ 7, the check digit is `11 − (Σ P(n)·Q(n) mod 11)`, or 0 when the remainder is
//! 0 or 1.

use std::fmt;
use thiserror::Error;

/// Why a string is not a valid My Number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MyNumberError {
    /// Not exactly 12 ASCII digits.
    #[error("a my number is 12 ascii digits")]
    Format,
    /// The 12th digit is not the check digit of the first 11.
    #[error("wrong check digit (expected {expected})")]
    CheckDigit {
        /// The correct check digit.
        expected: u8,
    },
}

/// A 12-digit 個人番号 with a valid check digit. It doubles as PIN A, so `Debug` masks all but the
/// check digit; `Display` shows it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MyNumber([u8; 12]);

impl MyNumber {
    /// Parses 12 ASCII digits and checks the check digit.
    pub fn parse(text: &str) -> Result<Self, MyNumberError> {
        let bytes: [u8; 12] = text
            .as_bytes()
            .try_into()
            .map_err(|_| MyNumberError::Format)?;
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(MyNumberError::Format);
        }
        let mut first = [0u8; 11];
        for (d, b) in first.iter_mut().zip(&bytes) {
            *d = b - b'0';
        }
        let expected = check_digit(&first);
        if bytes[11] - b'0' != expected {
            return Err(MyNumberError::CheckDigit { expected });
        }
        Ok(Self(bytes))
    }

    /// Builds a number from 11 digits (each 0–9, larger values are reduced mod 10) plus their check digit.
    pub fn from_body(body: [u8; 11]) -> Self {
        let body = body.map(|d| d % 10);
        let mut out = [0u8; 12];
        for (o, d) in out.iter_mut().zip(&body) {
            *o = b'0' + d;
        }
        out[11] = b'0' + check_digit(&body);
        Self(out)
    }

    /// A deterministic mock number from a seed: 11 digits taken from the seed bytes, plus the check digit.
    pub fn mock_from_seed(seed: &[u8; 32]) -> Self {
        let mut body = [0u8; 11];
        for (d, s) in body.iter_mut().zip(seed) {
            *d = s % 10;
        }
        Self::from_body(body)
    }

    /// The 12 ASCII digits.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// The 12 digits as text.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MyNumber(***********{})",
            self.as_str().get(11..).unwrap_or_default()
        )
    }
}

impl fmt::Display for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The check digit of 11 digits (each 0–9), most significant first.
pub fn check_digit(body: &[u8; 11]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &p)| {
            let n = i as u32 + 1;
            let q = if n <= 6 { n + 1 } else { n - 5 };
            u32::from(p) * q
        })
        .sum();
    let remainder = sum % 11;
    if remainder <= 1 {
        0
    } else {
        (11 - remainder) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_number_has_its_check_digit() {
        // The number printed by jpki-cli in the reference notes (§6.6).
        assert!(MyNumber::parse("123456789018").is_ok());
        assert_eq!(
            MyNumber::parse("123456789010"),
            Err(MyNumberError::CheckDigit { expected: 8 })
        );
        assert_eq!(MyNumber::parse("12345678901"), Err(MyNumberError::Format));
        assert_eq!(MyNumber::parse("12345678901x"), Err(MyNumberError::Format));
    }

    #[test]
    fn remainder_zero_or_one_gives_zero() {
        // Σ = 0 → remainder 0 → check digit 0.
        assert_eq!(check_digit(&[0; 11]), 0);
        // P(1) = 5, Q(1) = 2 → Σ = 10, remainder 10 → 1; P(1)=6 → Σ 12, remainder 1 → 0.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]), 1);
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6]), 0);
    }

    proptest! {
        #[test]
        fn generated_numbers_parse(seed in any::<[u8; 32]>()) {
            let number = MyNumber::mock_from_seed(&seed);
            prop_assert_eq!(MyNumber::parse(number.as_str()), Ok(number));
        }
    }
}
