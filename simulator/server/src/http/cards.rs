//! The admin API of the virtual cards:
//!
//! - `GET /admin/cards`: `{ "vpcd": "HOST:PORT", "cards": [CardInfo…] }`;
//! - `POST /admin/cards/insert` `{ "person": ID, "slot": N? }`: 201 with the slot's `CardInfo`;
//! - `POST /admin/cards/remove` `{ "slot": N? }`: 200 with what the slot held;
//! - `POST /admin/cards/reset-pins` `{ "person": ID }`: 204.
//!
//! Bodies are JSON whatever the content type says (the CLI's client sends none). Errors are plain
//! text: 400 bad body or slot, 404 unknown person or empty slot, 409 slot busy, card already
//! inserted elsewhere, or still being prepared. Card building (RSA key generation) runs on the
//! blocking pool.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::card::CardError;
use crate::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InsertBody {
    person: String,
    #[serde(default)]
    slot: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RemoveBody {
    #[serde(default)]
    slot: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetBody {
    person: String,
}

/// An error answer: status and a one-line message.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, format!("{}\n", self.1)).into_response()
    }
}

impl From<CardError> for Failure {
    fn from(e: CardError) -> Failure {
        let status = match e {
            CardError::UnknownPerson(_) | CardError::EmptySlot(_) => StatusCode::NOT_FOUND,
            CardError::BadSlot { .. } | CardError::BadAddress(_) => StatusCode::BAD_REQUEST,
            CardError::SlotBusy { .. }
            | CardError::AlreadyInserted { .. }
            | CardError::Preparing(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Failure(status, e.to_string())
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body)
        .map_err(|e| Failure(StatusCode::BAD_REQUEST, format!("invalid body: {e}")))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CardError> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Response {
    Json(serde_json::json!({
        "vpcd": shared.cards.vpcd().to_string(),
        "cards": shared.cards.list(),
    }))
    .into_response()
}

pub(super) async fn insert(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let result = async {
        let body: InsertBody = parse(&body)?;
        let info = blocking(move || {
            let person = shared
                .population
                .person_by_id(&body.person)
                .ok_or_else(|| CardError::UnknownPerson(body.person.clone()))?;
            shared.cards.insert(&person, body.slot)
        })
        .await?;
        Ok::<_, Failure>((StatusCode::CREATED, Json(info)))
    };
    result.await.into_response()
}

pub(super) async fn remove(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let result = async {
        let body: RemoveBody = if body.iter().all(u8::is_ascii_whitespace) {
            RemoveBody { slot: 0 }
        } else {
            parse(&body)?
        };
        let info = blocking(move || shared.cards.remove(body.slot)).await?;
        Ok::<_, Failure>(Json(info))
    };
    result.await.into_response()
}

pub(super) async fn reset_pins(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let result = async {
        let body: ResetBody = parse(&body)?;
        blocking(move || {
            if shared.population.person_by_id(&body.person).is_none() {
                return Err(CardError::UnknownPerson(body.person));
            }
            shared.cards.reset_pins(&body.person)
        })
        .await?;
        Ok::<_, Failure>(StatusCode::NO_CONTENT)
    };
    result.await.into_response()
}
