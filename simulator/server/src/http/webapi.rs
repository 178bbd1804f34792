//! The Web API variant (oqs-interface.md §7): login issues tokens; search takes the JSON mirror
//! of a single-check request, authorised by the raw `idToken` in `Authorization`, and answers the
//! JSON mirror of the result, from the same engine as the file interface.
//!
//! The real service sits behind mutual TLS on the closed network; this one is plain HTTP on
//! loopback. The login body's fields are not public, so any JSON object is accepted.

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

pub(super) async fn auth(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if !body.iter().all(u8::is_ascii_whitespace)
        && serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body).is_err()
    {
        return error(
            &shared,
            StatusCode::BAD_REQUEST,
            ErrorKey::HttpBadRequest,
            "the login body is not a JSON object",
        );
    }
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

fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    // The real client sends the raw token; a "Bearer " prefix is tolerated.
    let token = value.strip_prefix("Bearer ").unwrap_or(value).trim();
    let tokens = shared.tokens.lock().unwrap_or_else(|e| e.into_inner());
    tokens
        .get(token)
        .is_some_and(|expiry| *expiry > Instant::now())
}

pub(super) async fn search(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&shared, &headers) {
        return error(
            &shared,
            StatusCode::UNAUTHORIZED,
            ErrorKey::HttpUnauthorized,
            "missing, unknown or expired idToken",
        );
    }
    let request: SearchRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                &shared,
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
                &shared,
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
