//! Upload requests of the bulk checks that select persons by criteria rather than by card keys
//! (oqs-interface.md §2.4, seen in OD2 only \[S\]): `OQSmuhvq01req_` (訪問診療等, by consent dates),
//! `OQSmuonq01req_` (オンライン診療等, by consent or examination dates) and `OQSmutic01req_`
//! (医療扶助, by treatment month).
//!
//! The rest of their two-phase flow has the layout of the qualification bulk check: the `01res`
//! is a [`BulkUploadResult`](crate::muquc::BulkUploadResult), the `02req` a
//! [`BulkDownloadRequest`](crate::muquc::BulkDownloadRequest) and the `02res` a
//! [`BulkDownloadResult`](crate::muquc::BulkDownloadResult), whose units carry
//! `PublicExpenseResultList/MedicalTicketInfo` for 医療扶助.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::MessageKind;
use crate::xml::ReadError;

/// The 01 upload request of `OQSmuhvq`, `OQSmuonq` and `OQSmutic`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct CriteriaUploadRequest {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader", default)]
    pub header: CriteriaUploadHeader,
    /// `MessageBody`.
    #[serde(rename = "MessageBody", default)]
    pub body: CriteriaUploadBody,
}

/// `MessageHeader` of a criteria upload.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CriteriaUploadHeader {
    /// 医療機関コード (required).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 (OD2: `yyyyMMddHHmmss` + milliseconds + machine-name tail).
    pub arbitrary_file_identifier: Option<String>,
}

/// `MessageBody` of a criteria upload.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CriteriaUploadBody {
    /// The selection criteria (required).
    pub qualification_confirm_search_info: Option<SearchCriteria>,
}

/// `QualificationConfirmSearchInfo` of a criteria upload.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchCriteria {
    /// 同意日（開始）, `yyyyMMdd` (訪問診療等; オンライン診療等 by consent).
    pub consent_date_from: Option<String>,
    /// 同意日（終了）, `yyyyMMdd`.
    pub consent_date_to: Option<String>,
    /// 診察日（開始）, `yyyyMMdd` (オンライン診療等 by examination).
    pub examination_date_from: Option<String>,
    /// 診察日（終了）, `yyyyMMdd`.
    pub examination_date_to: Option<String>,
    /// 診療区分, OQSCD028: `2` 訪問診療等, `3` オンライン診療等 (absent for 医療扶助).
    pub medical_treatment_flag: Option<String>,
    /// 診療年月, `yyyyMM` (医療扶助).
    pub medical_treatment_month: Option<String>,
}

/// The criteria a criteria upload selects by, once the kind's required elements are present
/// (values not yet checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criteria<'a> {
    /// By consent date range (訪問診療等, or オンライン診療等 by consent).
    Consent {
        /// From, `yyyyMMdd`.
        from: &'a str,
        /// To, `yyyyMMdd`.
        to: &'a str,
        /// MedicalTreatmentFlag.
        flag: &'a str,
    },
    /// By examination date range (オンライン診療等).
    Examination {
        /// From, `yyyyMMdd`.
        from: &'a str,
        /// To, `yyyyMMdd`.
        to: &'a str,
        /// MedicalTreatmentFlag.
        flag: &'a str,
    },
    /// By treatment month (医療扶助).
    TreatmentMonth(&'a str),
}

impl CriteriaUploadRequest {
    /// The 医療機関コード and the criteria `kind` requires, or the first missing element.
    pub fn required(&self, kind: MessageKind) -> Result<(&str, Criteria<'_>), ReadError> {
        use ReadError::MissingElement as Missing;
        let mic = self
            .header
            .medical_institution_code
            .as_deref()
            .ok_or(Missing("MessageHeader/MedicalInstitutionCode"))?;
        let c = self
            .body
            .qualification_confirm_search_info
            .as_ref()
            .ok_or(Missing("MessageBody/QualificationConfirmSearchInfo"))?;
        let flag = || {
            c.medical_treatment_flag.as_deref().ok_or(Missing(
                "MessageBody/QualificationConfirmSearchInfo/MedicalTreatmentFlag",
            ))
        };
        let consent = || -> Result<Criteria<'_>, ReadError> {
            Ok(Criteria::Consent {
                from: c.consent_date_from.as_deref().ok_or(Missing(
                    "MessageBody/QualificationConfirmSearchInfo/ConsentDateFrom",
                ))?,
                to: c.consent_date_to.as_deref().ok_or(Missing(
                    "MessageBody/QualificationConfirmSearchInfo/ConsentDateTo",
                ))?,
                flag: flag()?,
            })
        };
        let criteria = match kind {
            MessageKind::HomeVisitUpload => consent()?,
            MessageKind::OnlineUpload if c.examination_date_from.is_some() => {
                Criteria::Examination {
                    from: c.examination_date_from.as_deref().unwrap_or_default(),
                    to: c.examination_date_to.as_deref().ok_or(Missing(
                        "MessageBody/QualificationConfirmSearchInfo/ExaminationDateTo",
                    ))?,
                    flag: flag()?,
                }
            }
            MessageKind::OnlineUpload => consent()?,
            MessageKind::MedicalAidUpload => {
                Criteria::TreatmentMonth(c.medical_treatment_month.as_deref().ok_or(Missing(
                    "MessageBody/QualificationConfirmSearchInfo/MedicalTreatmentMonth",
                ))?)
            }
            _ => {
                return Err(ReadError::Structure(format!(
                    "{} is not a criteria upload",
                    kind.prefix()
                )));
            }
        };
        Ok((mic, criteria))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::read_document;

    const HVQ: &str = "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n\
        <XmlMsg><MessageHeader><MedicalInstitutionCode>1319999990</MedicalInstitutionCode>\
        <ArbitraryFileIdentifier>20261125090000123PC1</ArbitraryFileIdentifier></MessageHeader>\
        <MessageBody><QualificationConfirmSearchInfo><ConsentDateFrom>20261101</ConsentDateFrom>\
        <ConsentDateTo>20261130</ConsentDateTo><MedicalTreatmentFlag>2</MedicalTreatmentFlag>\
        </QualificationConfirmSearchInfo></MessageBody></XmlMsg>";

    #[test]
    fn reads_the_od2_shape_and_names_what_is_missing() {
        let (req, _) = read_document::<CriteriaUploadRequest>(HVQ.as_bytes()).unwrap();
        assert_eq!(
            req.required(MessageKind::HomeVisitUpload).unwrap(),
            (
                "1319999990",
                Criteria::Consent {
                    from: "20261101",
                    to: "20261130",
                    flag: "2"
                }
            )
        );
        assert!(matches!(
            req.required(MessageKind::MedicalAidUpload),
            Err(ReadError::MissingElement(m)) if m.ends_with("MedicalTreatmentMonth")
        ));
        let mut exam = req.clone();
        let c = exam
            .body
            .qualification_confirm_search_info
            .as_mut()
            .unwrap();
        c.examination_date_from = Some("20261101".into());
        assert!(matches!(
            exam.required(MessageKind::OnlineUpload),
            Err(ReadError::MissingElement(m)) if m.ends_with("ExaminationDateTo")
        ));
        assert!(req.required(MessageKind::SingleQualification).is_err());
    }
}
