//! `YZKsiquc01res_` with `FileCategory` 2 or 4: the drug information (薬剤情報) XML
//! (oqs-interface.md §5.2). Only the parts OQSDrug reads are public \[S\]; this simulator writes
//! the claim-derived (レセプト) branch `MeTrMonthInf`, one per institution × month.
//!
//! ```text
//! XmlMsg
//!  ├─ MessageHeader: ProcessExecutionTime, MedicalInstitutionCode, ArbitraryFileIdentifier,
//!  │                 SegmentOfResult, ErrorCode, ErrorMessage, CharacterCodeIdentifier,
//!  │                 QuaInf {Name, KanaName, Birth, AdmGendCode}, ResultCode, MessageContents
//!  └─ MessageBody:   MeTrMonthInf* {DiOrg, MeTrDiHCd, MeTrDiHNm, PrlsHCd, PrlsHNm, MeTrMonth,
//!                    PrIsOrg, InOut, DiDateInfs/DiDateInf* {DiDate, PrDate,
//!                    DrugInfs/DrugInf* {DrugC, DrugN, IngreN, Qua1, Unit, UsageN, SpInst, Times,
//!                    MeTrIdCl}, MeTrInfs/MeTrInf* {SinInfN, SinInfCd, MeTrIdCl, Qua1, Times, Unit}}}
//! ```
//!
//! Where `ResultCode` sits is not public (OQSDrug searches the whole document) \[I\]: here in the
//! header, beside the patient. The common header elements (`ProcessExecutionTime`,
//! `SegmentOfResult`, `ArbitraryFileIdentifier` echoed verbatim, …) are those of every other
//! result \[I\]. A refused request has `SegmentOfResult` 9, `ErrorCode`/`ErrorMessage`,
//! `ResultCode` 2 and the message in `MessageContents`, and no body.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// The drug information result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct DrugInfoResult {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader")]
    pub header: DrugInfoResultHeader,
    /// `MessageBody`; absent when refused.
    #[serde(
        rename = "MessageBody",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub body: Option<DrugInfoBody>,
}

/// `MessageHeader` of a drug result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DrugInfoResultHeader {
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
    #[serde(rename = "QuaInf")]
    pub qua_inf: Option<QuaInf>,
    /// 1 on success, 2 when refused \[I\].
    pub result_code: String,
    /// The message shown to staff when `ResultCode` is not 1.
    pub message_contents: Option<String>,
}

/// `QuaInf`: the patient of a drug result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QuaInf {
    /// 氏名 (full width, full-width space).
    pub name: String,
    /// 氏名カナ (half-width katakana).
    pub kana_name: Option<String>,
    /// 生年月日, `yyyyMMdd`.
    pub birth: String,
    /// 性別, OQSCD007.
    pub adm_gend_code: String,
}

/// `MessageBody` of a drug result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrugInfoBody {
    /// One per institution × month, oldest first.
    #[serde(rename = "MeTrMonthInf", default)]
    pub months: Vec<MeTrMonthInf>,
}

/// `MeTrMonthInf`: one institution's claim for one month.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeTrMonthInf {
    /// Origin: 1 レセプト.
    #[serde(rename = "DiOrg")]
    pub di_org: Option<String>,
    /// 医療機関/薬局コード of the treating or dispensing institution.
    #[serde(rename = "MeTrDiHCd")]
    pub me_tr_di_h_cd: String,
    /// Its name.
    #[serde(rename = "MeTrDiHNm")]
    pub me_tr_di_h_nm: String,
    /// Prescribing institution's code (院外処方).
    #[serde(rename = "PrlsHCd")]
    pub prls_h_cd: Option<String>,
    /// Its name.
    #[serde(rename = "PrlsHNm")]
    pub prls_h_nm: Option<String>,
    /// 診療年月, `yyyyMM`.
    #[serde(rename = "MeTrMonth")]
    pub me_tr_month: String,
    /// 1 the requesting institution, 2 another.
    #[serde(rename = "PrIsOrg")]
    pub pr_is_org: Option<String>,
    /// 1 院内, 2 院外.
    #[serde(rename = "InOut")]
    pub in_out: Option<String>,
    /// The dispensing days.
    #[serde(rename = "DiDateInfs", default)]
    pub dates: DiDateInfs,
}

/// `DiDateInfs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiDateInfs {
    /// One per dispensing day.
    #[serde(rename = "DiDateInf", default)]
    pub items: Vec<DiDateInf>,
}

/// `DiDateInf`: one dispensing (or treatment) day.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiDateInf {
    /// 調剤日, `yyyyMMdd`.
    #[serde(rename = "DiDate")]
    pub di_date: String,
    /// 処方日, `yyyyMMdd`.
    #[serde(rename = "PrDate")]
    pub pr_date: Option<String>,
    /// The drugs.
    #[serde(rename = "DrugInfs", default)]
    pub drugs: DrugInfs,
    /// 診療情報 (FileCategory 3/4 only).
    #[serde(rename = "MeTrInfs", skip_serializing_if = "Option::is_none", default)]
    pub treatments: Option<MeTrInfs>,
}

/// `DrugInfs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrugInfs {
    /// One per drug.
    #[serde(rename = "DrugInf", default)]
    pub items: Vec<DrugInf>,
}

/// `DrugInf`: one drug line.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrugInf {
    /// レセプト電算処理システム用 医薬品コード (9 digits).
    #[serde(rename = "DrugC")]
    pub drug_c: String,
    /// 医薬品名.
    #[serde(rename = "DrugN")]
    pub drug_n: String,
    /// 一般名.
    #[serde(rename = "IngreN")]
    pub ingre_n: Option<String>,
    /// Quantity per day (or per use).
    #[serde(rename = "Qua1")]
    pub qua1: String,
    /// 単位.
    #[serde(rename = "Unit")]
    pub unit: Option<String>,
    /// 用法.
    #[serde(rename = "UsageN")]
    pub usage_n: Option<String>,
    /// 特別指示.
    #[serde(rename = "SpInst")]
    pub sp_inst: Option<String>,
    /// 日数 / 回数.
    #[serde(rename = "Times")]
    pub times: String,
    /// 診療識別 (21 内服, 22 屯服, 23 外用).
    #[serde(rename = "MeTrIdCl")]
    pub me_tr_id_cl: Option<String>,
}

/// `MeTrInfs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeTrInfs {
    /// One per treatment.
    #[serde(rename = "MeTrInf", default)]
    pub items: Vec<MeTrInf>,
}

/// `MeTrInf`: one 診療行為.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeTrInf {
    /// 診療行為名称.
    #[serde(rename = "SinInfN")]
    pub sin_inf_n: String,
    /// 診療行為コード (9 digits).
    #[serde(rename = "SinInfCd")]
    pub sin_inf_cd: String,
    /// 診療識別 (12 再診, 60 検査, …).
    #[serde(rename = "MeTrIdCl")]
    pub me_tr_id_cl: Option<String>,
    /// 数量.
    #[serde(rename = "Qua1")]
    pub qua1: Option<String>,
    /// 回数.
    #[serde(rename = "Times")]
    pub times: Option<String>,
    /// 単位.
    #[serde(rename = "Unit")]
    pub unit: Option<String>,
}
