//! The admin API: status and the journal. Served on the same (loopback) listener.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::shared::Shared;

#[derive(Serialize)]
struct Status {
    version: &'static str,
    now: String,
    persons: usize,
    oqs_dir: Option<String>,
    result_encoding: &'static str,
    journal_entries: i64,
}

pub(super) async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let journal = shared.journal.clone();
    let count = tokio::task::spawn_blocking(move || journal.count()).await;
    Json(Status {
        version: env!("CARGO_PKG_VERSION"),
        now: sim_core::date::ymdhms(shared.clock.now()),
        persons: shared.population.len(),
        oqs_dir: shared.oqs_dir.as_ref().map(|p| p.display().to_string()),
        result_encoding: shared.engine.config().result_encoding.declaration_label(),
        journal_entries: count.ok().and_then(Result::ok).unwrap_or(-1),
    })
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

fn internal(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response()
}

pub(super) async fn journal(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<ListQuery>,
) -> Response {
    let journal = shared.journal.clone();
    let limit = q.limit.unwrap_or(50).min(10_000);
    match tokio::task::spawn_blocking(move || journal.list(limit, q.before)).await {
        Ok(Ok(entries)) => Json(entries).into_response(),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

#[derive(Serialize)]
struct EntryWithBodies {
    #[serde(flatten)]
    entry: crate::journal::Entry,
    /// The request, decoded as its declaration says (lossy when it cannot be decoded).
    request_text: String,
    /// The answer, decoded likewise.
    answer_text: String,
}

fn text_of(bytes: &[u8]) -> String {
    // A PDF result (薬剤・特定健診 FileCategory 1/3) is binary: say so rather than decode it.
    if bytes.starts_with(b"%PDF-") {
        return format!("(PDF, {} bytes)", bytes.len());
    }
    match sim_messages::encoding::decode(bytes) {
        Ok(d) => d.text,
        Err(_) => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => encoding_rs_lossy(bytes),
        },
    }
}

fn encoding_rs_lossy(bytes: &[u8]) -> String {
    // .err files carry no declaration; they are in the configured encoding, usually Shift_JIS.
    let (text, _) = sim_messages::encoding::shift_jis_lossy(bytes);
    text
}

pub(super) async fn journal_entry(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<i64>,
) -> Response {
    let journal = shared.journal.clone();
    match tokio::task::spawn_blocking(move || journal.get(id)).await {
        Ok(Ok(Some(entry))) => {
            let request_text = text_of(&entry.request);
            let answer_text = text_of(&entry.answer);
            Json(EntryWithBodies {
                entry,
                request_text,
                answer_text,
            })
            .into_response()
        }
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, format!("no journal entry {id}\n")).into_response(),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}
