//! `TKKsiquc01res_` with `FileCategory` 2: the specific health checkup (特定健診情報) XML
//! (oqs-interface.md §5.3). Public only in the parts OQSDrug reads \[S\]: the patient in
//! `MessageHeader/QualificationsInfo` (note the spelling `KanasName`), and
//! `SpecificHealthCheckupInfo` entries with `EffectiveTime` and their
//! `HealthCheckupResultAndQuestionInfo` items (JLAC10 item codes; `Oid` names the code system).
//!
//! ```text
//! XmlMsg
//!  ├─ MessageHeader: ProcessExecutionTime, MedicalInstitutionCode, ArbitraryFileIdentifier,
//!  │                 SegmentOfResult, ErrorCode, ErrorMessage, CharacterCodeIdentifier,
//!  │                 QualificationsInfo {Name, KanasName, Birthday, AdministrativeGenderCode},
//!  │                 ResultCode, MessageContents
//!  └─ MessageBody:   SpecificHealthCheckupInfo* {EffectiveTime,
//!                    HealthCheckupResultAndQuestionInfos/HealthCheckupResultAndQuestionInfo*
//!                    {ItemCode, ItemName, DataType, DataValue, Unit, Oid, DataValueName}}
//! ```
//!
//! The header's common elements, `ResultCode` and a refusal are as in [`crate::yzk`] \[I\].

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// The checkup information result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct CheckupInfoResult {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader")]
    pub header: CheckupInfoResultHeader,
    /// `MessageBody`; absent when refused.
    #[serde(
        rename = "MessageBody",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub body: Option<CheckupInfoBody>,
}

/// `MessageHeader` of a checkup result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckupInfoResultHeader {
    /// 処理実行日時, `yyyyMMddHHmmss`.
    pub process_execution_time: String,
    /// 医療機関コード (echo).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 (echo, verbatim).
    pub arbitrary_file_identifier: Option<String>,
    /// 処理結果区分, OQSCD003: 1 正常, 9 異常.
    pub segment_of_result: String,
    /// エラーコード (refused).
    pub error_code: Option<String>,
    /// エラーメッセージ (refused).
    pub error_message: Option<String>,
    /// 文字コード識別, OQSCD005.
    pub character_code_identifier: String,
    /// The patient (absent when the person is unknown).
    pub qualifications_info: Option<QualificationsInfo>,
    /// 1 on success, 2 when refused \[I\].
    pub result_code: String,
    /// The message shown to staff when `ResultCode` is not 1.
    pub message_contents: Option<String>,
}

/// `QualificationsInfo`: the patient of a checkup result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QualificationsInfo {
    /// 氏名.
    pub name: String,
    /// 氏名カナ (half-width katakana). The element is spelt `KanasName` \[S\].
    pub kanas_name: Option<String>,
    /// 生年月日, `yyyyMMdd`.
    pub birthday: String,
    /// 性別, OQSCD007.
    pub administrative_gender_code: String,
}

/// `MessageBody` of a checkup result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckupInfoBody {
    /// One per checkup, oldest first.
    #[serde(rename = "SpecificHealthCheckupInfo", default)]
    pub checkups: Vec<SpecificHealthCheckupInfo>,
}

/// `SpecificHealthCheckupInfo`: one checkup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpecificHealthCheckupInfo {
    /// 実施日, `yyyyMMdd`.
    pub effective_time: String,
    /// The results.
    #[serde(default)]
    pub health_checkup_result_and_question_infos: HealthCheckupResultAndQuestionInfos,
}

/// `HealthCheckupResultAndQuestionInfos`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckupResultAndQuestionInfos {
    /// One per item.
    #[serde(rename = "HealthCheckupResultAndQuestionInfo", default)]
    pub items: Vec<HealthCheckupResultAndQuestionInfo>,
}

/// `HealthCheckupResultAndQuestionInfo`: one item and its value.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheckupResultAndQuestionInfo {
    /// 項目コード (JLAC10, 17 characters).
    pub item_code: String,
    /// 項目名.
    pub item_name: String,
    /// `PQ` (quantity), `CD` (coded), `ST` (text).
    pub data_type: String,
    /// The value (a number for `PQ`, a code for `CD`).
    pub data_value: String,
    /// 単位 (for `PQ`).
    pub unit: Option<String>,
    /// OID of the code system of `ItemCode`.
    pub oid: Option<String>,
    /// The value's meaning (for `CD`: `－`, `±`, `＋`, …).
    pub data_value_name: Option<String>,
}
