//! The EFs of every AP, filled from a [`CardProfile`] and the issued certificates.
//!
//! Layouts follow `mynumber-card.md` §2.2–2.5: the JPKI token and certificates, the 券面事項入力補助AP's
//! `FF10` My Number and `FF20` 基本4情報, the 券面AP's `FF20` entries with a synthetic face in `DF27`,
//! the PIN EFs of every AP and a card ID. Files whose real layout is unknown are left out.

use super::CardProfile;
use super::image::{synthetic_face, text_placeholder};
use super::tlv::{container_with_offsets, tlv};
use crate::fs::{Access, AppId, Application, Ef, EfKind, FileSystem, KeyId, fid};
use crate::pin::PinId;
use crate::pki::issue::hex;
use crate::pki::{MockJpki, derive_seed};
use sha2::{Digest, Sha256};

/// The JPKI token of a My Number Card, space-padded to the 32 bytes readers ask for.
const JPKI_TOKEN: &[u8; 15] = b"JPKIAPICCTOKEN2";

pub(super) fn file_system(
    profile: &CardProfile,
    jpki: &MockJpki,
    auth_cert: &[u8],
    sign_cert: &[u8],
    seed: &[u8; 32],
) -> FileSystem {
    FileSystem {
        apps: vec![
            jpki_ap(jpki, auth_cert, sign_cert),
            kenhojo_ap(profile),
            kenkaku_ap(profile),
            Application {
                id: AppId::Juki,
                efs: vec![pin_ef(fid::JUKI_PIN, PinId::Juki)],
            },
            card_id_ap(seed),
        ],
    }
}

fn binary(fid: u16, data: Vec<u8>, access: Access) -> Ef {
    Ef {
        fid,
        kind: EfKind::Binary { data, access },
    }
}

fn pin_ef(fid: u16, pin: PinId) -> Ef {
    Ef {
        fid,
        kind: EfKind::Pin(pin),
    }
}

fn jpki_ap(jpki: &MockJpki, auth_cert: &[u8], sign_cert: &[u8]) -> Application {
    let mut token = JPKI_TOKEN.to_vec();
    token.resize(32, b' ');
    Application {
        id: AppId::Jpki,
        efs: vec![
            binary(fid::JPKI_TOKEN, token, Access::Free),
            binary(fid::JPKI_AUTH_CERT, auth_cert.to_vec(), Access::Free),
            binary(
                fid::JPKI_AUTH_CA,
                jpki.auth_ca.certificate_der().to_vec(),
                Access::Free,
            ),
            binary(
                fid::JPKI_SIGN_CERT,
                sign_cert.to_vec(),
                Access::AnyPin(&[PinId::JpkiSign]),
            ),
            binary(
                fid::JPKI_SIGN_CA,
                jpki.sign_ca.certificate_der().to_vec(),
                Access::Free,
            ),
            Ef {
                fid: fid::JPKI_AUTH_KEY,
                kind: EfKind::Key(KeyId::JpkiAuth),
            },
            pin_ef(fid::JPKI_AUTH_PIN, PinId::JpkiAuth),
            Ef {
                fid: fid::JPKI_SIGN_KEY,
                kind: EfKind::Key(KeyId::JpkiSign),
            },
            pin_ef(fid::JPKI_SIGN_PIN, PinId::JpkiSign),
        ],
    }
}

/// `FF 10 0C <12 digits> FF FF` (17 bytes; the trailing `FF FF` is padding seen on real cards).
pub(crate) fn my_number_file(profile: &CardProfile) -> Vec<u8> {
    let mut out = tlv(0xFF10, profile.my_number.as_bytes());
    out.extend_from_slice(&[0xFF, 0xFF]);
    out
}

/// `FF20 { DF21 offsets, DF22 氏名, DF23 住所, DF24 生年月日, DF25 性別 }`, UTF-8.
pub(crate) fn attributes_file(profile: &CardProfile) -> Vec<u8> {
    container_with_offsets(
        0xFF20,
        0xDF21,
        &[
            (0xDF22, profile.name.as_bytes()),
            (0xDF23, profile.address.as_bytes()),
            (0xDF24, profile.birth_date.as_bytes()),
            (0xDF25, profile.sex.code().as_bytes()),
        ],
    )
}

fn kenhojo_ap(profile: &CardProfile) -> Application {
    const KENHOJO_READ: &[PinId] = &[PinId::Kenhojo];
    Application {
        id: AppId::Kenhojo,
        efs: vec![
            binary(
                fid::KENHOJO_MY_NUMBER,
                my_number_file(profile),
                Access::AnyPin(KENHOJO_READ),
            ),
            binary(
                fid::KENHOJO_ATTRIBUTES,
                attributes_file(profile),
                Access::AnyPin(KENHOJO_READ),
            ),
            pin_ef(fid::KENHOJO_PIN, PinId::Kenhojo),
            pin_ef(fid::KENHOJO_PIN_A, PinId::KenhojoPinA),
            pin_ef(fid::KENHOJO_PIN_B, PinId::KenhojoPinB),
        ],
    }
}

/// The 券面 entries: `FF20 { DF21 offsets, DF22 birth, DF23 sex, DF24 public key, DF25 氏名 image,
/// DF26 住所 image, DF27 face, DF28 signature, DF29 expiry, DF2A security-code image }`.
///
/// DF24 and DF28 are MOCK placeholders (the real card's key and signature scheme are not public); the
/// images are synthetic PNGs.
pub(crate) fn entries_file(profile: &CardProfile) -> Vec<u8> {
    let face = profile
        .face_image
        .clone()
        .unwrap_or_else(|| synthetic_face(profile.my_number.as_bytes()));
    let expiry = format!(
        "{:04}{}",
        profile.expiry_year,
        profile.birth_date.get(4..).unwrap_or_default()
    );
    let name_png = text_placeholder(&profile.name);
    let address_png = text_placeholder(&profile.address);
    let code_png = text_placeholder(&profile.security_code);
    let mut signed = Sha256::new();
    for part in [
        profile.birth_date.as_bytes(),
        profile.sex.code().as_bytes(),
        &face,
        expiry.as_bytes(),
    ] {
        signed.update(part);
    }
    let mut signature = b"MOCK-SIGNATURE-".to_vec();
    signature.extend_from_slice(&signed.finalize());
    let fields: [(u16, &[u8]); 9] = [
        (0xDF22, profile.birth_date.as_bytes()),
        (0xDF23, profile.sex.code().as_bytes()),
        (0xDF24, b"MOCK-KENKAKU-PUBLIC-KEY"),
        (0xDF25, &name_png),
        (0xDF26, &address_png),
        (0xDF27, &face),
        (0xDF28, &signature),
        (0xDF29, expiry.as_bytes()),
        (0xDF2A, &code_png),
    ];
    // An empty face image (FaceImage::Absent) leaves DF27 out.
    let fields: Vec<(u16, &[u8])> = fields
        .into_iter()
        .filter(|(tag, value)| *tag != 0xDF27 || !value.is_empty())
        .collect();
    container_with_offsets(0xFF20, 0xDF21, &fields)
}

fn kenkaku_ap(profile: &CardProfile) -> Application {
    const KENKAKU_READ: &[PinId] = &[PinId::KenkakuPinA, PinId::KenkakuPinB];
    Application {
        id: AppId::Kenkaku,
        efs: vec![
            binary(
                fid::KENKAKU_ENTRIES,
                entries_file(profile),
                Access::AnyPin(KENKAKU_READ),
            ),
            pin_ef(fid::KENKAKU_PIN_B, PinId::KenkakuPinB),
            pin_ef(fid::KENKAKU_PIN_A, PinId::KenkakuPinA),
        ],
    }
}

/// Card-ID AP `0001`: ASCII `MOCK` plus 16 hex digits from the seed (the real layout is not public).
fn card_id_ap(seed: &[u8; 32]) -> Application {
    let id = derive_seed(seed, "card-id");
    let text = format!("MOCK{}", hex(id.get(..8).unwrap_or_default()));
    Application {
        id: AppId::CardId,
        efs: vec![binary(fid::CARD_ID, text.into_bytes(), Access::Free)],
    }
}
