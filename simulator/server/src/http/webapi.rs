//! The Web API variant (oqs-interface.md §7): login issues tokens; search takes the JSON mirror
//! of a single-check request, authorised by the raw `idToken` in `Authorization`, and answers the
//! JSON mirror of the result, from the same engine as the file interface.
//!
//! The real service sits behind mutual TLS on the closed network; this one is plain HTTP on
//! loopback. The login body's fields are not public, so any JSON object is accepted.
//!
//! Scenario sessions ([`crate::scenario_session`]): a login with the header
//! `X-Simulator-Session: ID`, or whose body names a session's key as `medicalInstitutionCode`
//! (also `MedicalInstitutionCode`, `medical_institution_code`), gets a token of that session's
//! world. A search goes to the session of its header, else of its `MedicalInstitutionCode`, else
//! of the world that issued its token; a token of the served world is accepted by every session.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use sim_messages::ErrorKey;
use sim_messages::webapi::{
    AuthResponse, AuthTokens, ErrorResponse, SearchRequest, SearchResponse,
};

use crate::journal::{Channel, Entry};
use crate::shared::Shared;

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let mut response = (status, Json(value)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

fn error(shared: &Shared, status: StatusCode, key: ErrorKey, detail: &str) -> Response {
    let entry = shared.engine.config().catalogue.get(key);
    json(
        status,
        &ErrorResponse {
            status: "2".into(),
            msg: format!("{} {}: {detail}", entry.code, entry.message),
        },
    )
}

fn token() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The 医療機関コード a login body names, if any.
fn login_code(login: &serde_json::Map<String, serde_json::Value>) -> Option<&str> {
    [
        "medicalInstitutionCode",
        "MedicalInstitutionCode",
        "medical_institution_code",
    ]
    .iter()
    .find_map(|k| login.get(*k).and_then(|v| v.as_str()))
}

/// The world of the session a request names by header, or `Err` (404) for an unknown one.
fn by_header(shared: &Shared, headers: &HeaderMap) -> Result<Option<Arc<Shared>>, Box<Response>> {
    super::header_world(shared, headers.get(super::SESSION_HEADER)).map_err(|e| {
        Box::new(error(
            shared,
            StatusCode::NOT_FOUND,
            ErrorKey::HttpBadRequest,
            &e.to_string(),
        ))
    })
}

pub(super) async fn auth(
    State(served): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let login = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body) {
            Ok(login) => login,
            Err(_) => {
                return error(
                    &served,
                    StatusCode::BAD_REQUEST,
                    ErrorKey::HttpBadRequest,
                    "the login body is not a JSON object",
                );
            }
        }
    };
    let session = match by_header(&served, &headers) {
        Ok(Some(world)) => Some(world),
        Ok(None) => login_code(&login).and_then(|c| served.scenarios.world_for_code(c)),
        Err(response) => return *response,
    };
    let shared = session.as_ref().unwrap_or(&served);
    let id_token = token();
    {
        let mut tokens = shared.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        tokens.retain(|_, expiry| *expiry > now);
        tokens.insert(id_token.clone(), now + shared.token_lifetime);
    }
    json(
        StatusCode::OK,
        &AuthResponse {
            status: "1".into(),
            msg: String::new(),
            result: Some(AuthTokens {
                access_token: token(),
                refresh_token: token(),
                id_token,
                link_sys_char_cd: shared
                    .engine
                    .config()
                    .result_encoding
                    .character_code_identifier()
                    .into(),
            }),
        },
    )
}

/// The raw token of `Authorization` (the real client sends it bare; "Bearer " is tolerated).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    Some(value.strip_prefix("Bearer ").unwrap_or(value).trim())
}

fn authorised(shared: &Shared, token: Option<&str>) -> bool {
    let Some(token) = token else {
        return false;
    };
    let tokens = shared.tokens.lock().unwrap_or_else(|e| e.into_inner());
    tokens
        .get(token)
        .is_some_and(|expiry| *expiry > Instant::now())
}

pub(super) async fn search(
    State(served): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = bearer(&headers);
    let request: Result<SearchRequest, _> = serde_json::from_slice(&body);
    let session = match by_header(&served, &headers) {
        Ok(Some(world)) => Some(world),
        Err(response) => return *response,
        Ok(None) if served.scenarios.is_empty() => None,
        Ok(None) => request
            .as_ref()
            .ok()
            .and_then(|r| r.xml_msg.header.medical_institution_code.as_deref())
            .and_then(|c| served.scenarios.world_for_code(c))
            .or_else(|| token.and_then(|t| served.scenarios.world_for_token(t))),
    };
    let shared = session.as_ref().unwrap_or(&served);
    if !(authorised(shared, token) || session.is_some() && authorised(&served, token)) {
        return error(
            shared,
            StatusCode::UNAUTHORIZED,
            ErrorKey::HttpUnauthorized,
            "missing, unknown or expired idToken",
        );
    }
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            return error(
                shared,
                StatusCode::BAD_REQUEST,
                ErrorKey::HttpBadRequest,
                &e.to_string(),
            );
        }
    };
    let now = shared.clock.now();
    let (result, mut summary) = match shared.engine.single_check_with_consents(
        &shared.population,
        &shared.jobs,
        &shared.reader,
        &request.xml_msg,
        now,
    ) {
        Ok(v) => v,
        Err(rejection) => {
            return error(
                shared,
                StatusCode::BAD_REQUEST,
                rejection.key,
                &rejection.detail,
            );
        }
    };
    let response = SearchResponse::from(result);
    let answer = serde_json::to_vec(&response).unwrap_or_default();
    summary.kind = Some(sim_messages::MessageKind::SingleQualification);
    shared.journal.record(Entry::exchange(
        Channel::WebApi,
        now,
        "search",
        "search",
        summary,
        body.to_vec(),
        answer,
    ));
    json(StatusCode::OK, &response)
}
