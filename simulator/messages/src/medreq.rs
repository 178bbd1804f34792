//! `YZKsiquc01req_` (薬剤情報, optionally with 診療情報) and `TKKsiquc01req_` (特定健診情報): the
//! request both share (oqs-interface.md §2.6). The layout is the one written by OQSDrug, the only
//! public writer \[S\]. Note the header names, which differ from the qualification check's:
//! `InsuranceCardSymbol`, `InsuredPersonIdentificationNumber`, `BranchNumber`; and there is no
//! `Birthdate`.
//!
//! ```text
//! XmlMsg
//!  ├─ MessageHeader: MedicalInstitutionCode, InsurerNumber, InsuranceCardSymbol,
//!  │                 InsuredPersonIdentificationNumber, BranchNumber, ArbitraryFileIdentifier
//!  └─ MessageBody:   StartDate (yyyyMM), EndDate (yyyyMM), FileCategory, PrDiInfClassification,
//!                    MedicalTreatmentFlag (OQSCD028)
//! ```

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::xml::ReadError;

/// The drug or checkup information request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct MedicalInfoRequest {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader", default)]
    pub header: MedicalInfoRequestHeader,
    /// `MessageBody`.
    #[serde(rename = "MessageBody", default)]
    pub body: MedicalInfoRequestBody,
}

/// `MessageHeader` of the request: the facility and the patient's card keys.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MedicalInfoRequestHeader {
    /// 医療機関コード (required).
    pub medical_institution_code: Option<String>,
    /// 保険者番号 (required).
    pub insurer_number: Option<String>,
    /// 被保険者証記号.
    pub insurance_card_symbol: Option<String>,
    /// 被保険者証番号 (required).
    pub insured_person_identification_number: Option<String>,
    /// 被保険者証枝番.
    pub branch_number: Option<String>,
    /// 任意のファイル識別子 (echoed).
    pub arbitrary_file_identifier: Option<String>,
}

/// `MessageBody` of the request.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MedicalInfoRequestBody {
    /// First month, `yyyyMM` (drug; OQSDrug sends today − 6 months).
    pub start_date: Option<String>,
    /// Last month, `yyyyMM` (drug).
    pub end_date: Option<String>,
    /// 1 PDF / 2 XML; 3 PDF / 4 XML with 診療情報 (drug only). Required.
    pub file_category: Option<String>,
    /// Always `1` in OQSDrug; meaning not public \[I\].
    pub pr_di_inf_classification: Option<String>,
    /// 診療区分, OQSCD028: 1 外来, 2 訪問診療等, 3 オンライン診療等, 4 救急時.
    pub medical_treatment_flag: Option<String>,
}

/// `FileCategory`: the result's format, and whether 診療情報 comes with the drugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileCategory {
    /// 1: PDF.
    Pdf,
    /// 2: XML.
    Xml,
    /// 3: PDF, 薬剤 + 診療情報 (drug only).
    PdfWithDiagnosis,
    /// 4: XML, 薬剤 + 診療情報 (drug only).
    XmlWithDiagnosis,
}

impl FileCategory {
    /// Parses the wire value (`1`–`4`, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<FileCategory> {
        Some(match s.trim() {
            "1" => FileCategory::Pdf,
            "2" => FileCategory::Xml,
            "3" => FileCategory::PdfWithDiagnosis,
            "4" => FileCategory::XmlWithDiagnosis,
            _ => return None,
        })
    }

    /// The wire value.
    pub fn code(self) -> &'static str {
        match self {
            FileCategory::Pdf => "1",
            FileCategory::Xml => "2",
            FileCategory::PdfWithDiagnosis => "3",
            FileCategory::XmlWithDiagnosis => "4",
        }
    }

    /// The result is a PDF.
    pub fn is_pdf(self) -> bool {
        matches!(self, FileCategory::Pdf | FileCategory::PdfWithDiagnosis)
    }

    /// 診療情報 is asked for with the drugs.
    pub fn with_diagnosis(self) -> bool {
        matches!(
            self,
            FileCategory::PdfWithDiagnosis | FileCategory::XmlWithDiagnosis
        )
    }
}

/// The required parts of a request, borrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicalInfoQuery<'a> {
    /// 医療機関コード.
    pub medical_institution_code: &'a str,
    /// 保険者番号.
    pub insurer_number: &'a str,
    /// 記号, when given.
    pub symbol: Option<&'a str>,
    /// 番号.
    pub identification_number: &'a str,
    /// 枝番, when given.
    pub branch: Option<&'a str>,
    /// 任意のファイル識別子.
    pub arbitrary_file_identifier: Option<&'a str>,
    /// `FileCategory`, as written (checked by the engine).
    pub file_category: &'a str,
    /// `StartDate`, as written.
    pub start_date: Option<&'a str>,
    /// `EndDate`, as written.
    pub end_date: Option<&'a str>,
}

fn blank_is_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

impl MedicalInfoRequest {
    /// The required elements, or the first one missing.
    pub fn required(&self) -> Result<MedicalInfoQuery<'_>, ReadError> {
        let h = &self.header;
        let b = &self.body;
        Ok(MedicalInfoQuery {
            medical_institution_code: h.medical_institution_code.as_deref().ok_or(
                ReadError::MissingElement("MessageHeader/MedicalInstitutionCode"),
            )?,
            insurer_number: h
                .insurer_number
                .as_deref()
                .ok_or(ReadError::MissingElement("MessageHeader/InsurerNumber"))?,
            symbol: blank_is_none(&h.insurance_card_symbol),
            identification_number: h.insured_person_identification_number.as_deref().ok_or(
                ReadError::MissingElement("MessageHeader/InsuredPersonIdentificationNumber"),
            )?,
            branch: blank_is_none(&h.branch_number),
            arbitrary_file_identifier: h.arbitrary_file_identifier.as_deref(),
            file_category: b
                .file_category
                .as_deref()
                .ok_or(ReadError::MissingElement("MessageBody/FileCategory"))?,
            start_date: blank_is_none(&b.start_date),
            end_date: blank_is_none(&b.end_date),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::read_document;

    const EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg>
  <MessageHeader>
    <MedicalInstitutionCode>1319999990</MedicalInstitutionCode>
    <InsurerNumber>06139999</InsurerNumber>
    <InsuranceCardSymbol>１２３</InsuranceCardSymbol>
    <InsuredPersonIdentificationNumber>4567</InsuredPersonIdentificationNumber>
    <BranchNumber>01</BranchNumber>
    <ArbitraryFileIdentifier>000123</ArbitraryFileIdentifier>
  </MessageHeader>
  <MessageBody>
    <StartDate>202605</StartDate>
    <EndDate>202611</EndDate>
    <FileCategory>2</FileCategory>
    <PrDiInfClassification>1</PrDiInfClassification>
    <MedicalTreatmentFlag>1</MedicalTreatmentFlag>
  </MessageBody>
</XmlMsg>
"#;

    #[test]
    fn reads_the_reference_example() {
        let (req, _) = read_document::<MedicalInfoRequest>(EXAMPLE.as_bytes()).unwrap();
        let q = req.required().unwrap();
        assert_eq!(q.medical_institution_code, "1319999990");
        assert_eq!(q.symbol, Some("１２３"));
        assert_eq!(q.identification_number, "4567");
        assert_eq!(q.branch, Some("01"));
        assert_eq!(q.start_date, Some("202605"));
        assert_eq!(
            FileCategory::parse(q.file_category),
            Some(FileCategory::Xml)
        );
    }

    #[test]
    fn names_the_missing_element() {
        let text = EXAMPLE.replace("<FileCategory>2</FileCategory>", "");
        let (req, _) = read_document::<MedicalInfoRequest>(text.as_bytes()).unwrap();
        assert_eq!(
            req.required(),
            Err(ReadError::MissingElement("MessageBody/FileCategory"))
        );
        // The qualification check's element names are not these.
        let text = EXAMPLE.replace(
            "InsuredPersonIdentificationNumber",
            "InsuredIdentificationNumber",
        );
        let (req, _) = read_document::<MedicalInfoRequest>(text.as_bytes()).unwrap();
        assert!(req.required().is_err());
    }

    #[test]
    fn file_categories() {
        for code in ["1", "2", "3", "4"] {
            assert_eq!(
                FileCategory::parse(code).map(FileCategory::code),
                Some(code)
            );
        }
        assert!(FileCategory::parse("5").is_none());
        assert!(FileCategory::Pdf.is_pdf() && !FileCategory::Xml.is_pdf());
        assert!(FileCategory::XmlWithDiagnosis.with_diagnosis());
    }
}
