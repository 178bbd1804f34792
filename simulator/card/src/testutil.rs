//! Shared test fixtures: one mock JPKI and one card per test binary (RSA key generation is the slow
//! part), a synthetic profile, and hex helpers for table-driven APDU tests.

use crate::pki::{CertValidity, MockJpki};
use crate::{CardContent, CardProfile, MyNumber, PinValue, Sex, VirtualCard, build_card};
use std::sync::OnceLock;

/// 2025-01-01T00:00:00Z.
pub(crate) const NOT_BEFORE: u64 = 1_735_689_600;
/// 2030-01-01T00:00:00Z.
pub(crate) const NOT_AFTER: u64 = 1_893_456_000;
pub(crate) const VALIDITY: CertValidity = CertValidity {
    not_before: NOT_BEFORE,
    not_after: NOT_AFTER,
};
pub(crate) const CA_SEED: [u8; 32] = [7; 32];
pub(crate) const CARD_SEED: [u8; 32] = [42; 32];

pub(crate) fn profile() -> CardProfile {
    CardProfile {
        name: "模擬 太郎".into(),
        address: "東京都千代田区霞が関1-2-2".into(),
        birth_date: "19800101".into(),
        sex: Sex::Male,
        my_number: MyNumber::from_body([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]),
        auth_pin: PinValue::new(*b"1234"),
        sign_password: PinValue::new(*b"ABC123"),
        kenhojo_pin: PinValue::new(*b"5678"),
        expiry_year: 2030,
        security_code: "4321".into(),
        face_image: None,
    }
}

pub(crate) fn jpki() -> &'static MockJpki {
    static JPKI: OnceLock<MockJpki> = OnceLock::new();
    JPKI.get_or_init(|| MockJpki::from_seed(&CA_SEED, VALIDITY).expect("mock ca"))
}

pub(crate) fn content() -> &'static CardContent {
    static CONTENT: OnceLock<CardContent> = OnceLock::new();
    CONTENT
        .get_or_init(|| build_card(&profile(), jpki(), &CARD_SEED, VALIDITY).expect("card content"))
}

/// A fresh, powered card over the shared content.
pub(crate) fn card() -> VirtualCard {
    let mut card = VirtualCard::new(content());
    card.power_on();
    card
}

/// Hex (spaces allowed) to bytes.
pub(crate) fn h(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).expect("ascii");
            u8::from_str_radix(s, 16).expect("hex digit")
        })
        .collect()
}

/// Runs `(C-APDU hex, expected SW)` steps in order, failing with the step number.
pub(crate) fn check(card: &mut VirtualCard, steps: &[(&str, u16)]) {
    for (i, (apdu, sw)) in steps.iter().enumerate() {
        let response = card.process(&h(apdu));
        assert_eq!(
            response.sw, *sw,
            "step {i}: {apdu} answered {:04X}, expected {sw:04X}",
            response.sw
        );
        card.check_invariants()
            .unwrap_or_else(|e| panic!("step {i}: {apdu}: invariant broken: {e}"));
    }
}

pub(crate) const SELECT_JPKI: &str = "00A4040C0AD392F000260100000001";
pub(crate) const SELECT_KENHOJO: &str = "00A4040C0AD3921000310001010408";
pub(crate) const SELECT_KENKAKU: &str = "00A4040C0AD3921000310001010402";
pub(crate) const SELECT_JUKI: &str = "00A4040C0AD3921000310001010401";
pub(crate) const SELECT_CARD_ID: &str = "00A4040C0AD3921000310001010100";
