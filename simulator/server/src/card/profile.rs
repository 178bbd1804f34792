//! From a person of the population to what is printed on and stored in their My Number Card.
//!
//! Everything is derived from the population seed and the person id, so a restarted simulator
//! builds byte-identical cards and the same mock JPKI CAs:
//!
//! - card seed = `SHA-256("sim-server/card/v1" ‖ 0 ‖ population seed (u64 LE) ‖ 0 ‖ person id)`;
//!   sim-card derives the two RSA keys and the certificate serials from it;
//! - CA seed = `SHA-256("sim-server/jpki-ca/v1" ‖ 0 ‖ population seed (u64 LE))`;
//! - mock 個人番号 = 11 digits from `SHA-256("my-number" ‖ card seed)` plus the official check digit;
//! - セキュリティコード = 4 digits from `SHA-256("security-code" ‖ card seed)`.
//!
//! Default PINs, the same on every card (documented, synthetic):
//!
//! | PIN | value |
//! |---|---|
//! | 利用者証明用パスワード (JPKI auth, also 住基AP) | `1234` |
//! | 券面事項入力補助用暗証番号 | `1234` |
//! | 署名用パスワード | `ABC123` |
//! | PIN A (券面AP, 券面事項入力補助AP) | the card's 12-digit mock 個人番号 |
//! | PIN B | 生年月日 YYMMDD ‖ 有効期限の西暦 YYYY ‖ セキュリティコード, as on the real card |
//!
//! The card is issued on [`ISSUE_DATE`]. As on the real card it expires on the 10th birthday after
//! issue (the 5th for a holder under 18 at issue); only the year enters PIN B. The certificates have a
//! fixed window ([`CERT_VALIDITY`]) so the content does not change with the clock; expiry scenarios are
//! a server-side check.

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};
use sim_card::{CardProfile, CertValidity, MyNumber, PinValue, Sex};
use sim_core::Person;

/// 利用者証明用パスワード of every card.
pub const DEFAULT_AUTH_PIN: &str = "1234";
/// 券面事項入力補助用暗証番号 of every card.
pub const DEFAULT_KENHOJO_PIN: &str = "1234";
/// 署名用パスワード of every card.
pub const DEFAULT_SIGN_PASSWORD: &str = "ABC123";

/// The mock issue date of every card.
pub const ISSUE_DATE: (i32, u32, u32) = (2025, 4, 1);

/// Validity of the mock CAs and of every card's certificates: 2025-01-01T00:00:00Z to
/// 2045-01-01T00:00:00Z.
pub const CERT_VALIDITY: CertValidity = CertValidity {
    not_before: 1_735_689_600,
    not_after: 2_366_841_600,
};

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The seed of the mock JPKI CAs for a population seed.
pub fn ca_seed(population_seed: u64) -> [u8; 32] {
    sha256(&[
        b"sim-server/jpki-ca/v1",
        &[0],
        &population_seed.to_le_bytes(),
    ])
}

/// The seed of one person's card.
pub fn card_seed(population_seed: u64, person_id: &str) -> [u8; 32] {
    sha256(&[
        b"sim-server/card/v1",
        &[0],
        &population_seed.to_le_bytes(),
        &[0],
        person_id.as_bytes(),
    ])
}

/// The mock 個人番号 on a card built from `seed`.
pub fn my_number(seed: &[u8; 32]) -> MyNumber {
    MyNumber::mock_from_seed(&sha256(&[b"my-number", seed]))
}

fn security_code(seed: &[u8; 32]) -> String {
    let h = sha256(&[b"security-code", seed]);
    let n = u16::from_be_bytes([h[0], h[1]]) % 10_000;
    format!("{n:04}")
}

/// 有効期限 (year): the 10th birthday after [`ISSUE_DATE`], or the 5th for a holder under 18 then.
pub fn expiry_year(birthdate: NaiveDate) -> u16 {
    let (y, m, d) = ISSUE_DATE;
    let issued = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    let birthdays = if sim_core::date::age_on(birthdate, issued) >= 18 {
        10
    } else {
        5
    };
    // The first birthday after the issue date falls in the issue year or the next.
    let first = if (birthdate.month(), birthdate.day()) > (m, d) {
        y
    } else {
        y + 1
    };
    u16::try_from(first + birthdays - 1).unwrap_or(9999)
}

fn sex(s: sim_core::person::Sex) -> Sex {
    match s {
        sim_core::person::Sex::Male => Sex::Male,
        sim_core::person::Sex::Female => Sex::Female,
        sim_core::person::Sex::Unset => Sex::NotApplicable,
    }
}

/// The card profile of `person`: 基本4情報 from the person, the rest derived from `seed`
/// (see the module documentation).
pub fn card_profile(person: &Person, seed: &[u8; 32]) -> CardProfile {
    CardProfile {
        name: person.name.clone(),
        address: person.address.clone(),
        birth_date: person.birthdate.format("%Y%m%d").to_string(),
        sex: sex(person.sex),
        my_number: my_number(seed),
        auth_pin: PinValue::new(DEFAULT_AUTH_PIN.as_bytes()),
        sign_password: PinValue::new(DEFAULT_SIGN_PASSWORD.as_bytes()),
        kenhojo_pin: PinValue::new(DEFAULT_KENHOJO_PIN.as_bytes()),
        expiry_year: expiry_year(person.birthdate),
        security_code: security_code(seed),
        face_image: None,
    }
}
