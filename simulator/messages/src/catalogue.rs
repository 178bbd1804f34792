//! The catalogue of processing-result codes (処理結果コード, 別紙6-1): which code and message the
//! terminal reports for each situation the simulator detects.
//!
//! The official list is not public, so the built-in catalogue (`mock-error-catalogue.toml`) holds
//! visibly mock codes. A holder of the official list loads a file of the same shape in its place;
//! keys that file lacks fall back to the built-in entries.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A situation the simulator reports with a code. The catalogue key is [`ErrorKey::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKey {
    /// The request file is empty.
    FileEmpty,
    /// The bytes contradict the declared encoding.
    FileEncoding,
    /// The request is not well-formed XML.
    FileNotXml,
    /// The root element is not `XmlMsg`.
    FileWrongRoot,
    /// Well-formed, wrong structure.
    FileStructure,
    /// A required element is missing.
    FileMissingElement,
    /// The file name has no known request prefix.
    FileUnknownPrefix,
    /// The file is larger than the configured limit.
    FileTooLarge,
    /// A request kind the simulator does not implement yet.
    FileUnsupported,
    /// `QualificationConfirmationDate` is not a `yyyyMMdd` date.
    HeaderConfirmationDate,
    /// `QualificationConfirmationDate` is after today.
    HeaderConfirmationDateFuture,
    /// `MedicalInstitutionCode` is not 10 digits.
    HeaderMedicalInstitutionCode,
    /// `InsurerNumber` has the wrong shape.
    PersonInsurerNumber,
    /// `InsurerNumber` fails its 検証番号.
    PersonInsurerCheckDigit,
    /// `InsuredCardSymbol` is malformed.
    PersonSymbol,
    /// `InsuredIdentificationNumber` is malformed.
    PersonNumber,
    /// `InsuredBranchNumber` is not 2 digits.
    PersonBranchNumber,
    /// `Birthdate` is not a valid `yyyyMMdd` date.
    PersonBirthdate,
    /// `LimitApplicationCertificateRelatedConsFlg` is not 0 or 1.
    PersonConsentFlag,
    /// No qualification matches (QualificationValidity 4).
    QualificationNotFound,
    /// Several qualifications match (QualificationValidity 5).
    QualificationMultiple,
    /// Web API: authentication failed.
    HttpUnauthorized,
    /// Web API: the request body is malformed.
    HttpBadRequest,
    /// Bulk upload: more persons than the configured limit.
    BulkTooManyUnits,
    /// Bulk download: the 受付番号 is unknown, or belongs to another facility.
    BulkReceptionUnknown,
    /// 照会番号 registration: `ReferenceNumber` is missing, empty or too long.
    ReferenceNumberInvalid,
    /// Criteria bulk upload (訪問/オンライン/医療扶助): a date, month or MedicalTreatmentFlag is wrong.
    BulkCriteria,
    /// The terminal is in a maintenance window (an injected fault; SegmentOfResult 9).
    TerminalMaintenance,
    /// 薬剤・特定健診情報: the patient has not consented to this category at this facility.
    MedicalNoConsent,
    /// 薬剤・特定健診情報: the consent's `…AvailableTime` has passed.
    MedicalConsentExpired,
    /// 薬剤・特定健診情報: the consent was obtained by another facility.
    MedicalOtherFacility,
    /// 特定健診情報 asked by a pharmacy (点数表番号 4).
    MedicalPharmacyCheckup,
    /// 薬剤・特定健診情報: `FileCategory` is not one of the values for the request.
    MedicalFileCategory,
    /// 薬剤・特定健診情報: `StartDate` / `EndDate` are not `yyyyMM`, reversed, or in the future.
    MedicalPeriod,
}

impl ErrorKey {
    /// Every key.
    pub const ALL: [ErrorKey; 34] = [
        ErrorKey::FileEmpty,
        ErrorKey::FileEncoding,
        ErrorKey::FileNotXml,
        ErrorKey::FileWrongRoot,
        ErrorKey::FileStructure,
        ErrorKey::FileMissingElement,
        ErrorKey::FileUnknownPrefix,
        ErrorKey::FileTooLarge,
        ErrorKey::FileUnsupported,
        ErrorKey::HeaderConfirmationDate,
        ErrorKey::HeaderConfirmationDateFuture,
        ErrorKey::HeaderMedicalInstitutionCode,
        ErrorKey::PersonInsurerNumber,
        ErrorKey::PersonInsurerCheckDigit,
        ErrorKey::PersonSymbol,
        ErrorKey::PersonNumber,
        ErrorKey::PersonBranchNumber,
        ErrorKey::PersonBirthdate,
        ErrorKey::PersonConsentFlag,
        ErrorKey::QualificationNotFound,
        ErrorKey::QualificationMultiple,
        ErrorKey::HttpUnauthorized,
        ErrorKey::HttpBadRequest,
        ErrorKey::BulkTooManyUnits,
        ErrorKey::BulkReceptionUnknown,
        ErrorKey::ReferenceNumberInvalid,
        ErrorKey::BulkCriteria,
        ErrorKey::TerminalMaintenance,
        ErrorKey::MedicalNoConsent,
        ErrorKey::MedicalConsentExpired,
        ErrorKey::MedicalOtherFacility,
        ErrorKey::MedicalPharmacyCheckup,
        ErrorKey::MedicalFileCategory,
        ErrorKey::MedicalPeriod,
    ];

    /// The key in the catalogue file.
    pub fn key(self) -> &'static str {
        match self {
            ErrorKey::FileEmpty => "file.empty",
            ErrorKey::FileEncoding => "file.encoding",
            ErrorKey::FileNotXml => "file.not_xml",
            ErrorKey::FileWrongRoot => "file.wrong_root",
            ErrorKey::FileStructure => "file.structure",
            ErrorKey::FileMissingElement => "file.missing_element",
            ErrorKey::FileUnknownPrefix => "file.unknown_prefix",
            ErrorKey::FileTooLarge => "file.too_large",
            ErrorKey::FileUnsupported => "file.unsupported",
            ErrorKey::HeaderConfirmationDate => "header.confirmation_date",
            ErrorKey::HeaderConfirmationDateFuture => "header.confirmation_date_future",
            ErrorKey::HeaderMedicalInstitutionCode => "header.medical_institution_code",
            ErrorKey::PersonInsurerNumber => "person.insurer_number",
            ErrorKey::PersonInsurerCheckDigit => "person.insurer_check_digit",
            ErrorKey::PersonSymbol => "person.symbol",
            ErrorKey::PersonNumber => "person.number",
            ErrorKey::PersonBranchNumber => "person.branch_number",
            ErrorKey::PersonBirthdate => "person.birthdate",
            ErrorKey::PersonConsentFlag => "person.consent_flag",
            ErrorKey::QualificationNotFound => "qualification.not_found",
            ErrorKey::QualificationMultiple => "qualification.multiple",
            ErrorKey::HttpUnauthorized => "http.unauthorized",
            ErrorKey::HttpBadRequest => "http.bad_request",
            ErrorKey::BulkTooManyUnits => "bulk.too_many_units",
            ErrorKey::BulkReceptionUnknown => "bulk.reception_unknown",
            ErrorKey::ReferenceNumberInvalid => "reference.number",
            ErrorKey::BulkCriteria => "bulk.criteria",
            ErrorKey::TerminalMaintenance => "terminal.maintenance",
            ErrorKey::MedicalNoConsent => "medical.no_consent",
            ErrorKey::MedicalConsentExpired => "medical.consent_expired",
            ErrorKey::MedicalOtherFacility => "medical.other_facility",
            ErrorKey::MedicalPharmacyCheckup => "medical.pharmacy_checkup",
            ErrorKey::MedicalFileCategory => "medical.file_category",
            ErrorKey::MedicalPeriod => "medical.period",
        }
    }
}

/// One code and its message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CatalogueEntry {
    /// The code as written to `ErrorCode` / `ProcessingResultCode`.
    pub code: String,
    /// The text written to `ErrorMessage` / `ProcessingResultMessage`.
    pub message: String,
}

#[derive(Deserialize)]
struct CatalogueFile {
    codes: BTreeMap<String, CatalogueEntry>,
}

/// Why a catalogue file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    /// Not valid TOML of the catalogue's shape.
    #[error("invalid catalogue: {0}")]
    Toml(#[from] toml::de::Error),
    /// Keys the simulator does not know (probably misspelt).
    #[error("unknown catalogue keys: {}", .0.join(", "))]
    UnknownKeys(Vec<String>),
}

/// Codes and messages by situation.
#[derive(Debug, Clone)]
pub struct ErrorCatalogue {
    entries: BTreeMap<ErrorKey, CatalogueEntry>,
}

/// The built-in mock catalogue, as shipped.
pub const MOCK_CATALOGUE_TOML: &str = include_str!("../mock-error-catalogue.toml");

impl ErrorCatalogue {
    /// The built-in mock catalogue.
    pub fn mock() -> ErrorCatalogue {
        let mut entries = BTreeMap::new();
        if let Ok(file) = toml::from_str::<CatalogueFile>(MOCK_CATALOGUE_TOML) {
            for key in ErrorKey::ALL {
                if let Some(entry) = file.codes.get(key.key()) {
                    entries.insert(key, entry.clone());
                }
            }
        }
        ErrorCatalogue { entries }
    }

    /// Loads a catalogue file; keys it lacks keep their mock entries.
    pub fn from_toml(text: &str) -> Result<ErrorCatalogue, CatalogueError> {
        let file: CatalogueFile = toml::from_str(text)?;
        let unknown: Vec<String> = file
            .codes
            .keys()
            .filter(|k| !ErrorKey::ALL.iter().any(|key| key.key() == k.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(CatalogueError::UnknownKeys(unknown));
        }
        let mut catalogue = ErrorCatalogue::mock();
        for key in ErrorKey::ALL {
            if let Some(entry) = file.codes.get(key.key()) {
                catalogue.entries.insert(key, entry.clone());
            }
        }
        Ok(catalogue)
    }

    /// The code and message for `key`.
    pub fn get(&self, key: ErrorKey) -> CatalogueEntry {
        self.entries
            .get(&key)
            .cloned()
            .unwrap_or_else(|| CatalogueEntry {
                code: format!("MOCK-{}", key.key()),
                message: key.key().to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_catalogue_covers_every_key_with_mock_codes() {
        let file: CatalogueFile = toml::from_str(MOCK_CATALOGUE_TOML).unwrap();
        for key in ErrorKey::ALL {
            let entry = file
                .codes
                .get(key.key())
                .unwrap_or_else(|| panic!("{key:?} missing"));
            assert!(entry.code.starts_with("MOCK-"), "{key:?}: {}", entry.code);
            assert!(!entry.message.is_empty());
        }
        assert_eq!(
            file.codes.len(),
            ErrorKey::ALL.len(),
            "the file has keys the code lacks"
        );
    }

    #[test]
    fn loaded_file_overrides_and_falls_back() {
        let c = ErrorCatalogue::from_toml(
            "[codes.\"qualification.not_found\"]\ncode = \"X1\"\nmessage = \"なし\"\n",
        )
        .unwrap();
        assert_eq!(c.get(ErrorKey::QualificationNotFound).code, "X1");
        assert_eq!(c.get(ErrorKey::FileNotXml).code, "MOCK-F0003");
        assert!(matches!(
            ErrorCatalogue::from_toml("[codes.\"no.such\"]\ncode = \"X\"\nmessage = \"y\"\n"),
            Err(CatalogueError::UnknownKeys(_))
        ));
    }
}
