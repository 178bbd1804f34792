//! Consents for 訪問診療等 / オンライン診療等 (what `OQSmuhvq` / `OQSmuonq` select from):
//!
//! - `POST /admin/consents` `{ "person": ID, "treatment": "home"|"online", "facility": "…"?,
//!   "at": "yyyy-mm-ddTHH:MM:SS"?, "examined": "yyyyMMdd"? }` records one (as given through
//!   マイナ在宅受付Web or a mobile reader; default facility the reader's, default time the
//!   simulator's now): 201 with the record.
//! - `GET /admin/consents?facility=…&treatment=home|online`: the facility's consents, oldest first.
//!
//! Errors are plain text: 400 bad body, 404 unknown person, 500 store failure.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::json;
use sim_core::engine::{TreatmentConsent, TreatmentConsents, TreatmentForm};

use crate::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    person: String,
    treatment: String,
    #[serde(default)]
    facility: Option<String>,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    examined: Option<String>,
}

fn bad(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, format!("{}\n", message.into())).into_response()
}

fn to_json(c: &TreatmentConsent) -> serde_json::Value {
    json!({
        "person": c.person_id,
        "facility": c.medical_institution_code,
        "treatment": match c.form { TreatmentForm::HomeVisit => "home", TreatmentForm::Online => "online" },
        "medical_treatment_flag": c.form.code(),
        "at": c.consented_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "examined": c.examination_date.map(sim_core::date::ymd),
    })
}

/// The facility asked for (default the reader's), or the message of a 400.
fn facility_of(shared: &Shared, given: Option<&str>) -> Result<String, String> {
    let f = given.map_or_else(
        || shared.reader.settings().medical_institution_code.clone(),
        str::to_owned,
    );
    if sim_core::engine::is_medical_institution_code(&f) {
        Ok(f)
    } else {
        Err(format!(
            "\"facility\" is a 10-digit 医療機関コード, not {f:?}"
        ))
    }
}

pub(super) async fn post(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: Body = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return bad(format!("bad body: {e}")),
    };
    let Some(form) = TreatmentForm::parse(&body.treatment) else {
        return bad(format!(
            "\"treatment\" is \"home\" or \"online\", not {:?}",
            body.treatment
        ));
    };
    if shared.population.person_by_id(&body.person).is_none() {
        return (
            StatusCode::NOT_FOUND,
            format!("unknown person {:?}\n", body.person),
        )
            .into_response();
    }
    let facility = match facility_of(&shared, body.facility.as_deref()) {
        Ok(f) => f,
        Err(m) => return bad(m),
    };
    let consented_at = match body.at.as_deref() {
        None => shared.clock.now(),
        Some(at) => match NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S") {
            Ok(t) => t,
            Err(_) => return bad(format!("\"at\" is yyyy-mm-ddTHH:MM:SS, not {at:?}")),
        },
    };
    let examination_date = match body.examined.as_deref() {
        None => None,
        Some(d) => match sim_core::date::parse_ymd(d) {
            Some(d) => Some(d),
            None => return bad(format!("\"examined\" is yyyyMMdd, not {d:?}")),
        },
    };
    let consent = TreatmentConsent {
        person_id: body.person,
        medical_institution_code: facility,
        form,
        consented_at,
        examination_date,
    };
    match shared.jobs.record_consent(&consent) {
        Ok(()) => {
            tracing::info!(person = %consent.person_id, facility = %consent.medical_institution_code, treatment = form.code(), "treatment consent recorded");
            (StatusCode::CREATED, Json(to_json(&consent))).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let facility = match facility_of(&shared, q.get("facility").map(String::as_str)) {
        Ok(f) => f,
        Err(m) => return bad(m),
    };
    let forms = match q.get("treatment").map(String::as_str) {
        None => vec![TreatmentForm::HomeVisit, TreatmentForm::Online],
        Some(t) => match TreatmentForm::parse(t) {
            Some(f) => vec![f],
            None => return bad(format!("treatment is home or online, not {t:?}")),
        },
    };
    let mut out = Vec::new();
    for form in forms {
        match shared.jobs.treatment_consents(&facility, form) {
            Ok(list) => out.extend(list.iter().map(to_json)),
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        }
    }
    Json(out).into_response()
}
