//! The admin API of the face-auth card reader emulator. Every answer is the reader's status
//! (`ReaderStatus`: screen, person, mode, tries/attempts left, message, face file):
//!
//! - `GET /admin/reader`: the status;
//! - `POST /admin/reader/insert` `{ "person": ID, "kind": "mynumber"|"foreign"|"unreadable" }`, or
//!   `{ "kind": "pcsc" }`: the card in the first PC/SC reader holding one (e.g. inserted with
//!   `simulator card insert`); with `"face_image": "corrupt"|"absent"` (default `"intact"`) the
//!   person's card carries a damaged / no face photo (face mode → `MOCK-R111`, PIN or 目視 still work);
//! - `POST /admin/reader/remove` `{}`;
//! - `POST /admin/reader/mode` `{ "mode": "pin"|"face"|"visual" }`;
//! - `POST /admin/reader/pin` `{ "pin": "1234" }` (never logged);
//! - `POST /admin/reader/face` `{ "matched": true }` (the camera's verdict is an input);
//! - `POST /admin/reader/confirm` `{ "confirmed": true }` (staff, 目視);
//! - `POST /admin/reader/register` `{ "register": true }` (初回登録 offered to an unregistered card);
//! - `POST /admin/reader/consent` `{ "consent": ["drug", "checkup", …] }` (names in
//!   [`crate::reader::CONSENT_NAMES`]; the empty list refuses everything), optionally with
//!   `"treatment": "home"|"online"` (a check for 訪問診療等 / オンライン診療等, recorded for the
//!   `OQSmuhvq` / `OQSmuonq` bulk checks);
//! - `GET /admin/reader/consents/{person}`: the stored consent records.
//!
//! Errors are plain text: 400 bad body, 404 unknown person or no card, 409 card already on the
//! reader or a step that does not fit the screen. Card work runs on the blocking pool.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sim_card::FaceImage;

use crate::reader::{CardKind, Mode, ReaderError, ReaderStatus, parse_consents};
use crate::shared::Shared;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    kind: CardKind,
    #[serde(default)]
    face_image: Option<String>,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default)]
    pin: Option<String>,
    #[serde(default)]
    matched: Option<bool>,
    #[serde(default)]
    confirmed: Option<bool>,
    #[serde(default)]
    consent: Option<Vec<String>>,
    #[serde(default)]
    register: Option<bool>,
    /// With `consent`: `home` (訪問診療等) or `online` (オンライン診療等).
    #[serde(default)]
    treatment: Option<String>,
}

/// One reader step, run on the blocking pool.
type Job = Box<dyn FnOnce(&Shared) -> Result<ReaderStatus, ReaderError> + Send>;

fn failure(status: StatusCode, message: String) -> Response {
    (status, format!("{message}\n")).into_response()
}

fn from_error(e: ReaderError) -> Response {
    let status = match &e {
        ReaderError::NoCard | ReaderError::UnknownPerson(_) | ReaderError::Pcsc(_) => {
            StatusCode::NOT_FOUND
        }
        ReaderError::Busy | ReaderError::WrongScreen(_) => StatusCode::CONFLICT,
        ReaderError::MissingPerson => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    failure(status, e.to_string())
}

/// `GET /admin/reader`.
pub(super) async fn status(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.reader.status()).into_response()
}

/// `GET /admin/reader/consents/{person}`.
pub(super) async fn consents(
    State(shared): State<Arc<Shared>>,
    Path(person): Path<String>,
) -> Response {
    match shared.reader.consents().for_person(&person) {
        Ok(records) => Json(records).into_response(),
        Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

/// `POST /admin/reader/{action}`.
pub(super) async fn action(
    State(shared): State<Arc<Shared>>,
    Path(action): Path<String>,
    body: Bytes,
) -> Response {
    let body: Body = if body.iter().all(u8::is_ascii_whitespace) {
        Body::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return failure(StatusCode::BAD_REQUEST, format!("invalid body: {e}")),
        }
    };
    let missing = |what: &str| failure(StatusCode::BAD_REQUEST, format!("{action} needs {what}"));
    let job: Job = match action.as_str() {
        "insert" => {
            let face = match body.face_image.as_deref().map(str::parse::<FaceImage>) {
                None => FaceImage::Intact,
                Some(Ok(f)) => f,
                Some(Err(e)) => return failure(StatusCode::BAD_REQUEST, e),
            };
            Box::new(move |s: &Shared| {
                s.reader
                    .insert_with_face(s, body.person.as_deref(), body.kind, face)
            })
        }
        "remove" => Box::new(|s: &Shared| s.reader.remove()),
        "mode" => match body.mode {
            Some(m) => Box::new(move |s: &Shared| s.reader.choose(m)),
            None => return missing("\"mode\""),
        },
        "pin" => match body.pin {
            Some(pin) => Box::new(move |s: &Shared| s.reader.enter_pin(s, &pin)),
            None => return missing("\"pin\""),
        },
        "face" => match body.matched {
            Some(m) => Box::new(move |s: &Shared| s.reader.face(s, m)),
            None => return missing("\"matched\""),
        },
        "confirm" => match body.confirmed {
            Some(c) => Box::new(move |s: &Shared| s.reader.staff_confirm(s, c)),
            None => return missing("\"confirmed\""),
        },
        "register" => match body.register {
            Some(r) => Box::new(move |s: &Shared| s.reader.register(s, r)),
            None => return missing("\"register\""),
        },
        "consent" => match body.consent.as_deref().map(parse_consents) {
            Some(Ok(c)) => {
                let treatment = match body.treatment.as_deref() {
                    None => None,
                    Some(t) => match sim_core::engine::TreatmentForm::parse(t) {
                        Some(f) => Some(f),
                        None => {
                            return failure(
                                StatusCode::BAD_REQUEST,
                                format!("\"treatment\" is \"home\" or \"online\", not {t:?}"),
                            );
                        }
                    },
                };
                Box::new(move |s: &Shared| s.reader.consent_for(s, c, treatment))
            }
            Some(Err(e)) => return failure(StatusCode::BAD_REQUEST, e),
            None => return missing("\"consent\""),
        },
        other => return failure(StatusCode::NOT_FOUND, format!("no reader action {other:?}")),
    };
    let run = shared.clone();
    match tokio::task::spawn_blocking(move || job(&run)).await {
        Ok(Ok(status)) => Json(status).into_response(),
        Ok(Err(e)) => from_error(e),
        Err(e) => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reader task: {e}"),
        ),
    }
}
