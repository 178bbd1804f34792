//! `OQSmuquc01req_` / `01res_` and `OQSmuquc02req_` / `02res_`: the bulk qualification check
//! (資格確認一括照会), oqs-interface.md §2.3. The upload (01) carries many
//! `QualificationConfirmSearchInfo`, each with its own `ArbitraryIdentifier`, and is answered with
//! a `ReceptionNumber` (受付番号). The download (02) asks for that number and is answered with
//! `SegmentOfResult` 2 (処理中: ask again later) until the job is done, then with one
//! `BulkConfirmUnit` per person.
//!
//! Every value is the wire string; optional elements are `None` and omitted when writing. Per
//! SK's model, `ResultOfQualificationConfirmation` sits directly under the unit (no `ResultList`).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::siquc01::{
    QualificationConfirmSearchInfo, RequestHeader, ResultOfQualificationConfirmation,
};
use crate::xml::ReadError;

/// The 01 upload request (`OQSmuquc01req_`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct BulkUploadRequest {
    /// `MessageHeader`: QualificationConfirmationDate, MedicalInstitutionCode,
    /// ArbitraryFileIdentifier (as in the single check).
    #[serde(rename = "MessageHeader", default)]
    pub header: RequestHeader,
    /// `MessageBody`.
    #[serde(rename = "MessageBody", default)]
    pub body: BulkUploadRequestBody,
}

/// `MessageBody` of the 01 upload request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkUploadRequestBody {
    /// One per person (1..n).
    #[serde(rename = "QualificationConfirmSearchInfo", default)]
    pub search: Vec<QualificationConfirmSearchInfo>,
}

/// A 01 upload whose required header elements are present (values not yet checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUpload<'a> {
    /// 資格確認日.
    pub confirmation_date: &'a str,
    /// 医療機関コード.
    pub medical_institution_code: &'a str,
    /// 任意のファイル識別子.
    pub arbitrary_file_identifier: Option<&'a str>,
    /// The persons (at least one).
    pub search: &'a [QualificationConfirmSearchInfo],
}

impl BulkUploadRequest {
    /// Checks that the header's required elements and at least one person are present. Missing
    /// elements inside a person are that person's error, not the file's.
    pub fn required(&self) -> Result<BulkUpload<'_>, ReadError> {
        use ReadError::MissingElement as Missing;
        let h = &self.header;
        let confirmation_date = h
            .qualification_confirmation_date
            .as_deref()
            .ok_or(Missing("MessageHeader/QualificationConfirmationDate"))?;
        let medical_institution_code = h
            .medical_institution_code
            .as_deref()
            .ok_or(Missing("MessageHeader/MedicalInstitutionCode"))?;
        if self.body.search.is_empty() {
            return Err(Missing("MessageBody/QualificationConfirmSearchInfo"));
        }
        Ok(BulkUpload {
            confirmation_date,
            medical_institution_code,
            arbitrary_file_identifier: h.arbitrary_file_identifier.as_deref(),
            search: &self.body.search,
        })
    }
}

/// The 01 upload result (`OQSmuquc01res_`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct BulkUploadResult {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader")]
    pub header: BulkUploadResultHeader,
    /// `MessageBody`; absent when the upload was refused (`SegmentOfResult` 9).
    #[serde(
        rename = "MessageBody",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub body: Option<BulkUploadResultBody>,
}

/// `MessageHeader` of the 01 upload result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkUploadResultHeader {
    /// 処理実行日時, `yyyyMMddHHmmss`.
    pub process_execution_time: String,
    /// 資格確認日 (echo).
    pub qualification_confirmation_date: Option<String>,
    /// 医療機関コード (echo).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 (echo, verbatim).
    pub arbitrary_file_identifier: Option<String>,
    /// 処理結果区分, OQSCD003: 1 accepted, 9 refused.
    pub segment_of_result: String,
    /// エラーコード (only when SegmentOfResult is 9).
    pub error_code: Option<String>,
    /// エラーメッセージ (only when SegmentOfResult is 9).
    pub error_message: Option<String>,
    /// 文字コード識別, OQSCD005.
    pub character_code_identifier: String,
}

/// `MessageBody` of the 01 upload result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkUploadResultBody {
    /// 受付番号: quote it in the 02 download request.
    pub reception_number: String,
    /// 受付日時, `yyyyMMddHHmmss` \[I\].
    pub reception_date_time: Option<String>,
}

/// The 02 download request (`OQSmuquc02req_`, and the 02 of the sibling bulk kinds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct BulkDownloadRequest {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader", default)]
    pub header: BulkDownloadRequestHeader,
    /// `MessageBody`.
    #[serde(rename = "MessageBody", default)]
    pub body: BulkDownloadRequestBody,
}

/// `MessageHeader` of the 02 download request.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkDownloadRequestHeader {
    /// 医療機関コード (required).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 (optional; echoed).
    pub arbitrary_file_identifier: Option<String>,
}

/// `MessageBody` of the 02 download request.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkDownloadRequestBody {
    /// 受付番号 from the 01 result (required).
    pub reception_number: Option<String>,
}

impl BulkDownloadRequest {
    /// The 医療機関コード and 受付番号, or the first missing element.
    pub fn required(&self) -> Result<(&str, &str), ReadError> {
        use ReadError::MissingElement as Missing;
        let mic = self
            .header
            .medical_institution_code
            .as_deref()
            .ok_or(Missing("MessageHeader/MedicalInstitutionCode"))?;
        let number = self
            .body
            .reception_number
            .as_deref()
            .ok_or(Missing("MessageBody/ReceptionNumber"))?;
        Ok((mic, number))
    }
}

/// The 02 download result (`OQSmuquc02res_`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct BulkDownloadResult {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader")]
    pub header: BulkDownloadResultHeader,
    /// `MessageBody`; present only when the job is done (`SegmentOfResult` 1).
    #[serde(
        rename = "MessageBody",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub body: Option<BulkDownloadResultBody>,
}

/// `MessageHeader` of the 02 download result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkDownloadResultHeader {
    /// 処理実行日時, `yyyyMMddHHmmss`.
    pub process_execution_time: String,
    /// 資格確認日 of the upload.
    pub qualification_confirmation_date: Option<String>,
    /// 医療機関コード.
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子: the download's own, else the upload's.
    pub arbitrary_file_identifier: Option<String>,
    /// 受付番号, equal to the one requested.
    pub reception_number: Option<String>,
    /// 処理結果区分, OQSCD003: 1 done, 2 still processing, 9 error.
    pub segment_of_result: String,
    /// エラーコード (SegmentOfResult 9).
    pub error_code: Option<String>,
    /// エラーメッセージ (SegmentOfResult 9).
    pub error_message: Option<String>,
    /// 処理件数.
    pub number_of_processing_result: Option<String>,
    /// 処理件数（正常）.
    pub number_of_normal_processing: Option<String>,
    /// 処理件数（エラー）.
    pub number_of_error: Option<String>,
    /// 文字コード識別, OQSCD005.
    pub character_code_identifier: String,
}

/// `MessageBody` of the 02 download result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDownloadResultBody {
    /// One per person of the upload, in upload order.
    #[serde(rename = "BulkConfirmUnit", default)]
    pub units: Vec<BulkConfirmUnit>,
}

/// `BulkConfirmUnit`: one person's result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkConfirmUnit {
    /// Echo of the person's search keys, with its `ArbitraryIdentifier`.
    pub qualification_confirm_search_info: Option<QualificationConfirmSearchInfo>,
    /// 処理結果状況, OQSCD004.
    pub processing_result_status: String,
    /// 処理結果コード (別紙6-1).
    pub processing_result_code: Option<String>,
    /// 処理結果メッセージ.
    pub processing_result_message: Option<String>,
    /// 資格有効性, OQSCD006.
    pub qualification_validity: Option<String>,
    /// The matching qualifications (0..n).
    #[serde(rename = "ResultOfQualificationConfirmation", default)]
    pub results: Vec<ResultOfQualificationConfirmation>,
    /// 照会番号 registered by the facility for this person.
    pub reference_number: Option<String>,
}
