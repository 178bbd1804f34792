//! The Web API variant (oqs-interface.md §7): JSON bodies that mirror the XML trees.
//!
//! The search request is `{"XmlMsg": <the request tree>}` with the same element names and the same
//! string values. The search response mirrors the result tree, except that `ResultList` is an
//! array of `{"ResultOfQualificationConfirmation": {…}}` objects, as the one public client reads it.
//! The login response shape `{status, msg, result: {accessToken, refreshToken, idToken,
//! linkSysCharCd}}` is from the same client; the values of `status` are not public, and this
//! simulator uses `1` for success and `2` for failure, like OQSCD004.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::siquc01::{
    QualificationConfirmRequest, QualificationConfirmResult, QualificationConfirmSearchInfo,
    ResultBody, ResultHeader, ResultOfQualificationConfirmation,
};

/// Body of `POST …/search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// The request tree.
    #[serde(rename = "XmlMsg")]
    pub xml_msg: QualificationConfirmRequest,
}

/// Body of the search response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// The result tree.
    #[serde(rename = "XmlMsg")]
    pub xml_msg: JsonResult,
}

/// The result tree in its JSON shape.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonResult {
    /// `MessageHeader`, as in XML.
    #[serde(rename = "MessageHeader")]
    pub header: ResultHeader,
    /// `MessageBody`, with `ResultList` as an array.
    #[serde(rename = "MessageBody")]
    pub body: Option<JsonResultBody>,
}

/// `MessageBody` of the JSON result.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JsonResultBody {
    /// 処理結果状況.
    pub processing_result_status: String,
    /// 処理結果コード.
    pub processing_result_code: Option<String>,
    /// 処理結果メッセージ.
    pub processing_result_message: Option<String>,
    /// 資格有効性.
    pub qualification_validity: Option<String>,
    /// Echo of the search keys.
    pub qualification_confirm_search_info: Option<QualificationConfirmSearchInfo>,
    /// 処方箋発行形態.
    pub prescription_issue_select: Option<String>,
    /// The matching qualifications.
    pub result_list: Option<Vec<JsonResultItem>>,
}

/// One element of the JSON `ResultList` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonResultItem {
    /// The qualification.
    #[serde(rename = "ResultOfQualificationConfirmation")]
    pub result: ResultOfQualificationConfirmation,
}

impl From<QualificationConfirmResult> for SearchResponse {
    fn from(result: QualificationConfirmResult) -> Self {
        SearchResponse {
            xml_msg: JsonResult {
                header: result.header,
                body: result.body.map(JsonResultBody::from),
            },
        }
    }
}

impl From<ResultBody> for JsonResultBody {
    fn from(b: ResultBody) -> Self {
        JsonResultBody {
            processing_result_status: b.processing_result_status,
            processing_result_code: b.processing_result_code,
            processing_result_message: b.processing_result_message,
            qualification_validity: b.qualification_validity,
            qualification_confirm_search_info: b.qualification_confirm_search_info,
            prescription_issue_select: b.prescription_issue_select,
            result_list: b.result_list.map(|l| {
                l.results
                    .into_iter()
                    .map(|result| JsonResultItem { result })
                    .collect()
            }),
        }
    }
}

/// Body of the login response.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResponse {
    /// `1` success, `2` failure (this simulator's convention).
    pub status: String,
    /// A message; empty on success.
    pub msg: String,
    /// The tokens, on success.
    pub result: Option<AuthTokens>,
}

/// Tokens issued at login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthTokens {
    /// Access token.
    pub access_token: String,
    /// Refresh token.
    pub refresh_token: String,
    /// ID token: sent raw (no `Bearer`) in the `Authorization` header of later calls.
    pub id_token: String,
    /// 連携システム文字コード: OQSCD005 of the configured result encoding.
    pub link_sys_char_cd: String,
}

/// An error answer of the Web API (shape chosen by this simulator; the real one is not public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// Always `2`.
    pub status: String,
    /// Code from the catalogue and its message, `CODE message`.
    pub msg: String,
}
