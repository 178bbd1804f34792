//! The tamper-evident report: a hash chain of entries, signed with an Ed25519 key the harness
//! generates, checked offline by `conformance verify-report`.
//!
//! Format (UTF-8 text, one entry per line):
//!
//! ```text
//! <hash0> {"format":"oqs-conformance-signed-report/1","suite_version":…,"public_key":…,…}
//! <hash1> {"id":"QC-1.01","status":"passed",…}          one line per case, with every check
//! …
//! signature <128 hex digits>
//! ```
//!
//! `hash_i` = SHA-256(`hash_{i-1}` as 64 hex digits ‖ the exact bytes of entry `i`'s JSON), with
//! 64 zeros before the first; the signature is over the last hash's 64 hex digits. Any changed,
//! added or removed byte breaks a hash, the chain or the signature. The public key is in the
//! header entry; `--public-key` pins the one expected (a re-signed forgery has another key).

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::report::RunReport;

/// The format tag of the header entry.
pub const FORMAT: &str = "oqs-conformance-signed-report/1";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2)
        || !s
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn link(prev: &str, entry: &str) -> String {
    let mut h = sha2::Sha256::new();
    h.update(prev.as_bytes());
    h.update(entry.as_bytes());
    hex(&h.finalize())
}

/// The header entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT`].
    pub format: String,
    /// The harness's version.
    pub harness_version: String,
    /// The case catalogue's version.
    pub suite_version: String,
    /// The SUT.
    pub sut: String,
    /// The day of the visits.
    pub today: String,
    /// Wall-clock start.
    pub started_at: String,
    /// The counts.
    pub summary: crate::report::Summary,
    /// The Ed25519 public key, hex.
    pub public_key: String,
}

/// A signing key: read from `path` (64 hex digits, the secret seed) or generated there (mode
/// 0600); with no path, a new key for this run only.
pub fn signing_key(path: Option<&Path>) -> anyhow::Result<SigningKey> {
    use anyhow::Context;
    let fresh = || SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let Some(path) = path else {
        return Ok(fresh());
    };
    if path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes = unhex(text.trim())
            .filter(|b| b.len() == 32)
            .with_context(|| format!("{} is not 64 lowercase hex digits", path.display()))?;
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes);
        return Ok(SigningKey::from_bytes(&seed));
    }
    let key = fresh();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut f = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(f, "{}", hex(&key.to_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(key)
}

/// The public key of `key`, hex.
pub fn public_key_hex(key: &SigningKey) -> String {
    hex(key.verifying_key().as_bytes())
}

/// Writes the signed report of `report`.
pub fn render(report: &RunReport, key: &SigningKey) -> String {
    let header = Header {
        format: FORMAT.into(),
        harness_version: report.harness_version.clone(),
        suite_version: report.suite_version.clone(),
        sut: report.sut.clone(),
        today: report.today.clone(),
        started_at: report.started_at.clone(),
        summary: report.summary.clone(),
        public_key: public_key_hex(key),
    };
    let mut entries = vec![serde_json::to_string(&header).unwrap_or_default()];
    for c in &report.cases {
        entries.push(serde_json::to_string(c).unwrap_or_default());
    }
    for s in &report.stale_expectations {
        entries.push(serde_json::json!({ "stale_expectation": s }).to_string());
    }
    let mut out = String::new();
    let mut prev = "0".repeat(64);
    for e in &entries {
        prev = link(&prev, e);
        out.push_str(&prev);
        out.push(' ');
        out.push_str(e);
        out.push('\n');
    }
    let signature = key.sign(prev.as_bytes());
    out.push_str("signature ");
    out.push_str(&hex(&signature.to_bytes()));
    out.push('\n');
    out
}

/// What a verified report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The header.
    pub header: Header,
    /// The case entries.
    pub entries: usize,
}

/// Checks a signed report's bytes: every hash, the chain, the signature, and the key when
/// `expected_key` is given.
pub fn verify(bytes: &[u8], expected_key: Option<&str>) -> Result<Verified, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 at byte {}", e.valid_up_to()))?;
    let body = text
        .strip_suffix('\n')
        .ok_or("the report does not end with a newline")?;
    let lines: Vec<&str> = body.split('\n').collect();
    let (sig_line, entries) = lines.split_last().ok_or("empty report")?;
    if entries.is_empty() {
        return Err("no entries".into());
    }
    let mut prev = "0".repeat(64);
    for (i, line) in entries.iter().enumerate() {
        let (hash, entry) = line
            .split_once(' ')
            .ok_or_else(|| format!("line {}: no hash", i + 1))?;
        let want = link(&prev, entry);
        if hash != want {
            return Err(format!(
                "line {}: the hash does not match the entry and the chain",
                i + 1
            ));
        }
        if serde_json::from_str::<serde_json::Value>(entry).is_err() {
            return Err(format!("line {}: the entry is not JSON", i + 1));
        }
        prev = want;
    }
    let header: Header =
        serde_json::from_str(entries[0].split_once(' ').map(|(_, e)| e).unwrap_or(""))
            .map_err(|e| format!("line 1: not a report header: {e}"))?;
    if header.format != FORMAT {
        return Err(format!("unknown format {:?}", header.format));
    }
    let sig_hex = sig_line
        .strip_prefix("signature ")
        .ok_or("the last line is not the signature")?;
    let sig_bytes = unhex(sig_hex)
        .filter(|b| b.len() == 64)
        .ok_or("the signature is not 128 lowercase hex digits")?;
    let mut sig = [0u8; 64];
    sig.copy_from_slice(&sig_bytes);
    let key_bytes = unhex(&header.public_key)
        .filter(|b| b.len() == 32)
        .ok_or("the public key is not 64 lowercase hex digits")?;
    let mut kb = [0u8; 32];
    kb.copy_from_slice(&key_bytes);
    let key = VerifyingKey::from_bytes(&kb).map_err(|e| format!("invalid public key: {e}"))?;
    key.verify_strict(prev.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| "the signature does not match".to_owned())?;
    if let Some(expected) = expected_key
        && expected.trim() != header.public_key
    {
        return Err(format!(
            "signed with key {}, expected {}",
            header.public_key,
            expected.trim()
        ));
    }
    Ok(Verified {
        header,
        entries: entries.len() - 1,
    })
}
