//! Checking a card's proof of possession: chain the auth certificate to the mock CA, then verify the
//! card's PKCS#1 v1.5 signature with the certificate's key.
//!
//! The server's flow: issue a nonce, let the card sign `DigestInfo(SHA-256(nonce))` with the auth key
//! (`80 2A 00 80`), read `000A`, then call [`verify_auth_signature`]. On success it returns the
//! certificate serial, which is the key of the person's insurance record.

use super::issue::{MockCa, hex};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use thiserror::Error;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

/// `sha256WithRSAEncryption`.
const OID_SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";

/// DER prefix of a SHA-256 DigestInfo.
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Why a card's answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The certificate is not valid DER X.509.
    #[error("certificate does not parse: {0}")]
    BadCertificate(String),
    /// The certificate was not issued by the given CA (issuer name or CA signature).
    #[error("certificate not issued by the mock ca")]
    NotIssuedByCa,
    /// The check time is outside the certificate's validity.
    #[error("certificate not valid at {at} (valid {not_before}..={not_after})")]
    Expired {
        /// The time checked, Unix seconds.
        at: u64,
        /// notBefore, Unix seconds.
        not_before: u64,
        /// notAfter, Unix seconds.
        not_after: u64,
    },
    /// The card's signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// A verified answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAuth {
    /// The auth certificate's serial number (big-endian bytes).
    pub serial: Vec<u8>,
    /// The same serial as upper-case hex.
    pub serial_hex: String,
}

/// `DigestInfo(SHA-256(message))`: what a client sends to `80 2A 00 80` for a SHA-256 signature.
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(&Sha256::digest(message));
    out
}

/// Parses a DER certificate and returns its serial number bytes.
pub fn certificate_serial(cert_der: &[u8]) -> Result<Vec<u8>, VerifyError> {
    let cert = parse(cert_der)?;
    Ok(cert.tbs_certificate.serial_number.as_bytes().to_vec())
}

/// Checks that `cert_der` was issued by `ca` (issuer DN and sha256WithRSA signature) and, when `at` is
/// given, that it is valid at that Unix time. Returns the certificate's public key.
pub fn verify_issued_by(
    ca: &MockCa,
    cert_der: &[u8],
    at: Option<u64>,
) -> Result<RsaPublicKey, VerifyError> {
    let cert = parse(cert_der)?;
    let ca_cert = parse(ca.certificate_der())?;
    let tbs = &cert.tbs_certificate;
    if tbs.issuer != ca_cert.tbs_certificate.subject
        || cert.signature_algorithm.oid.to_string() != OID_SHA256_WITH_RSA
    {
        return Err(VerifyError::NotIssuedByCa);
    }
    let tbs_der = tbs
        .to_der()
        .map_err(|e| VerifyError::BadCertificate(e.to_string()))?;
    let signature = cert
        .signature
        .as_bytes()
        .and_then(|bytes| Signature::try_from(bytes).ok())
        .ok_or(VerifyError::NotIssuedByCa)?;
    VerifyingKey::<Sha256>::new(ca.public_key())
        .verify(&tbs_der, &signature)
        .map_err(|_| VerifyError::NotIssuedByCa)?;
    if let Some(at) = at {
        let not_before = tbs.validity.not_before.to_unix_duration().as_secs();
        let not_after = tbs.validity.not_after.to_unix_duration().as_secs();
        if at < not_before || at > not_after {
            return Err(VerifyError::Expired {
                at,
                not_before,
                not_after,
            });
        }
    }
    let spki_der = tbs
        .subject_public_key_info
        .to_der()
        .map_err(|e| VerifyError::BadCertificate(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&spki_der)
        .map_err(|e| VerifyError::BadCertificate(e.to_string()))
}

/// Verifies a raw PKCS#1 v1.5 signature over `digest_info` (the exact bytes sent to the card).
pub fn verify_digest_info_signature(
    public_key: &RsaPublicKey,
    digest_info: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    public_key
        .verify(Pkcs1v15Sign::new_unprefixed(), digest_info, signature)
        .map_err(|_| VerifyError::BadSignature)
}

/// The whole server-side check: `cert_der` chains to `ca` (and is valid at `at`, if given), and
/// `signature` is the card's signature over `DigestInfo(SHA-256(nonce))` with that certificate's key.
pub fn verify_auth_signature(
    ca: &MockCa,
    cert_der: &[u8],
    nonce: &[u8],
    signature: &[u8],
    at: Option<u64>,
) -> Result<VerifiedAuth, VerifyError> {
    let public_key = verify_issued_by(ca, cert_der, at)?;
    verify_digest_info_signature(&public_key, &sha256_digest_info(nonce), signature)?;
    let serial = certificate_serial(cert_der)?;
    Ok(VerifiedAuth {
        serial_hex: hex(&serial),
        serial,
    })
}

fn parse(cert_der: &[u8]) -> Result<Certificate, VerifyError> {
    Certificate::from_der(cert_der).map_err(|e| VerifyError::BadCertificate(e.to_string()))
}
