//! XML over HTTP: `POST /oqs/req/{name}` takes the exact bytes of a request file named `name` and
//! answers with the exact bytes of the result file (200), or of the `.err` file when the terminal
//! would reject the request (422). `POST /oqs/xml` is the same for a single-check request with a
//! default name. The result's file name is in `X-OQS-Result-Name` (or `X-OQS-Err-Name`). A request
//! whose `MedicalInstitutionCode` keys a loaded scenario session is answered by that session's world,
//! and so is one with an `X-Simulator-Session: ID` header (404 for an unknown session).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sim_core::FileOutcome;
use sim_messages::TextEncoding;

use crate::journal::{Channel, Entry};
use crate::shared::Shared;

/// The name used by `POST /oqs/xml`.
pub const DEFAULT_NAME: &str = "OQSsiquc01req_http.xml";

pub(super) async fn post_default(
    State(shared): State<Arc<Shared>>,
    session: super::SessionHeader,
    body: Bytes,
) -> Response {
    routed(&shared, session, DEFAULT_NAME, &body)
}

pub(super) async fn post_named(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    session: super::SessionHeader,
    body: Bytes,
) -> Response {
    routed(&shared, session, &name, &body)
}

fn routed(shared: &Shared, session: super::SessionHeader, name: &str, body: &[u8]) -> Response {
    match super::header_world(shared, session.0.as_ref()) {
        Ok(Some(session)) => handle(&session, name, body),
        Ok(None) => handle(shared, name, body),
        Err(e) => (StatusCode::NOT_FOUND, format!("{e}\n")).into_response(),
    }
}

fn handle(shared: &Shared, name: &str, body: &[u8]) -> Response {
    // A scenario session keyed by the request's 医療機関コード answers with its own world and clock.
    if let Some(session) = shared.scenarios.world_for_request(body) {
        return handle(&session, name, body);
    }
    let now = shared.clock.now();
    let outcome =
        match shared
            .engine
            .handle_file_with(&shared.population, shared.stores(), name, body, now)
        {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(file = %name, error = %e, "cannot answer over http");
                return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response();
            }
        };
    let (xml_type, text_type) = match shared.engine.config().result_encoding {
        TextEncoding::Utf8 => (
            "application/xml; charset=UTF-8",
            "text/plain; charset=UTF-8",
        ),
        TextEncoding::ShiftJis => (
            "application/xml; charset=Shift_JIS",
            "text/plain; charset=Shift_JIS",
        ),
    };
    let (status, answer_name, bytes, summary, content_type, name_header) = match outcome {
        FileOutcome::Answered {
            result_name,
            bytes,
            summary,
        } => {
            // 薬剤・特定健診 PDF results, zipped bulk downloads, else XML.
            let content_type = if ends_with_ignore_case(&result_name, ".pdf") {
                "application/pdf"
            } else if ends_with_ignore_case(&result_name, ".zip") {
                "application/zip"
            } else {
                xml_type
            };
            (
                StatusCode::OK,
                result_name,
                bytes,
                summary,
                content_type,
                "x-oqs-result-name",
            )
        }
        FileOutcome::Rejected {
            err_name,
            bytes,
            summary,
        } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            err_name,
            bytes,
            summary,
            text_type,
            "x-oqs-err-name",
        ),
    };
    shared.journal.record(Entry::exchange(
        Channel::HttpXml,
        now,
        name,
        &answer_name,
        summary,
        body.to_vec(),
        bytes.clone(),
    ));
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&answer_name) {
        headers.insert(name_header, v);
    }
    response
}

/// Whether `name` ends with the ASCII `suffix`, ignoring ASCII case.
fn ends_with_ignore_case(name: &str, suffix: &str) -> bool {
    let (name, suffix) = (name.as_bytes(), suffix.as_bytes());
    name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}
