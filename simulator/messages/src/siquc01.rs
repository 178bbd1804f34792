//! `OQSsiquc01req_` / `OQSsiquc01res_`: the single qualification check (資格確認・個別照会), and the
//! result tree it shares with face-reader results (`OQSsiquc01res_face_`) and bulk units.
//!
//! Field order is the order of the reconstructed layout (oqs-interface.md §2.1). Every value is
//! the wire string; optional elements are `None` and are omitted when writing.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::xml::ReadError;

/// The request document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct QualificationConfirmRequest {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader", default)]
    pub header: RequestHeader,
    /// `MessageBody`.
    #[serde(rename = "MessageBody", default)]
    pub body: RequestBody,
}

/// `MessageHeader` of a request.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestHeader {
    /// 資格確認日, `yyyyMMdd` (required).
    pub qualification_confirmation_date: Option<String>,
    /// 医療機関コード, 10 digits (required).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子, echoed verbatim.
    pub arbitrary_file_identifier: Option<String>,
}

/// `MessageBody` of a request.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestBody {
    /// The search keys (required).
    pub qualification_confirm_search_info: Option<QualificationConfirmSearchInfo>,
}

/// `QualificationConfirmSearchInfo`: the keys typed from the insurance card.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QualificationConfirmSearchInfo {
    /// 保険者番号: 8 characters, or a 6-digit 国保 number (required).
    pub insurer_number: Option<String>,
    /// 被保険者証記号.
    pub insured_card_symbol: Option<String>,
    /// 被保険者証番号 (required).
    pub insured_identification_number: Option<String>,
    /// 被保険者証枝番, 2 digits.
    pub insured_branch_number: Option<String>,
    /// 生年月日, `yyyyMMdd` (required).
    pub birthdate: Option<String>,
    /// 限度額適用認定証提供同意フラグ, OQSCD001 `0`/`1` (required).
    pub limit_application_certificate_related_cons_flg: Option<String>,
    /// 任意の識別子 (per person, used by bulk checks).
    pub arbitrary_identifier: Option<String>,
}

/// A request whose required elements are all present (values not yet checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleCheck<'a> {
    /// 資格確認日.
    pub confirmation_date: &'a str,
    /// 医療機関コード.
    pub medical_institution_code: &'a str,
    /// 任意のファイル識別子.
    pub arbitrary_file_identifier: Option<&'a str>,
    /// The search keys.
    pub search: &'a QualificationConfirmSearchInfo,
    /// 保険者番号.
    pub insurer_number: &'a str,
    /// 被保険者証番号.
    pub identification_number: &'a str,
    /// 生年月日.
    pub birthdate: &'a str,
    /// 限度額適用認定証提供同意フラグ.
    pub limit_consent_flag: &'a str,
}

impl QualificationConfirmRequest {
    /// Checks that every required element is present, naming the first one that is not.
    pub fn required(&self) -> Result<SingleCheck<'_>, ReadError> {
        use ReadError::MissingElement as Missing;
        let h = &self.header;
        let search = self
            .body
            .qualification_confirm_search_info
            .as_ref()
            .ok_or(Missing("MessageBody/QualificationConfirmSearchInfo"))?;
        Ok(SingleCheck {
            confirmation_date: h
                .qualification_confirmation_date
                .as_deref()
                .ok_or(Missing("MessageHeader/QualificationConfirmationDate"))?,
            medical_institution_code: h
                .medical_institution_code
                .as_deref()
                .ok_or(Missing("MessageHeader/MedicalInstitutionCode"))?,
            arbitrary_file_identifier: h.arbitrary_file_identifier.as_deref(),
            search,
            insurer_number: search.insurer_number.as_deref().ok_or(Missing(
                "MessageBody/QualificationConfirmSearchInfo/InsurerNumber",
            ))?,
            identification_number: search.insured_identification_number.as_deref().ok_or(
                Missing("MessageBody/QualificationConfirmSearchInfo/InsuredIdentificationNumber"),
            )?,
            birthdate: search
                .birthdate
                .as_deref()
                .ok_or(Missing("MessageBody/QualificationConfirmSearchInfo/Birthdate"))?,
            limit_consent_flag: search
                .limit_application_certificate_related_cons_flg
                .as_deref()
                .ok_or(Missing(
                    "MessageBody/QualificationConfirmSearchInfo/LimitApplicationCertificateRelatedConsFlg",
                ))?,
        })
    }
}

/// The result document (`OQSsiquc01res_`, and face files).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct QualificationConfirmResult {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader")]
    pub header: ResultHeader,
    /// `MessageBody`; absent on header-level errors.
    #[serde(
        rename = "MessageBody",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub body: Option<ResultBody>,
}

/// `MessageHeader` of a result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResultHeader {
    /// 処理実行日時, `yyyyMMddHHmmss`.
    pub process_execution_time: String,
    /// 資格確認日 (echo).
    pub qualification_confirmation_date: Option<String>,
    /// 医療機関コード (echo).
    pub medical_institution_code: Option<String>,
    /// 任意のファイル識別子 (echo, verbatim).
    pub arbitrary_file_identifier: Option<String>,
    /// 照会区分, OQSCD002.
    pub reference_classification: Option<String>,
    /// 処理結果区分, OQSCD003.
    pub segment_of_result: String,
    /// エラーコード (only when SegmentOfResult is not 1).
    pub error_code: Option<String>,
    /// エラーメッセージ (only when SegmentOfResult is not 1).
    pub error_message: Option<String>,
    /// 文字コード識別, OQSCD005.
    pub character_code_identifier: String,
}

/// `MessageBody` of a result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResultBody {
    /// 処理結果状況, OQSCD004.
    pub processing_result_status: String,
    /// 処理結果コード (別紙6-1).
    pub processing_result_code: Option<String>,
    /// 処理結果メッセージ.
    pub processing_result_message: Option<String>,
    /// 資格有効性, OQSCD006.
    pub qualification_validity: Option<String>,
    /// Echo of the request's search keys (single check only).
    pub qualification_confirm_search_info: Option<QualificationConfirmSearchInfo>,
    /// 処方箋発行形態, OQSCD017.
    pub prescription_issue_select: Option<String>,
    /// The matching qualifications.
    pub result_list: Option<ResultList>,
}

/// `ResultList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultList {
    /// One per matching qualification.
    #[serde(rename = "ResultOfQualificationConfirmation", default)]
    pub results: Vec<ResultOfQualificationConfirmation>,
}

/// `ResultOfQualificationConfirmation`: one qualification as the terminal reports it.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResultOfQualificationConfirmation {
    /// 被保険者証区分, OQSCD010.
    pub insured_card_classification: Option<String>,
    /// 保険者番号 (6-digit numbers space-padded to 8).
    pub insurer_number: Option<String>,
    /// 被保険者証記号.
    pub insured_card_symbol: Option<String>,
    /// 被保険者証番号.
    pub insured_identification_number: Option<String>,
    /// 被保険者証枝番, 2 digits.
    pub insured_branch_number: Option<String>,
    /// 本人・家族の別, OQSCD009.
    pub personal_family_classification: Option<String>,
    /// 被保険者氏名 (世帯主氏名).
    pub insured_name: Option<String>,
    /// 氏名 (full-width).
    pub name: Option<String>,
    /// 氏名（その他）, e.g. 通称.
    pub name_of_other: Option<String>,
    /// 氏名カナ (half-width katakana).
    pub name_kana: Option<String>,
    /// 氏名カナ（その他）.
    pub name_of_other_kana: Option<String>,
    /// 性別1, OQSCD007.
    pub sex1: Option<String>,
    /// 性別2.
    pub sex2: Option<String>,
    /// 生年月日.
    pub birthdate: Option<String>,
    /// 住所.
    pub address: Option<String>,
    /// 郵便番号 (`123-4567`).
    pub post_number: Option<String>,
    /// 資格取得年月日.
    pub qualification_date: Option<String>,
    /// 資格喪失年月日.
    pub disqualification_date: Option<String>,
    /// 交付年月日.
    pub insured_certificate_issuance_date: Option<String>,
    /// 有効開始年月日.
    pub insured_card_valid_date: Option<String>,
    /// 有効終了年月日.
    pub insured_card_expiration_date: Option<String>,
    /// 一部負担金割合, 3-digit percent (`030`).
    pub insured_partial_contribution_ratio: Option<String>,
    /// 未就学区分, OQSCD015.
    pub preschool_classification: Option<String>,
    /// 資格喪失事由, OQSCD008.
    pub reason_of_loss: Option<String>,
    /// 保険者名称.
    pub insurer_name: Option<String>,
    /// 高齢受給者証情報.
    pub elderly_recipient_certificate_info: Option<ElderlyRecipientCertificateInfo>,
    /// 限度額適用認定証提供同意フラグ, OQSCD001.
    pub limit_application_certificate_related_cons_flg: Option<String>,
    /// 限度額適用認定証提供同意日時.
    pub limit_application_certificate_related_cons_time: Option<String>,
    /// 限度額適用認定証関連情報.
    pub limit_application_certificate_related_info: Option<LimitApplicationCertificateRelatedInfo>,
    /// 限度額適用認定証情報変更有無, OQSCD014 (bulk results): `0` 変更なし, `1` 変更あり または 判定不能.
    pub limit_application_certificate_changed: Option<String>,
    /// 特定疾病療養受療証提供同意フラグ, OQSCD016.
    pub specific_diseases_certificate_related_cons_flg: Option<String>,
    /// 特定疾病療養受療証提供同意日時.
    pub specific_diseases_certificate_related_cons_time: Option<String>,
    /// 特定疾病療養受療証情報リスト.
    pub specific_diseases_certificate_list: Option<SpecificDiseasesCertificateList>,
    /// 医療扶助資格確認結果リスト.
    pub public_expense_result_list: Option<PublicExpenseResultList>,
    /// 特定健診情報閲覧同意フラグ, OQSCD016.
    pub specific_health_checkups_info_cons_flg: Option<String>,
    /// 特定健診情報閲覧同意日時.
    pub specific_health_checkups_info_cons_time: Option<String>,
    /// 特定健診情報閲覧有効期限.
    pub specific_health_checkups_info_available_time: Option<String>,
    /// 薬剤情報閲覧同意フラグ.
    pub pharmacists_info_cons_flg: Option<String>,
    /// 薬剤情報閲覧同意日時.
    pub pharmacists_info_cons_time: Option<String>,
    /// 薬剤情報閲覧有効期限.
    pub pharmacists_info_available_time: Option<String>,
    /// 診療情報閲覧同意フラグ.
    pub diagnosis_info_cons_flg: Option<String>,
    /// 診療情報閲覧同意日時.
    pub diagnosis_info_cons_time: Option<String>,
    /// 診療情報閲覧有効期限.
    pub diagnosis_info_available_time: Option<String>,
    /// 手術情報閲覧同意フラグ.
    pub operation_info_cons_flg: Option<String>,
    /// 手術情報閲覧同意日時.
    pub operation_info_cons_time: Option<String>,
    /// 手術情報閲覧有効期限.
    pub operation_info_available_time: Option<String>,
    /// 任意の識別子 (bulk).
    pub arbitrary_identifier: Option<String>,
    /// 照会番号 registered by the facility.
    pub reference_number: Option<String>,
}

/// `ElderlyRecipientCertificateInfo` (高齢受給者証情報).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ElderlyRecipientCertificateInfo {
    /// 交付年月日.
    pub elderly_recipient_certificate_date: Option<String>,
    /// 有効開始年月日.
    pub elderly_recipient_valid_start_date: Option<String>,
    /// 有効終了年月日.
    pub elderly_recipient_valid_end_date: Option<String>,
    /// 一部負担金割合, 3-digit percent.
    pub elderly_recipient_contribution_ratio: Option<String>,
}

/// `LimitApplicationCertificateRelatedInfo` (限度額適用認定証関連情報).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LimitApplicationCertificateRelatedInfo {
    /// 限度額適用認定証区分, OQSCD011.
    pub limit_application_certificate_classification: Option<String>,
    /// 適用区分, OQSCD012.
    pub limit_application_certificate_classification_flag: Option<String>,
    /// 交付年月日.
    pub limit_application_certificate_date: Option<String>,
    /// 有効開始年月日.
    pub limit_application_certificate_valid_start_date: Option<String>,
    /// 有効終了年月日.
    pub limit_application_certificate_valid_end_date: Option<String>,
    /// 長期入院該当年月日.
    pub limit_application_certificate_long_term_date: Option<String>,
}

/// `SpecificDiseasesCertificateList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecificDiseasesCertificateList {
    /// One per certificate.
    #[serde(rename = "SpecificDiseasesCertificateInfo", default)]
    pub certificates: Vec<SpecificDiseasesCertificateInfo>,
}

/// `SpecificDiseasesCertificateInfo` (特定疾病療養受療証情報).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpecificDiseasesCertificateInfo {
    /// 認定疾病区分, OQSCD013.
    pub specific_diseases_disease_category: Option<String>,
    /// 交付年月日.
    pub specific_diseases_certificate_date: Option<String>,
    /// 有効開始年月日.
    pub specific_diseases_valid_start_date: Option<String>,
    /// 有効終了年月日.
    pub specific_diseases_valid_end_date: Option<String>,
    /// 自己負担限度額 (yen per month).
    pub specific_diseases_self_pay: Option<String>,
}

/// `PublicExpenseResultList` (医療扶助資格確認結果リスト).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicExpenseResultList {
    /// 医療券・調剤券情報.
    #[serde(rename = "MedicalTicketInfo", default)]
    pub tickets: Vec<MedicalTicketInfo>,
}

/// `MedicalTicketInfo` (医療券・調剤券情報), oqs-interface.md §2.7.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MedicalTicketInfo {
    /// 医療券・調剤券別, OQSCD018.
    pub ticket_type: Option<String>,
    /// 有効開始年月日.
    pub medical_ticket_valid_date: Option<String>,
    /// 有効終了年月日.
    pub medical_ticket_expiration_date: Option<String>,
    /// 交付番号.
    pub issue_number: Option<String>,
    /// 診療年月, `yyyyMM`.
    pub medical_treatment_month: Option<String>,
    /// 指定医療機関コード.
    pub designated_medical_institution_code: Option<String>,
    /// 指定医療機関確認フラグ, OQSCD026.
    pub designated_medical_institution_flag: Option<String>,
    /// 指定医療機関名.
    pub designated_medical_institution_name: Option<String>,
    /// 処方箋発行元医療機関コード.
    pub prescription_issuer_medical_institution_code: Option<String>,
    /// 処方箋発行元医療機関名.
    pub prescription_issuer_medical_institution_name: Option<String>,
    /// 傷病名1.
    pub injury_name1: Option<String>,
    /// 傷病名2.
    pub injury_name2: Option<String>,
    /// 傷病名3.
    pub injury_name3: Option<String>,
    /// 診療別, OQSCD019.
    pub medical_treatment_type: Option<String>,
    /// 本人支払額.
    pub self_pay_amount: Option<String>,
    /// 地区担当員名.
    pub district_contact_name: Option<String>,
    /// 取扱担当者名.
    pub handling_contact_name: Option<String>,
    /// 単独・併用別, OQSCD020.
    pub single_or_combined_use: Option<String>,
    /// 社会保険状況, OQSCD021.
    pub status_of_social_insurance: Option<String>,
    /// 整合性フラグ, OQSCD022.
    pub consistency_flag: Option<String>,
    /// 感染症法第37条の2の該当状況, OQSCD023 (the element name's spelling is the interface's).
    #[serde(rename = "StatusOfInfecton")]
    pub status_of_infection: Option<String>,
    /// 後期高齢者医療の該当状況, OQSCD024.
    pub status_of_elderly_medical_care: Option<String>,
    /// 都道府県費の該当状況, OQSCD025.
    pub status_of_prefectural_expenses: Option<String>,
    /// 備考1.
    pub remarks1: Option<String>,
    /// 備考2.
    pub remarks2: Option<String>,
    /// 備考3.
    pub remarks3: Option<String>,
}
