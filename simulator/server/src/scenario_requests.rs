//! The scenario runner's `bulk`, `bulk-result`, `register-reference` and `webapi` steps
//! (`sim_scenario::requests`): the request files a clinic system writes for a bulk 一括照会
//! (`OQSmuquc01req_` upload, `OQSmuquc02req_` download by 受付番号) and a 照会番号 registration
//! (`OQSsiimm01req_`), built from the named fixtures' card keys; and a check through the Web API,
//! played on the Web API's own handlers in-process (login, then search with the idToken).

use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDateTime;
use sim_messages::TextEncoding;
use sim_messages::imm::{
    ReferenceNumberRegistrationInfo, ReferenceNumberRequest, ReferenceNumberRequestBody,
    ReferenceNumberRequestHeader,
};
use sim_messages::muquc::{
    BulkDownloadRequest, BulkDownloadRequestBody, BulkDownloadRequestHeader, BulkUploadRequest,
    BulkUploadRequestBody,
};
use sim_messages::siquc01::{QualificationConfirmRequest, RequestBody, RequestHeader};
use sim_messages::xml::{XmlStyle, write_document};
use sim_scenario::{Action, Reception};

use crate::scenario_run::search_info;
use crate::shared::Shared;

/// The name under which the Web API's answer is the last answer (no file is written).
pub const WEBAPI_ANSWER: &str = "webapi/search";

const STYLE: XmlStyle = XmlStyle {
    indent: 2,
    crlf: false,
};

fn default_name(prefix: &str, now: NaiveDateTime, index: usize) -> String {
    format!(
        "{prefix}req_{}{:03}.xml",
        now.format("%Y%m%d%H%M%S"),
        index + 1
    )
}

/// The request file of a `bulk`, `bulk-result` or `register-reference` step: its name, its bytes
/// and the step's label. `reception`: the 受付番号 answered to the last `bulk` step.
pub fn request_file(
    action: &Action,
    named: &sim_fixtures::NamedFixtures,
    now: NaiveDateTime,
    index: usize,
    facility: &str,
    reception: Option<&str>,
) -> anyhow::Result<(String, Vec<u8>, String)> {
    let ymd = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string();
    match action {
        Action::Bulk(b) => {
            let date = b.date.unwrap_or(now.date());
            let search = b
                .persons
                .iter()
                .map(|id| {
                    let mut s = search_info(id, named, date)?;
                    s.limit_application_certificate_related_cons_flg = Some("0".into());
                    Ok(s)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let request = BulkUploadRequest {
                header: RequestHeader {
                    qualification_confirmation_date: Some(ymd(date)),
                    medical_institution_code: Some(facility.to_owned()),
                    arbitrary_file_identifier: Some(format!("scenario_bulk_{}", index + 1)),
                },
                body: BulkUploadRequestBody { search },
            };
            let name = b
                .name
                .clone()
                .unwrap_or_else(|| default_name("OQSmuquc01", now, index));
            let bytes = write_document(&request, TextEncoding::Utf8, STYLE)
                .context("writing the bulk upload")?;
            let label = format!("bulk of {} as {name}", b.persons.join(", "));
            Ok((name, bytes, label))
        }
        Action::BulkResult(r) => {
            let number = match &r.reception {
                Reception::Number(n) => n.clone(),
                Reception::Last => reception
                    .context("the last bulk upload was answered without a ReceptionNumber")?
                    .to_owned(),
            };
            let request = BulkDownloadRequest {
                header: BulkDownloadRequestHeader {
                    medical_institution_code: Some(facility.to_owned()),
                    arbitrary_file_identifier: Some(format!("scenario_bulk_{}", index + 1)),
                },
                body: BulkDownloadRequestBody {
                    reception_number: Some(number.clone()),
                },
            };
            let name = r
                .name
                .clone()
                .unwrap_or_else(|| default_name("OQSmuquc02", now, index));
            let bytes = write_document(&request, TextEncoding::Utf8, STYLE)
                .context("writing the bulk download")?;
            Ok((
                name.clone(),
                bytes,
                format!("bulk-result {number} as {name}"),
            ))
        }
        Action::RegisterReference(r) => {
            let date = r.date.unwrap_or(now.date());
            let s = search_info(&r.person, named, date)?;
            let request = ReferenceNumberRequest {
                header: ReferenceNumberRequestHeader {
                    qualification_confirmation_date: Some(ymd(date)),
                    medical_institution_code: Some(facility.to_owned()),
                    arbitrary_file_identifier: Some(format!("scenario_{}", r.person)),
                },
                body: ReferenceNumberRequestBody {
                    entries: vec![ReferenceNumberRegistrationInfo {
                        insurer_number: s.insurer_number,
                        insured_card_symbol: s.insured_card_symbol,
                        insured_identification_number: s.insured_identification_number,
                        insured_branch_number: s.insured_branch_number,
                        birthdate: s.birthdate,
                        reference_number: Some(r.number.clone()),
                    }],
                },
            };
            let name = r
                .name
                .clone()
                .unwrap_or_else(|| default_name("OQSsiimm01", now, index));
            let bytes = write_document(&request, TextEncoding::Utf8, STYLE)
                .context("writing the 照会番号 registration")?;
            let label = format!("register-reference {} = {:?} as {name}", r.person, r.number);
            Ok((name, bytes, label))
        }
        other => anyhow::bail!("not a request step: {other:?}"),
    }
}

/// How a `webapi` step ended: the search's JSON (200), or the text of the error answered.
pub enum WebApiAnswer {
    /// The search response.
    Json(Vec<u8>),
    /// An error: `msg` of the error JSON (its first word is the catalogue code), and the status.
    Error(String, u16),
}

/// A `webapi` step: login, then a search for the person's card keys with the idToken, on the
/// Web API handlers of `shared`; the step's label and the answer.
pub fn webapi(
    shared: &Arc<Shared>,
    check: &sim_scenario::WebApiCheck,
    named: &sim_fixtures::NamedFixtures,
    now: NaiveDateTime,
    facility: &str,
) -> anyhow::Result<(String, WebApiAnswer)> {
    let login = serde_json::json!({ "medicalInstitutionCode": facility }).to_string();
    let (status, body) = crate::http::webapi_call(shared, crate::http::AUTH_PATH, None, login)?;
    let label = format!("webapi login + search {}", check.person);
    if status != 200 {
        return Ok((label, error_answer(status, &body)));
    }
    let token: serde_json::Value =
        serde_json::from_slice(&body).context("reading the login answer")?;
    let token = token["result"]["idToken"]
        .as_str()
        .context("the login answer has no idToken")?
        .to_owned();
    let date = check.date.unwrap_or(now.date());
    let mut search = search_info(&check.person, named, date)?;
    search.limit_application_certificate_related_cons_flg =
        Some(if check.limit_consent { "1" } else { "0" }.into());
    let request = sim_messages::webapi::SearchRequest {
        xml_msg: QualificationConfirmRequest {
            header: RequestHeader {
                qualification_confirmation_date: Some(date.format("%Y%m%d").to_string()),
                medical_institution_code: Some(facility.to_owned()),
                arbitrary_file_identifier: Some(format!("scenario_{}", check.person)),
            },
            body: RequestBody {
                qualification_confirm_search_info: Some(search),
            },
        },
    };
    let body = serde_json::to_string(&request).context("writing the search JSON")?;
    let (status, answer) =
        crate::http::webapi_call(shared, crate::http::SEARCH_PATH, Some(&token), body)?;
    if status != 200 {
        return Ok((label, error_answer(status, &answer)));
    }
    Ok((label, WebApiAnswer::Json(answer)))
}

fn error_answer(status: u16, body: &[u8]) -> WebApiAnswer {
    let msg = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["msg"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    WebApiAnswer::Error(msg, status)
}

/// The value of the first `key` anywhere in a JSON answer (strings as they are, other scalars
/// as JSON), skipping the echo of the search keys.
pub fn json_field(bytes: &[u8], key: &str) -> Option<String> {
    fn find(v: &serde_json::Value, key: &str) -> Option<String> {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(found) = map.get(key) {
                    return match found {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Null => None,
                        serde_json::Value::Object(_) | serde_json::Value::Array(_) => None,
                        other => Some(other.to_string()),
                    };
                }
                map.iter()
                    .filter(|(k, _)| k.as_str() != "QualificationConfirmSearchInfo")
                    .find_map(|(_, v)| find(v, key))
            }
            serde_json::Value::Array(items) => items.iter().find_map(|v| find(v, key)),
            _ => None,
        }
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    find(&v, key)
}
