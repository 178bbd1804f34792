//! Issuing the mock JPKI certificates: the two CAs and the card's auth and sign certificates.
//!
//! DNs follow the real JPKI CAs (`C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for
//! Local Authority Information Systems`) with MOCK in them. The auth certificate carries no personal data,
//! only its serial (the key the simulator files the person's insurance under). The sign certificate
//! carries the 基本4情報 as subjectAltName otherNames under the JPKI arc `1.2.392.200149.8.5.5`
//! (.1 name, .3 sex, .4 birth date as era code + YYYYMMDD, .5 address), as public JPKI readers expect.

use super::{CertValidity, PkiError, derive_seed, rsa_key_from_seed, serial_from_seed};
use rsa::pkcs1v15::{Signature, SigningKey};
use rsa::pkcs8::EncodePublicKey;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use std::str::FromStr;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::{Any, ObjectIdentifier, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// Subject of the mock user-authentication CA.
pub const AUTH_CA_DN: &str = "OU=MOCK Japan Agency for Local Authority Information Systems,\
OU=MOCK JPKI for user authentication,O=MOCK JPKI,C=JP";
/// Subject of the mock digital-signature CA.
pub const SIGN_CA_DN: &str = "OU=MOCK Japan Agency for Local Authority Information Systems,\
OU=MOCK JPKI for digital signature,O=MOCK JPKI,C=JP";

/// JPKI personal-data OIDs (subjectAltName otherName type ids).
const OID_NAME: &str = "1.2.392.200149.8.5.5.1";
const OID_SEX: &str = "1.2.392.200149.8.5.5.3";
const OID_BIRTH: &str = "1.2.392.200149.8.5.5.4";
const OID_ADDRESS: &str = "1.2.392.200149.8.5.5.5";

/// One mock CA: its key, DN and self-signed certificate.
#[derive(Clone)]
pub struct MockCa {
    key: RsaPrivateKey,
    name: Name,
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for MockCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockCa")
            .field("name", &self.name.to_string())
            .finish_non_exhaustive()
    }
}

impl MockCa {
    fn generate(seed: [u8; 32], dn: &str, validity: CertValidity) -> Result<Self, PkiError> {
        let key = rsa_key_from_seed(derive_seed(&seed, "key"))?;
        let name = Name::from_str(dn)?;
        let serial = serial_from_seed(&derive_seed(&seed, "serial"), 4);
        let signer = SigningKey::<Sha256>::new(key.clone());
        let builder = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::new(&serial)?,
            validity.to_x509()?,
            name.clone(),
            spki(&RsaPublicKey::from(&key))?,
            &signer,
        )?;
        let cert_der = builder.build::<Signature>()?.to_der()?;
        Ok(Self {
            key,
            name,
            cert_der,
        })
    }

    /// The CA certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA's public key.
    pub fn public_key(&self) -> RsaPublicKey {
        RsaPublicKey::from(&self.key)
    }

    /// The CA's subject DN (RFC 4514 text).
    pub fn subject(&self) -> String {
        self.name.to_string()
    }

    fn issue(
        &self,
        subject: &str,
        serial: &[u8],
        validity: CertValidity,
        public_key: &RsaPublicKey,
        alt_names: Option<SubjectAltName>,
    ) -> Result<Vec<u8>, PkiError> {
        let signer = SigningKey::<Sha256>::new(self.key.clone());
        let profile = Profile::Leaf {
            issuer: self.name.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let mut builder = CertificateBuilder::new(
            profile,
            SerialNumber::new(serial)?,
            validity.to_x509()?,
            Name::from_str(subject)?,
            spki(public_key)?,
            &signer,
        )?;
        if let Some(san) = alt_names {
            builder.add_extension(&san)?;
        }
        Ok(builder.build::<Signature>()?.to_der()?)
    }
}

/// The mock JPKI: the user-authentication CA and the digital-signature CA.
#[derive(Debug, Clone)]
pub struct MockJpki {
    /// Issues the 利用者証明用電子証明書.
    pub auth_ca: MockCa,
    /// Issues the 署名用電子証明書.
    pub sign_ca: MockCa,
}

impl MockJpki {
    /// Both CAs from one seed (two RSA-2048 key generations).
    pub fn from_seed(seed: &[u8; 32], validity: CertValidity) -> Result<Self, PkiError> {
        Ok(Self {
            auth_ca: MockCa::generate(derive_seed(seed, "auth-ca"), AUTH_CA_DN, validity)?,
            sign_ca: MockCa::generate(derive_seed(seed, "sign-ca"), SIGN_CA_DN, validity)?,
        })
    }
}

/// Issues the user-authentication certificate: subject `CN=MOCK AUTH <serial hex>, C=JP`, no personal data.
pub fn issue_auth_certificate(
    ca: &MockCa,
    serial: &[u8],
    validity: CertValidity,
    public_key: &RsaPublicKey,
) -> Result<Vec<u8>, PkiError> {
    let subject = format!("CN=MOCK AUTH {},C=JP", hex(serial));
    ca.issue(&subject, serial, validity, public_key, None)
}

/// The 基本4情報 as they go into the signature certificate.
#[derive(Debug, Clone, Copy)]
pub struct SignSubject<'a> {
    /// 氏名.
    pub name: &'a str,
    /// 住所.
    pub address: &'a str,
    /// 生年月日 `YYYYMMDD`.
    pub birth_date: &'a str,
    /// 性別 code `1`, `2` or `9`.
    pub sex_code: &'a str,
}

/// Issues the signature certificate carrying the 基本4情報 in subjectAltName otherNames.
pub fn issue_sign_certificate(
    ca: &MockCa,
    serial: &[u8],
    validity: CertValidity,
    public_key: &RsaPublicKey,
    person: SignSubject<'_>,
) -> Result<Vec<u8>, PkiError> {
    let birth = format!("{}{}", era_code(person.birth_date), person.birth_date);
    let names = [
        (OID_NAME, person.name),
        (OID_BIRTH, birth.as_str()),
        (OID_SEX, person.sex_code),
        (OID_ADDRESS, person.address),
    ]
    .into_iter()
    .map(|(oid, value)| other_name(oid, value))
    .collect::<Result<Vec<_>, PkiError>>()?;
    let subject = format!("CN=MOCK SIGN {},C=JP", hex(serial));
    ca.issue(
        &subject,
        serial,
        validity,
        public_key,
        Some(SubjectAltName(names)),
    )
}

fn other_name(oid: &str, value: &str) -> Result<GeneralName, PkiError> {
    let type_id = ObjectIdentifier::new(oid).map_err(|e| PkiError::Build(e.to_string()))?;
    let value = Any::encode_from(&Utf8StringRef::new(value)?)?;
    Ok(GeneralName::OtherName(OtherName { type_id, value }))
}

/// Japanese era code used in front of the JPKI birth date: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和.
fn era_code(yyyymmdd: &str) -> char {
    // Eight-digit dates compare correctly as strings.
    match yyyymmdd {
        d if d >= "20190501" => '5',
        d if d >= "19890108" => '4',
        d if d >= "19261225" => '3',
        d if d >= "19120730" => '2',
        _ => '1',
    }
}

fn spki(key: &RsaPublicKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let der = key
        .to_public_key_der()
        .map_err(|e| PkiError::Build(e.to_string()))?;
    Ok(SubjectPublicKeyInfoOwned::from_der(der.as_bytes())?)
}

/// Upper-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
