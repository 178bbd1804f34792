//! `/admin/clock`: reads and sets the virtual clock of a running simulator (`serve --clock`).
//!
//! `GET` shows the time and mode. `POST` takes JSON with any of `set` (a Japan time
//! `yyyy-mm-ddTHH:MM:SS`), `advance` (`1d`, `90s`, `1h30m`) and `mode` (`frozen` or `running`),
//! applied in that order, and answers like `GET`. On the wall clock a `POST` is refused with 409.
//! `?session=ID` reads and sets the clock of that scenario session instead (each session has its
//! own virtual clock; 404 for an unknown session).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::shared::Shared;

/// The clock as `GET /admin/clock` shows it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClockView {
    /// Now, Japan time, `yyyy-mm-ddTHH:MM:SS`.
    pub now: String,
    /// `wall`, `frozen` or `running`.
    pub mode: String,
}

/// The body of `POST /admin/clock`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    /// Set the time (Japan time, `yyyy-mm-ddTHH:MM:SS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// Move the time forward (`1d`, `90s`, `1h30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance: Option<String>,
    /// `frozen` or `running`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

fn view(shared: &Shared) -> ClockView {
    let mode = match shared.clock.control() {
        None => "wall",
        Some(c) if c.is_frozen() => "frozen",
        Some(_) => "running",
    };
    ClockView {
        now: shared.clock.now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        mode: mode.into(),
    }
}

/// The served simulator, or the world of the scenario session named by `?session=`.
// The error is the answer itself, built at most once per request.
#[allow(clippy::result_large_err)]
fn target(
    shared: Arc<Shared>,
    q: &crate::scenario_remote::SessionQuery,
) -> Result<Arc<Shared>, Box<Response>> {
    match &q.session {
        None => Ok(shared),
        Some(id) => shared
            .scenarios
            .world(Some(id))
            .map_err(|e| Box::new((StatusCode::NOT_FOUND, format!("{e}\n")).into_response())),
    }
}

pub(super) async fn get(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<crate::scenario_remote::SessionQuery>,
) -> Response {
    match target(shared, &q) {
        Ok(shared) => Json(view(&shared)).into_response(),
        Err(r) => *r,
    }
}

pub(super) async fn post(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<crate::scenario_remote::SessionQuery>,
    body: Bytes,
) -> Response {
    let shared = match target(shared, &q) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let change: ClockChange = if body.iter().all(u8::is_ascii_whitespace) {
        ClockChange::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(change) => change,
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("expected JSON such as {{\"advance\": \"1d\"}}: {e}\n"),
                )
                    .into_response();
            }
        }
    };
    let Some(clock) = shared.clock.control() else {
        return (
            StatusCode::CONFLICT,
            "the simulator runs on the wall clock; start it with `serve --clock yyyy-mm-ddTHH:MM:SS`\n",
        )
            .into_response();
    };
    // Check everything before changing anything.
    let mut problems = Vec::new();
    let at = change.set.as_deref().and_then(|s| {
        let at = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok();
        if at.is_none() {
            problems.push(format!("set: {s:?} is not yyyy-mm-ddTHH:MM:SS"));
        }
        at
    });
    let by = change.advance.as_deref().and_then(|s| {
        let by = sim_scenario::parse_duration(s);
        if by.is_none() {
            problems.push(format!(
                "advance: {s:?} is not a duration such as 1d, 90s, 1h30m"
            ));
        }
        by
    });
    let frozen = match change.mode.as_deref() {
        None => None,
        Some("frozen") => Some(true),
        Some("running") => Some(false),
        Some(other) => {
            problems.push(format!("mode: {other:?} is not `frozen` or `running`"));
            None
        }
    };
    if !problems.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            format!("{}\n", problems.join("\n")),
        )
            .into_response();
    }
    if let Some(at) = at {
        clock.set(at);
    }
    if let Some(by) = by {
        clock.advance(by);
    }
    match frozen {
        Some(true) => clock.freeze(),
        Some(false) => clock.run(),
        None => {}
    }
    tracing::info!(now = %shared.clock.now(), frozen = clock.is_frozen(), "clock changed");
    Json(view(&shared)).into_response()
}
