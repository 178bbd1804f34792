//! `POST /claims/route`: claims in (JSON; CSV with `Content-Type: text/csv`), the routing report
//! out (JSON, 200). Malformed claims: 400 with `{"error": "...", "problems": [{"line", "column",
//! "message"}]}`; nothing is routed. Bodies up to 256 MiB.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sim_messages::claims::ClaimsFormat;

use crate::claims::{ClaimsError, route_bytes};
use crate::shared::Shared;

/// Largest claims body accepted (413 above).
pub(super) const MAX_BODY: usize = 256 * 1024 * 1024;

pub(super) async fn route(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/csv"));
    let format = if csv {
        ClaimsFormat::Csv
    } else {
        ClaimsFormat::Json
    };
    let work = tokio::task::spawn_blocking(move || {
        route_bytes(
            &shared.population,
            &body,
            format,
            &shared.engine.config().claim_notices,
        )
    })
    .await;
    match work {
        Ok(Ok(report)) => Json(report).into_response(),
        Ok(Err(ClaimsError::Input(e))) => {
            let problems: Vec<_> = e
                .problems
                .iter()
                .map(|p| json!({"line": p.line, "column": p.column, "message": p.message}))
                .collect();
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": e.to_string(), "problems": problems})),
            )
                .into_response()
        }
        Ok(Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": format!("routing failed: {e}")})),
        )
            .into_response(),
    }
}
