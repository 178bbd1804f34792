//! Tests of the card content: data-file layouts, profile checks, and byte-for-byte determinism.

use super::files::{attributes_file, entries_file, my_number_file};
use super::*;
use crate::fs::{AppId, EfKind, fid};
use crate::testutil::*;

#[test]
fn kenhojo_files_have_the_reference_layout() {
    let p = profile();
    let number = my_number_file(&p);
    assert_eq!(number.len(), 17);
    let attrs = attributes_file(&p);
    assert_eq!(attrs[..2], [0xFF, 0x20]);
    // Walk the FF20 value: DF21 offsets, then DF22..DF25 in order with the profile's UTF-8 text.
    let (value, header) = match attrs[2] {
        0x81 => (&attrs[4..], usize::from(attrs[3])),
        n => (&attrs[3..], usize::from(n)),
    };
    assert_eq!(value.len(), header);
    let mut fields = Vec::new();
    let mut at = 0;
    while at < value.len() {
        let tag = u16::from_be_bytes([value[at], value[at + 1]]);
        let len = usize::from(value[at + 2]);
        fields.push((at, tag, value[at + 3..at + 3 + len].to_vec()));
        at += 3 + len;
    }
    let tags: Vec<u16> = fields.iter().map(|f| f.1).collect();
    assert_eq!(tags, [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]);
    assert_eq!(fields[1].2, p.name.as_bytes());
    assert_eq!(fields[2].2, p.address.as_bytes());
    assert_eq!(fields[3].2, b"19800101");
    assert_eq!(fields[4].2, b"1");
    let offsets: Vec<usize> = fields[0]
        .2
        .chunks(2)
        .map(|c| usize::from(u16::from_be_bytes([c[0], c[1]])))
        .collect();
    assert_eq!(offsets, fields[1..].iter().map(|f| f.0).collect::<Vec<_>>());
}

#[test]
fn kenkaku_entries_hold_a_png_face() {
    let entries = entries_file(&profile());
    let png = [0x89, b'P', b'N', b'G'];
    let face_at = entries
        .windows(3)
        .position(|w| w == [0xDF, 0x27, 0x82])
        .expect("DF27 with long length");
    assert_eq!(entries[face_at + 5..face_at + 9], png);
    let provided = CardProfile {
        face_image: Some(b"MOCK-FACE".to_vec()),
        ..profile()
    };
    let entries = entries_file(&provided);
    assert!(entries.windows(12).any(|w| w == b"\xDF\x27\x09MOCK-FACE"));
}

#[test]
fn pin_b_is_birth_expiry_and_code() {
    assert_eq!(profile().pin_b().expose(), b"80010120304321");
}

#[test]
fn bad_profiles_list_every_problem() {
    let bad = CardProfile {
        name: String::new(),
        birth_date: "1980-01-01".into(),
        auth_pin: PinValue::new(*b"12a4"),
        sign_password: PinValue::new(*b"abc123"),
        security_code: "12".into(),
        ..profile()
    };
    assert_eq!(
        bad.problems(),
        [
            ProfileProblem::EmptyName,
            ProfileProblem::BirthDate,
            ProfileProblem::PinFormat(PinId::JpkiAuth),
            ProfileProblem::PinFormat(PinId::JpkiSign),
            ProfileProblem::SecurityCode,
        ]
    );
    assert!(
        matches!(build_card(&bad, jpki(), &CARD_SEED, VALIDITY), Err(BuildError::Profile(p)) if p.len() == 5)
    );
}

#[test]
fn file_system_has_every_ap_and_the_certificates() {
    let content = content();
    let fs = content.file_system();
    for app in AppId::ALL {
        assert!(fs.app(app).is_some(), "{app:?}");
    }
    let jpki_ap = fs.app(AppId::Jpki).expect("jpki");
    let data = |fid| match jpki_ap.ef(fid).map(|ef| &ef.kind) {
        Some(EfKind::Binary { data, .. }) => data.clone(),
        other => panic!("{fid:04X}: {other:?}"),
    };
    assert_eq!(data(fid::JPKI_AUTH_CERT), content.auth_certificate_der());
    assert_eq!(data(fid::JPKI_AUTH_CA), jpki().auth_ca.certificate_der());
    assert_eq!(data(fid::JPKI_TOKEN).len(), 32);
    assert!(data(fid::JPKI_TOKEN).starts_with(b"JPKIAPICCTOKEN2 "));
    assert_eq!(fs.pins().count(), 8);
}

#[test]
fn same_seed_gives_identical_der() {
    // A second CA and card from the same seeds (four more key generations).
    let jpki_again = MockJpki::from_seed(&CA_SEED, VALIDITY).expect("ca");
    assert_eq!(
        jpki_again.auth_ca.certificate_der(),
        jpki().auth_ca.certificate_der()
    );
    assert_eq!(
        jpki_again.sign_ca.certificate_der(),
        jpki().sign_ca.certificate_der()
    );
    let again = build_card(&profile(), &jpki_again, &CARD_SEED, VALIDITY).expect("card");
    assert_eq!(
        again.auth_certificate_der(),
        content().auth_certificate_der()
    );
    assert_eq!(
        again.sign_certificate_der(),
        content().sign_certificate_der()
    );
    assert_eq!(again.file_system(), content().file_system());
    assert_eq!(again.auth_serial(), content().auth_serial());
}

#[test]
fn auth_serial_is_known_without_building() {
    assert_eq!(auth_serial_for_seed(&CARD_SEED), content().auth_serial());
    assert_ne!(auth_serial_for_seed(&[1; 32]), content().auth_serial());
}
