//! Table-driven APDU tests, one function per command family, over the shared test card.

use crate::fs::fid;
use crate::sw::*;
use crate::testutil::*;
use crate::{PinId, sha256_digest_info};
use rsa::Pkcs1v15Sign;

/// VERIFY `00 20 00 80` with ASCII `pin`.
fn verify(pin: &str) -> String {
    let hex: String = pin.bytes().map(|b| format!("{b:02X}")).collect();
    format!("00200080{:02X}{hex}", pin.len())
}

#[test]
fn class_and_instruction_filters() {
    let mut card = card();
    check(
        &mut card,
        &[
            ("00CADF3005", SW_INS_NOT_SUPPORTED),
            ("00CB3FFF035C017E08", SW_INS_NOT_SUPPORTED),
            ("80A4040C0AD392F000260100000001", SW_INS_NOT_SUPPORTED),
            ("002A00800100", SW_INS_NOT_SUPPORTED),
            ("A0A4000002 3F00", SW_CLA_NOT_SUPPORTED),
            ("FFCA000000", SW_CLA_NOT_SUPPORTED),
            ("0CA4040C0AD392F000260100000001", SW_CLA_NOT_SUPPORTED),
            ("00A4", SW_WRONG_LENGTH),
            ("00A4040C05D392", SW_WRONG_LENGTH),
        ],
    );
}

#[test]
fn select_applications_and_files() {
    let mut card = card();
    check(
        &mut card,
        &[
            // OpenSC's probes of other drivers (mynumber-card.md §3.1).
            ("00A4040007627601FF000000", SW_FILE_NOT_FOUND),
            ("00A4040009A0000003080000100000", SW_FILE_NOT_FOUND),
            ("00A4040C07A000000116DB0000", SW_FILE_NOT_FOUND),
            ("00A4040006D2760001240100", SW_FILE_NOT_FOUND),
            // A prefix of a real AID is not a match.
            ("00A4040C08D392F00026010000", SW_FILE_NOT_FOUND),
            // No AP yet: EFs are not found.
            ("00A4020C02000A", SW_FILE_NOT_FOUND),
            (SELECT_JPKI, SW_OK),
            (SELECT_JPKI, SW_OK),
            ("00A4020C02000A", SW_OK),
            ("00A4020C02000A", SW_OK),
            ("00A4020C020099", SW_FILE_NOT_FOUND),
            ("00A4020C0100", SW_WRONG_LENGTH),
            ("00A4020C", SW_WRONG_LENGTH),
            ("00A40C0C02000A", SW_WRONG_P1P2),
            ("00A4020202000A", SW_WRONG_P1P2),
            // FCI requested: 9000 without data.
            ("00A404000AD392F00026010000000100", SW_OK),
            ("00A4000C02000B", SW_OK),
            (SELECT_KENHOJO, SW_OK),
            (SELECT_KENKAKU, SW_OK),
            (SELECT_JUKI, SW_OK),
            (SELECT_CARD_ID, SW_OK),
            ("00A4000C023F00", SW_OK),
            ("00A40000", SW_OK),
        ],
    );
    assert_eq!(card.current_app(), None);
}

#[test]
fn read_binary_offsets_and_lengths() {
    let mut card = card();
    let cert = content().auth_certificate_der();
    check(
        &mut card,
        &[
            ("00B0000004", SW_NO_CURRENT_EF),
            (SELECT_JPKI, SW_OK),
            ("00B0000004", SW_NO_CURRENT_EF),
        ],
    );
    check(&mut card, &[("00A4020C02000A", SW_OK)]);
    let head = card.process(&h("00B0000004"));
    assert_eq!((head.sw, head.data.as_slice()), (SW_OK, &cert[..4]));
    // Le = 00 is 256 bytes, and it is idempotent.
    for _ in 0..2 {
        let chunk = card.process(&h("00B0010000"));
        assert_eq!((chunk.sw, chunk.data.as_slice()), (SW_OK, &cert[256..512]));
    }
    // Extended Le 0000 returns the whole file; so does the SFI form.
    let all = card.process(&h("00B00000000000"));
    assert_eq!((all.sw, all.data.as_slice()), (SW_OK, cert));
    let sfi = card.process(&h("00B08A00000000"));
    assert_eq!((sfi.sw, sfi.data.as_slice()), (SW_OK, cert));
    // Near the end: fewer bytes than Le, still 9000. At the end: no data. Past it: 6B00.
    let len = cert.len();
    let tail = card.process(&h(&format!("00B0{:04X}00", len - 3)));
    assert_eq!((tail.sw, tail.data.as_slice()), (SW_OK, &cert[len - 3..]));
    let end = card.process(&h(&format!("00B0{len:04X}00")));
    assert_eq!((end.sw, end.data.len()), (SW_OK, 0));
    check(
        &mut card,
        &[(&format!("00B0{:04X}00", len + 1), SW_OFFSET_OUT_OF_RANGE)],
    );
    // Le absent reads up to 256 bytes.
    assert_eq!(card.process(&h("00B00000")).data.len(), 256);
    // The SFI form with P2 as offset, and bad SFI encodings.
    let off = card.process(&h("00B08B0410"));
    assert_eq!(
        off.data.as_slice(),
        &jpki().auth_ca.certificate_der()[4..20]
    );
    check(
        &mut card,
        &[
            ("00B09F0000", SW_FILE_NOT_FOUND),
            ("00B0CA0000", SW_WRONG_P1P2),
            ("00B0000004 01", SW_WRONG_LENGTH),
            ("00B000000101", SW_WRONG_LENGTH),
            // Key and PIN EFs are not transparent.
            ("00A4020C020017", SW_OK),
            ("00B0000004", SW_INCOMPATIBLE_FILE),
            ("00B0980000", SW_INCOMPATIBLE_FILE),
        ],
    );
}

#[test]
fn read_binary_needs_the_file_pin() {
    let mut card = card();
    check(
        &mut card,
        &[
            (SELECT_JPKI, SW_OK),
            ("00A4020C020001", SW_OK),
            ("00B0000004", SW_SECURITY_NOT_SATISFIED),
            ("00A4020C02001B", SW_OK),
            (&verify("ABC123"), SW_OK),
            ("00A4020C020001", SW_OK),
            ("00B0000004", SW_OK),
            // Selecting the AP again clears the security state.
            (SELECT_JPKI, SW_OK),
            ("00A4020C020001", SW_OK),
            ("00B0000004", SW_SECURITY_NOT_SATISFIED),
        ],
    );
    let sign_cert = content().sign_certificate_der();
    check(
        &mut card,
        &[
            ("00A4020C02001B", SW_OK),
            (&verify("ABC123"), SW_OK),
            ("00A4020C020001", SW_OK),
        ],
    );
    assert_eq!(card.process(&h("00B00000000000")).data, sign_cert);
}

#[test]
fn verify_counts_and_locks() {
    let mut card = card();
    check(
        &mut card,
        &[
            (SELECT_JPKI, SW_OK),
            ("00200080", SW_NO_CURRENT_EF),
            ("00A4020C020018", SW_OK),
            ("00200080", 0x63C3),
            (&verify("0000"), 0x63C2),
            ("00200080", 0x63C2),
            (&verify("1234"), SW_OK),
            ("00200080", 0x63C3),
            (&verify("9999"), 0x63C2),
            (&verify("9999"), 0x63C1),
            (&verify("9999"), SW_PIN_BLOCKED),
            ("00200080", SW_PIN_BLOCKED),
            (&verify("1234"), SW_PIN_BLOCKED),
            // Locked survives reset and power cycles.
        ],
    );
    card.reset();
    check(
        &mut card,
        &[
            (SELECT_JPKI, SW_OK),
            ("00200098", SW_PIN_BLOCKED),
            ("0020009804 31323334", SW_PIN_BLOCKED),
        ],
    );
    assert_eq!(card.tries_left(PinId::JpkiAuth), 0);
    // The sign password is a separate counter with 5 tries.
    check(
        &mut card,
        &[("0020009B", 0x63C5), ("0020009B06414243313234", 0x63C4)],
    );
}

#[test]
fn verify_p2_forms() {
    let mut card = card();
    check(
        &mut card,
        &[
            (SELECT_KENHOJO, SW_OK),
            // P2 = 80|SFI without SELECT EF (jsapdu style).
            ("00200091", 0x63C3),
            ("002000910435363738", SW_OK),
            ("00200094", 0x63CA),
            ("00200095", 0x63CA),
            ("00200090", SW_REF_DATA_NOT_FOUND),
            ("00200001", SW_WRONG_P1P2),
            ("00200180", SW_WRONG_P1P2),
            // P2 = 80 on a current EF that is not a PIN.
            ("00A4020C020001", SW_OK),
            ("00200080", SW_REF_DATA_NOT_FOUND),
            ("00B0000011", SW_OK),
        ],
    );
    let my_number = card.process(&h("00B0000011")).data;
    assert_eq!(&my_number[..3], &[0xFF, 0x10, 0x0C]);
    assert_eq!(&my_number[3..15], profile().my_number.as_bytes());
    assert_eq!(&my_number[15..], &[0xFF, 0xFF]);
    // No AP selected: 6986.
    card.reset();
    check(&mut card, &[("00200091", SW_NO_CURRENT_EF)]);
}

#[test]
fn kenkaku_pin_a_and_b() {
    let mut card = card();
    let pin_a = profile().my_number.as_str().to_owned();
    check(
        &mut card,
        &[
            (SELECT_KENKAKU, SW_OK),
            ("00A4020C020002", SW_OK),
            ("00B0000007", SW_SECURITY_NOT_SATISFIED),
            ("00A4020C020012", SW_OK),
            // PIN B = 800101 ‖ 2030 ‖ 4321.
            (&verify("80010120304321"), SW_OK),
            // READ BINARY reads the current EF, which is still the PIN EF.
            ("00B0000007", SW_INCOMPATIBLE_FILE),
            ("00A4020C020002", SW_OK),
            ("00B0000007", SW_OK),
            (SELECT_KENKAKU, SW_OK),
            ("00A4020C020013", SW_OK),
            (&verify(&pin_a), SW_OK),
            ("00A4020C020002", SW_OK),
            ("00B0000002", SW_OK),
        ],
    );
}

#[test]
fn change_reference_data() {
    let mut card = card();
    check(
        &mut card,
        &[
            (SELECT_JPKI, SW_OK),
            ("00A4020C020018", SW_OK),
            // P1 01 needs a verified PIN.
            ("0024018004 35353535", SW_SECURITY_NOT_SATISFIED),
            (&verify("1234"), SW_OK),
            // Format violations change nothing.
            ("0024018003 353535", SW_WRONG_DATA),
            ("0024018004 3535353A", SW_WRONG_DATA),
            ("0024018004 35353535", SW_OK),
            (&verify("1234"), 0x63C2),
            (&verify("5555"), SW_OK),
            // P1 00: old ‖ new; a wrong old PIN costs a try.
            ("0024008008 31313131 36363636", 0x63C2),
            ("0024008008 35353535 36363636", SW_OK),
            (&verify("6666"), SW_OK),
            ("0024028004 35353535", SW_WRONG_P1P2),
        ],
    );
    let exported = card.export_pins();
    let auth = exported
        .records
        .iter()
        .find(|r| r.pin == PinId::JpkiAuth)
        .map(|r| r.value.expose().to_vec());
    assert_eq!(auth.as_deref(), Some(&b"6666"[..]));
}

#[test]
fn get_challenge() {
    let mut card = card();
    let a = card.process(&h("0084000008"));
    assert_eq!((a.sw, a.data.len()), (SW_OK, 8));
    let b = card.process(&h("0084000000"));
    assert_eq!((b.sw, b.data.len()), (SW_OK, 256));
    assert_ne!(a.data[..], b.data[..8], "the stream moves on");
    check(
        &mut card,
        &[
            ("00840000", SW_WRONG_LENGTH),
            ("00840000000101", SW_WRONG_LENGTH),
            ("0084010008", SW_WRONG_P1P2),
        ],
    );
    // Deterministic per content: a new card over the same content starts the same stream.
    let mut again = crate::testutil::card();
    assert_eq!(again.process(&h("0084000008")).data, a.data);
}

#[test]
fn sign_with_auth_and_sign_keys() {
    let mut card = card();
    let digest_info = sha256_digest_info(b"nonce");
    let sign_apdu = format!(
        "802A0080{:02X}{}00",
        digest_info.len(),
        digest_info
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    );
    check(
        &mut card,
        &[
            (&sign_apdu, SW_NO_CURRENT_EF),
            (SELECT_JPKI, SW_OK),
            (&sign_apdu, SW_NO_CURRENT_EF),
            ("00A4020C020017", SW_OK),
            (&sign_apdu, SW_SECURITY_NOT_SATISFIED),
            // The sign password does not unlock the auth key.
            ("00A4020C02001B", SW_OK),
            (&verify("ABC123"), SW_OK),
            ("00A4020C020017", SW_OK),
            (&sign_apdu, SW_SECURITY_NOT_SATISFIED),
            ("00A4020C020018", SW_OK),
            (&verify("1234"), SW_OK),
            ("00A4020C020017", SW_OK),
            ("802A00810100", SW_WRONG_P1P2),
            ("802A0080", SW_WRONG_LENGTH),
        ],
    );
    let signature = card.process(&h(&sign_apdu));
    assert_eq!((signature.sw, signature.data.len()), (SW_OK, 256));
    let public = content().auth_public_key();
    assert!(
        public
            .verify(
                Pkcs1v15Sign::new_unprefixed(),
                &digest_info,
                &signature.data
            )
            .is_ok()
    );
    // Too long for RSA-2048 with PKCS#1 v1.5 padding.
    let long = format!("802A0080F6{}00", "00".repeat(246));
    check(&mut card, &[(&long, SW_WRONG_LENGTH)]);
    // The sign key after the sign password; SHA-1 DigestInfo as jpki-cli sends it.
    check(
        &mut card,
        &[
            ("00A4020C02001B", SW_OK),
            (&verify("ABC123"), SW_OK),
            ("00A4020C02001A", SW_OK),
        ],
    );
    let sha1_info = h("3021300906052B0E03021A05000414 0102030405060708090A0B0C0D0E0F1011121314");
    let sha1_apdu = format!(
        "802A008023{}00",
        sha1_info
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    );
    let sig = card.process(&h(&sha1_apdu));
    assert_eq!(sig.sw, SW_OK);
    let sign_public = rsa::RsaPublicKey::from(&content().keys().sign);
    assert!(
        sign_public
            .verify(Pkcs1v15Sign::new_unprefixed(), &sha1_info, &sig.data)
            .is_ok()
    );
    // Reset clears the security state: signing fails again.
    card.reset();
    check(
        &mut card,
        &[
            (SELECT_JPKI, SW_OK),
            ("00A4020C02001A", SW_OK),
            (&sha1_apdu, SW_SECURITY_NOT_SATISFIED),
        ],
    );
}

#[test]
fn signing_with_a_locked_pin_is_blocked() {
    let mut card = card();
    check(
        &mut card,
        &[(SELECT_JPKI, SW_OK), ("00A4020C020018", SW_OK)],
    );
    for _ in 0..3 {
        card.process(&h(&verify("0000")));
    }
    check(
        &mut card,
        &[
            ("00A4020C020017", SW_OK),
            ("802A0080020102 00", SW_PIN_BLOCKED),
        ],
    );
    assert_eq!(fid::JPKI_AUTH_KEY, 0x0017);
}
