//! Card content from a person profile: the file system of every AP, the PINs, the keys and the mock
//! JPKI certificates.
//!
//! [`build_card`] is the one entry point: `(profile, mock JPKI, seed, validity)` → [`CardContent`],
//! deterministic in all its inputs. Only synthetic people: the profile type carries no link to any real
//! registry, and every certificate says MOCK.

mod files;
pub(crate) mod image;
pub mod my_number;
pub(crate) mod tlv;

pub use image::{FaceImage, FaceImageError, check_face_image};
pub use my_number::{MyNumber, MyNumberError};

use crate::apdu::CardKeys;
use crate::fs::FileSystem;
use crate::pin::{PinId, PinValue};
use crate::pki::issue::SignSubject;
use crate::pki::{
    CertValidity, MockJpki, PkiError, derive_seed, issue_auth_certificate, issue_sign_certificate,
    rsa_key_from_seed, serial_from_seed,
};
use rsa::RsaPublicKey;
use thiserror::Error;

/// 性別 as coded on the card (`DF25` of `FF20`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// `1`.
    Male,
    /// `2`.
    Female,
    /// `9` (not applicable).
    NotApplicable,
}

impl Sex {
    /// The one-character code.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::NotApplicable => "9",
        }
    }
}

/// A synthetic person, as printed on and stored in the card.
#[derive(Clone)]
pub struct CardProfile {
    /// 氏名 (UTF-8).
    pub name: String,
    /// 住所 (UTF-8).
    pub address: String,
    /// 生年月日 `YYYYMMDD`.
    pub birth_date: String,
    /// 性別.
    pub sex: Sex,
    /// Mock 個人番号 (PIN A of the 券面AP and the 券面事項入力補助AP).
    pub my_number: MyNumber,
    /// 利用者証明用パスワード (4 digits). Also used as the 住基AP PIN.
    pub auth_pin: PinValue,
    /// 署名用パスワード (6–16 of `A–Z 0–9`).
    pub sign_password: PinValue,
    /// 券面事項入力補助用暗証番号 (4 digits).
    pub kenhojo_pin: PinValue,
    /// Year the card expires (printed 有効期限), `YYYY`.
    pub expiry_year: u16,
    /// セキュリティコード printed under the photo: 4 digits.
    pub security_code: String,
    /// Face image stored in `DF27`; `None` makes a small synthetic placeholder; an empty image leaves
    /// `DF27` out (see [`CardProfile::set_face_image`]).
    pub face_image: Option<Vec<u8>>,
}

impl std::fmt::Debug for CardProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardProfile")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("birth_date", &self.birth_date)
            .field("sex", &self.sex)
            .field("my_number", &self.my_number)
            .field("pins", &"***")
            .field("expiry_year", &self.expiry_year)
            .field("security_code", &"***")
            .field("face_image_len", &self.face_image.as_ref().map(Vec::len))
            .finish()
    }
}

impl CardProfile {
    /// PIN B: birth `YYMMDD` ‖ expiry year `YYYY` ‖ security code (14 digits).
    pub fn pin_b(&self) -> PinValue {
        let yymmdd = self.birth_date.get(2..).unwrap_or_default();
        PinValue::new(format!("{yymmdd}{:04}{}", self.expiry_year, self.security_code).into_bytes())
    }

    /// Damages (or restores) the face photo the card is built with: [`FaceImage::Corrupt`] stores the
    /// photo with bad bytes, [`FaceImage::Absent`] stores none, [`FaceImage::Intact`] the synthetic one.
    pub fn set_face_image(&mut self, state: FaceImage) {
        let face = || image::synthetic_face(self.my_number.as_bytes());
        self.face_image = match state {
            FaceImage::Intact => None,
            FaceImage::Corrupt => Some(image::corrupt(&face())),
            FaceImage::Absent => Some(Vec::new()),
        };
    }

    /// Every problem with the profile (empty when it is usable).
    pub fn problems(&self) -> Vec<ProfileProblem> {
        let mut out = Vec::new();
        if self.name.is_empty() {
            out.push(ProfileProblem::EmptyName);
        }
        if self.address.is_empty() {
            out.push(ProfileProblem::EmptyAddress);
        }
        if !valid_date(&self.birth_date) {
            out.push(ProfileProblem::BirthDate);
        }
        let pins = [
            (PinId::JpkiAuth, &self.auth_pin),
            (PinId::JpkiSign, &self.sign_password),
            (PinId::Kenhojo, &self.kenhojo_pin),
        ];
        for (pin, value) in pins {
            if !pin.policy().accepts(value.expose()) {
                out.push(ProfileProblem::PinFormat(pin));
            }
        }
        if !(1000..=9999).contains(&self.expiry_year) {
            out.push(ProfileProblem::ExpiryYear);
        }
        if self.security_code.len() != 4 || !self.security_code.bytes().all(|b| b.is_ascii_digit())
        {
            out.push(ProfileProblem::SecurityCode);
        }
        out
    }
}

fn valid_date(yyyymmdd: &str) -> bool {
    let digits = yyyymmdd.len() == 8 && yyyymmdd.bytes().all(|b| b.is_ascii_digit());
    let month = yyyymmdd.get(4..6).and_then(|m| m.parse::<u8>().ok());
    let day = yyyymmdd.get(6..8).and_then(|d| d.parse::<u8>().ok());
    digits && matches!(month, Some(1..=12)) && matches!(day, Some(1..=31))
}

/// One thing wrong with a [`CardProfile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProfileProblem {
    /// 氏名 is empty.
    #[error("name is empty")]
    EmptyName,
    /// 住所 is empty.
    #[error("address is empty")]
    EmptyAddress,
    /// 生年月日 is not `YYYYMMDD`.
    #[error("birth date is not YYYYMMDD")]
    BirthDate,
    /// A PIN breaks its format rule.
    #[error("{} pin breaks its format rule", .0.name())]
    PinFormat(PinId),
    /// The expiry year is not 4 digits.
    #[error("expiry year is not 4 digits")]
    ExpiryYear,
    /// The security code is not 4 digits.
    #[error("security code is not 4 digits")]
    SecurityCode,
}

/// Why a card could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The profile is not usable; all problems are listed.
    #[error("invalid card profile: {0:?}")]
    Profile(Vec<ProfileProblem>),
    /// Key or certificate generation failed.
    #[error(transparent)]
    Pki(#[from] PkiError),
}

/// Everything a card holds: file system, initial PINs, keys, certificates.
#[derive(Clone)]
pub struct CardContent {
    fs: FileSystem,
    pins: Vec<(PinId, PinValue)>,
    keys: CardKeys,
    auth_cert: Vec<u8>,
    sign_cert: Vec<u8>,
    auth_serial: Vec<u8>,
    challenge_seed: [u8; 32],
}

impl std::fmt::Debug for CardContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardContent")
            .field("auth_serial", &crate::pki::issue::hex(&self.auth_serial))
            .finish_non_exhaustive()
    }
}

impl CardContent {
    /// The file system of every AP.
    pub fn file_system(&self) -> &FileSystem {
        &self.fs
    }

    /// The initial value of a PIN.
    pub fn initial_pin(&self, pin: PinId) -> PinValue {
        self.pins
            .iter()
            .find(|(p, _)| *p == pin)
            .map_or_else(|| PinValue::new(Vec::new()), |(_, v)| v.clone())
    }

    pub(crate) fn keys(&self) -> &CardKeys {
        &self.keys
    }

    /// Seed of the card's GET CHALLENGE stream.
    pub fn challenge_seed(&self) -> [u8; 32] {
        self.challenge_seed
    }

    /// 利用者証明用電子証明書 (`000A`), DER.
    pub fn auth_certificate_der(&self) -> &[u8] {
        &self.auth_cert
    }

    /// 署名用電子証明書 (`0001`), DER.
    pub fn sign_certificate_der(&self) -> &[u8] {
        &self.sign_cert
    }

    /// Serial number (発行番号) of the auth certificate: the key of the person's insurance record.
    pub fn auth_serial(&self) -> &[u8] {
        &self.auth_serial
    }

    /// [`CardContent::auth_serial`] as upper-case hex.
    pub fn auth_serial_hex(&self) -> String {
        crate::pki::issue::hex(&self.auth_serial)
    }

    /// This content with the 券面AP entries rebuilt from `profile` (keys, certificates and every other
    /// file kept): a card of the same person whose face photo is damaged ([`CardProfile::set_face_image`])
    /// without generating keys again.
    pub fn with_kenkaku_entries(&self, profile: &CardProfile) -> CardContent {
        let mut out = self.clone();
        let entries = files::entries_file(profile);
        for app in out
            .fs
            .apps
            .iter_mut()
            .filter(|a| a.id == crate::fs::AppId::Kenkaku)
        {
            for ef in app
                .efs
                .iter_mut()
                .filter(|e| e.fid == crate::fs::fid::KENKAKU_ENTRIES)
            {
                if let crate::fs::EfKind::Binary { data, .. } = &mut ef.kind {
                    data.clone_from(&entries);
                }
            }
        }
        out
    }

    /// Public key of the auth certificate.
    pub fn auth_public_key(&self) -> RsaPublicKey {
        RsaPublicKey::from(&self.keys.auth)
    }
}

/// The auth certificate serial (発行番号) that [`build_card`] gives a card built from `seed`, without
/// building it: cheap (two SHA-256), so a server can map serials to persons for a whole population.
pub fn auth_serial_for_seed(seed: &[u8; 32]) -> Vec<u8> {
    serial_from_seed(&derive_seed(seed, "auth-serial"), 8)
}

/// Builds a card for `profile`: two RSA-2048 keys from `seed`, certificates from `jpki` valid for
/// `validity`, and the files of every AP. The same inputs give byte-identical content.
pub fn build_card(
    profile: &CardProfile,
    jpki: &MockJpki,
    seed: &[u8; 32],
    validity: CertValidity,
) -> Result<CardContent, BuildError> {
    let problems = profile.problems();
    if !problems.is_empty() {
        return Err(BuildError::Profile(problems));
    }
    let keys = CardKeys {
        auth: rsa_key_from_seed(derive_seed(seed, "auth-key"))?,
        sign: rsa_key_from_seed(derive_seed(seed, "sign-key"))?,
    };
    let auth_serial = auth_serial_for_seed(seed);
    let sign_serial = serial_from_seed(&derive_seed(seed, "sign-serial"), 8);
    let auth_cert = issue_auth_certificate(
        &jpki.auth_ca,
        &auth_serial,
        validity,
        &RsaPublicKey::from(&keys.auth),
    )?;
    let person = SignSubject {
        name: &profile.name,
        address: &profile.address,
        birth_date: &profile.birth_date,
        sex_code: profile.sex.code(),
    };
    let sign_cert = issue_sign_certificate(
        &jpki.sign_ca,
        &sign_serial,
        validity,
        &RsaPublicKey::from(&keys.sign),
        person,
    )?;
    let fs = files::file_system(profile, jpki, &auth_cert, &sign_cert, seed);
    let pin_b = profile.pin_b();
    let pin_a = PinValue::new(profile.my_number.as_bytes().to_vec());
    let pins = vec![
        (PinId::JpkiAuth, profile.auth_pin.clone()),
        (PinId::JpkiSign, profile.sign_password.clone()),
        (PinId::Kenhojo, profile.kenhojo_pin.clone()),
        (PinId::KenhojoPinA, pin_a.clone()),
        (PinId::KenhojoPinB, pin_b.clone()),
        (PinId::KenkakuPinA, pin_a),
        (PinId::KenkakuPinB, pin_b),
        (PinId::Juki, profile.auth_pin.clone()),
    ];
    Ok(CardContent {
        fs,
        pins,
        keys,
        auth_cert,
        sign_cert,
        auth_serial,
        challenge_seed: derive_seed(seed, "challenge"),
    })
}

#[cfg(test)]
mod tests;
