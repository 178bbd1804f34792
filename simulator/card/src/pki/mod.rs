//! The mock JPKI: two self-signed CAs (user authentication, digital signature) and the card's two
//! end-entity certificates, all RSA-2048 / sha256WithRSAEncryption, all deterministic from seeds.
//!
//! Every DN says MOCK. Keys come from ChaCha20 streams seeded through [`derive_seed`], so one seed gives
//! byte-identical keys and certificates on every machine. Validity dates are inputs: nothing here reads a
//! clock. [`verify`] holds what the server needs to check a card's answer to a nonce.

pub(crate) mod issue;
pub mod verify;

pub use issue::{
    AUTH_CA_DN, MockCa, MockJpki, SIGN_CA_DN, SignSubject, issue_auth_certificate,
    issue_sign_certificate,
};
pub use verify::{VerifiedAuth, VerifyError, sha256_digest_info, verify_auth_signature};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// RSA modulus size of every key, as on the real card.
pub const RSA_BITS: usize = 2048;

/// Why a key or certificate could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PkiError {
    /// RSA key generation failed.
    #[error("rsa key generation failed: {0}")]
    KeyGen(#[from] rsa::Error),
    /// Certificate building or DER encoding failed.
    #[error("certificate building failed: {0}")]
    Build(String),
    /// The validity window is empty or cannot be encoded.
    #[error("invalid validity: {0}")]
    Validity(String),
}

impl From<der::Error> for PkiError {
    fn from(e: der::Error) -> Self {
        PkiError::Build(e.to_string())
    }
}

impl From<x509_cert::builder::Error> for PkiError {
    fn from(e: x509_cert::builder::Error) -> Self {
        PkiError::Build(e.to_string())
    }
}

use x509_cert::der;

/// A certificate validity window in Unix seconds (UTC). An input: the simulator never reads the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertValidity {
    /// notBefore.
    pub not_before: u64,
    /// notAfter.
    pub not_after: u64,
}

impl CertValidity {
    pub(crate) fn to_x509(self) -> Result<x509_cert::time::Validity, PkiError> {
        use std::time::Duration;
        use x509_cert::der::asn1::GeneralizedTime;
        use x509_cert::time::{Time, Validity};
        if self.not_after <= self.not_before {
            return Err(PkiError::Validity(
                "notAfter must be after notBefore".into(),
            ));
        }
        let time = |secs: u64| -> Result<Time, PkiError> {
            GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
                .map(Time::GeneralTime)
                .map_err(|e| PkiError::Validity(e.to_string()))
        };
        Ok(Validity {
            not_before: time(self.not_before)?,
            not_after: time(self.not_after)?,
        })
    }
}

/// A 32-byte sub-seed for one purpose: `SHA-256("sim-card/" ‖ label ‖ 0x00 ‖ seed)`.
pub fn derive_seed(seed: &[u8; 32], label: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"sim-card/");
    h.update(label.as_bytes());
    h.update([0]);
    h.update(seed);
    h.finalize().into()
}

/// An RSA-2048 key from a ChaCha20 stream seeded with `seed`: the same seed gives the same key.
pub fn rsa_key_from_seed(seed: [u8; 32]) -> Result<RsaPrivateKey, PkiError> {
    let mut rng = ChaCha20Rng::from_seed(seed);
    Ok(RsaPrivateKey::new(&mut rng, RSA_BITS)?)
}

/// A positive serial number of `len` bytes (first byte `01..=7F`) from a seed.
pub(crate) fn serial_from_seed(seed: &[u8; 32], len: usize) -> Vec<u8> {
    let mut serial: Vec<u8> = seed.iter().take(len.clamp(1, 20)).copied().collect();
    if let Some(first) = serial.first_mut() {
        *first = (*first & 0x7F).max(1);
    }
    serial
}

#[cfg(test)]
mod tests;
