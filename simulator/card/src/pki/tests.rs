//! Tests of the mock PKI: certificate contents, the server-side verification and its failure modes.

use super::verify::{certificate_serial, verify_issued_by};
use super::*;
use crate::testutil::*;
use x509_cert::Certificate;
use x509_cert::der::Decode;

#[test]
fn certificates_are_marked_mock_and_chain() {
    let jpki = jpki();
    let content = content();
    let auth = Certificate::from_der(content.auth_certificate_der()).expect("auth cert");
    let issuer = auth.tbs_certificate.issuer.to_string();
    assert!(
        issuer.contains("MOCK JPKI for user authentication"),
        "{issuer}"
    );
    assert!(
        auth.tbs_certificate
            .subject
            .to_string()
            .contains("MOCK AUTH")
    );
    assert_eq!(
        certificate_serial(content.auth_certificate_der()),
        Ok(content.auth_serial().to_vec())
    );
    assert_eq!(content.auth_serial().len(), 8);
    assert!(
        verify_issued_by(
            &jpki.auth_ca,
            content.auth_certificate_der(),
            Some(NOT_BEFORE)
        )
        .is_ok()
    );
    assert!(verify_issued_by(&jpki.sign_ca, content.sign_certificate_der(), None).is_ok());
    // The wrong CA does not verify.
    assert_eq!(
        verify_issued_by(&jpki.sign_ca, content.auth_certificate_der(), None),
        Err(VerifyError::NotIssuedByCa)
    );
    let ca = Certificate::from_der(jpki.auth_ca.certificate_der()).expect("ca cert");
    assert_eq!(ca.tbs_certificate.issuer, ca.tbs_certificate.subject);
}

#[test]
fn sign_certificate_carries_the_four_attributes() {
    let der = content().sign_certificate_der();
    let contains = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
    let p = profile();
    assert!(contains(p.name.as_bytes()));
    assert!(contains(p.address.as_bytes()));
    // 1980-01-01 is 昭和 (era code 3).
    assert!(contains(b"319800101"));
    // OID 1.2.392.200149.8.5.5.1.
    assert!(contains(&[
        0x2A, 0x83, 0x08, 0x8C, 0x9B, 0x55, 0x08, 0x05, 0x05, 0x01
    ]));
    // The auth certificate carries no personal data.
    let auth = content().auth_certificate_der();
    for field in [p.name.as_bytes(), p.address.as_bytes(), b"19800101"] {
        assert!(!auth.windows(field.len()).any(|w| w == field));
    }
}

#[test]
fn server_flow_nonce_sign_verify() {
    let mut card = card();
    let nonce = b"server-nonce-0001";
    let digest_info = sha256_digest_info(nonce);
    let mut apdu = h("802A0080");
    apdu.push(digest_info.len() as u8);
    apdu.extend_from_slice(&digest_info);
    apdu.push(0);
    check(
        &mut card,
        &[
            (SELECT_JPKI, 0x9000),
            ("00A4020C020018", 0x9000),
            ("0020008004 31323334", 0x9000),
        ],
    );
    check(&mut card, &[("00A4020C020017", 0x9000)]);
    let signature = card.process(&apdu).data;
    let cert = card.process(&h("00A4020C02000A"));
    assert_eq!(cert.sw, 0x9000);
    let cert = card.process(&h("00B00000000000")).data;
    let verified = verify_auth_signature(
        &jpki().auth_ca,
        &cert,
        nonce,
        &signature,
        Some(NOT_BEFORE + 1),
    );
    let verified = verified.expect("verifies");
    assert_eq!(verified.serial, content().auth_serial());
    assert_eq!(verified.serial_hex, content().auth_serial_hex());
    // A different nonce, a flipped signature bit, or a time outside the validity all fail.
    let ca = &jpki().auth_ca;
    assert_eq!(
        verify_auth_signature(ca, &cert, b"other", &signature, None),
        Err(VerifyError::BadSignature)
    );
    let mut flipped = signature.clone();
    flipped[10] ^= 1;
    assert_eq!(
        verify_auth_signature(ca, &cert, nonce, &flipped, None),
        Err(VerifyError::BadSignature)
    );
    assert!(matches!(
        verify_auth_signature(ca, &cert, nonce, &signature, Some(NOT_AFTER + 1)),
        Err(VerifyError::Expired { .. })
    ));
    assert!(matches!(
        verify_auth_signature(ca, b"\x30\x03garbage", nonce, &signature, None),
        Err(VerifyError::BadCertificate(_))
    ));
}

#[test]
fn derived_seeds_differ_by_label() {
    assert_ne!(derive_seed(&CARD_SEED, "a"), derive_seed(&CARD_SEED, "b"));
    assert_eq!(serial_from_seed(&[0xFF; 32], 4), [0x7F, 0xFF, 0xFF, 0xFF]);
    assert_eq!(serial_from_seed(&[0x00; 32], 2), [0x01, 0x00]);
    assert!(
        CertValidity {
            not_before: 10,
            not_after: 10
        }
        .to_x509()
        .is_err()
    );
}
