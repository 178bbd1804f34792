//! `OQSsiimm01req_` / `OQSmuimm01req_`: 照会番号 registration (oqs-interface.md §2.5). The clinic
//! stores its own number (usually the chart number) against a person; later results for that
//! facility carry it as `ReferenceNumber`.
//!
//! The request is public only in part: the header (`MedicalInstitutionCode`,
//! `ArbitraryFileIdentifier`) and the wrapper `ReferenceNumberRegistrationInfo` (repeated in the
//! bulk form) are attested; the keys inside it are inferred \[I\] to be those of the single check
//! plus `ReferenceNumber`. The result is not public at all; this simulator's design:
//!
//! - header as the single check's (`SegmentOfResult` 9 + `ErrorCode` for a bad header), plus the
//!   counts `NumberOfProcessingResult` / `NumberOfNormalProcessing` / `NumberOfError` for the
//!   bulk form;
//! - single form: the body holds `ProcessingResultStatus`, `ProcessingResultCode`,
//!   `ProcessingResultMessage`, `QualificationValidity` and the echoed
//!   `ReferenceNumberRegistrationInfo`, like a single-check result;
//! - bulk form: one `ReferenceNumberRegistrationUnit` per entry, each with those elements.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::xml::ReadError;

/// The registration request (both forms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct ReferenceNumberRequest {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader", default)]
    pub header: ReferenceNumberRequestHeader,
    /// `MessageBody`.
    #[serde(rename = "MessageBody", default)]
    pub body: ReferenceNumberRequestBody,
}

/// `MessageHeader` of a registration request.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferenceNumberRequestHeader {
    /// 資格確認日 \[I\]: the date the keys are matched for; today when absent.
    pub qualification_confirmation_date: Option<String>,
    /// 医療機関コード (required).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 (echoed).
    pub arbitrary_file_identifier: Option<String>,
}

/// `MessageBody` of a registration request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceNumberRequestBody {
    /// One per person (exactly one in the single form).
    #[serde(rename = "ReferenceNumberRegistrationInfo", default)]
    pub entries: Vec<ReferenceNumberRegistrationInfo>,
}

/// `ReferenceNumberRegistrationInfo`: the person's card keys and the number to store \[I\].
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferenceNumberRegistrationInfo {
    /// 保険者番号 (8 characters, or space-padded).
    pub insurer_number: Option<String>,
    /// 被保険者証記号.
    pub insured_card_symbol: Option<String>,
    /// 被保険者証番号.
    pub insured_identification_number: Option<String>,
    /// 被保険者証枝番.
    pub insured_branch_number: Option<String>,
    /// 生年月日, `yyyyMMdd`.
    pub birthdate: Option<String>,
    /// 照会番号 to store.
    pub reference_number: Option<String>,
}

impl ReferenceNumberRequest {
    /// The 医療機関コード, or the missing element. Entries are checked one by one.
    pub fn required(&self) -> Result<&str, ReadError> {
        let mic =
            self.header
                .medical_institution_code
                .as_deref()
                .ok_or(ReadError::MissingElement(
                    "MessageHeader/MedicalInstitutionCode",
                ))?;
        if self.body.entries.is_empty() {
            return Err(ReadError::MissingElement(
                "MessageBody/ReferenceNumberRegistrationInfo",
            ));
        }
        Ok(mic)
    }
}

/// The registration result (`OQSsiimm01res_` / `OQSmuimm01res_`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct ReferenceNumberResult {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader")]
    pub header: ReferenceNumberResultHeader,
    /// `MessageBody`; absent on header-level errors.
    #[serde(
        rename = "MessageBody",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub body: Option<ReferenceNumberResultBody>,
}

/// `MessageHeader` of a registration result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferenceNumberResultHeader {
    /// 処理実行日時.
    pub process_execution_time: String,
    /// 医療機関コード (echo).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 (echo).
    pub arbitrary_file_identifier: Option<String>,
    /// 処理結果区分, OQSCD003.
    pub segment_of_result: String,
    /// エラーコード.
    pub error_code: Option<String>,
    /// エラーメッセージ.
    pub error_message: Option<String>,
    /// 処理件数 (bulk form).
    pub number_of_processing_result: Option<String>,
    /// 処理件数（正常） (bulk form).
    pub number_of_normal_processing: Option<String>,
    /// 処理件数（エラー） (bulk form).
    pub number_of_error: Option<String>,
    /// 文字コード識別, OQSCD005.
    pub character_code_identifier: String,
}

/// `MessageBody` of a registration result: the flat fields for the single form, the units for
/// the bulk form.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferenceNumberResultBody {
    /// 処理結果状況 (single form).
    pub processing_result_status: Option<String>,
    /// 処理結果コード (single form).
    pub processing_result_code: Option<String>,
    /// 処理結果メッセージ (single form).
    pub processing_result_message: Option<String>,
    /// 資格有効性 of the matched keys (single form).
    pub qualification_validity: Option<String>,
    /// Echo of the entry (single form).
    pub reference_number_registration_info: Option<ReferenceNumberRegistrationInfo>,
    /// One per entry (bulk form).
    #[serde(rename = "ReferenceNumberRegistrationUnit", default)]
    pub units: Vec<ReferenceNumberRegistrationUnit>,
}

/// `ReferenceNumberRegistrationUnit`: the outcome of one entry of the bulk form.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferenceNumberRegistrationUnit {
    /// Echo of the entry.
    pub reference_number_registration_info: Option<ReferenceNumberRegistrationInfo>,
    /// 処理結果状況.
    pub processing_result_status: String,
    /// 処理結果コード.
    pub processing_result_code: Option<String>,
    /// 処理結果メッセージ.
    pub processing_result_message: Option<String>,
    /// 資格有効性 of the matched keys.
    pub qualification_validity: Option<String>,
}
