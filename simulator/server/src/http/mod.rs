//! The HTTP side of the simulator, one router for:
//! - the Web API variant (`/oqs-api-pro/…/auth`, `/oqs-api-pro/…/search`), `webapi`;
//! - XML over HTTP: the bytes of a request file in, the bytes of its result file out, `xml`;
//! - the admin API (`/admin/…`) used by the CLI and tests, `admin`.
//! - the virtual cards' admin API (`/admin/cards…`), in `cards`.
//! - the virtual clock (`/admin/clock`), in [`clock`].
//! - the face-auth reader emulator's admin API (`/admin/reader…`), in `reader`.
//! - scenario sessions, the trainer's remote (`/admin/scenario…`), in [`crate::scenario_remote`].
//! - claim re-routing (`POST /claims/route`), in `claims`.
//! - consents for 訪問診療等 / オンライン診療等 (`/admin/consents`), in `consents`.
//! - the web console (`/console/…`, `/` redirects there), in [`crate::console`].
//!
//! `app(shared)` builds the router without binding anything, so tests drive it in-process.

mod admin;
mod cards;
mod claims;
pub mod clock;
mod consents;
pub mod disaster;
mod reader;
mod webapi;
mod xml;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::shared::Shared;

/// Path of the Web API login (as used by the one public client).
pub const AUTH_PATH: &str = "/oqs-api-pro/MSA12020/ILI12020SV01/auth";
/// Path of the Web API qualification search.
pub const SEARCH_PATH: &str = "/oqs-api-pro/MSA01030/ILI01030SV01/search";

/// The header naming the scenario session a Web API or XML-over-HTTP request goes to
/// ([`crate::scenario_session`]); without it, the request's 医療機関コード decides.
pub const SESSION_HEADER: &str = "x-simulator-session";

/// Where a request goes by its `X-Simulator-Session` header: `Ok(None)` the served world (no
/// header, or an attached session), `Ok(Some(world))` a session's own world, `Err` an unknown
/// session.
fn header_world(
    shared: &Shared,
    session: Option<&axum::http::HeaderValue>,
) -> Result<Option<Arc<Shared>>, crate::scenario_session::SessionError> {
    match session {
        None => Ok(None),
        Some(v) => shared
            .scenarios
            .world_for_id(v.to_str().unwrap_or_default()),
    }
}

/// The `X-Simulator-Session` header of a request, taken without copying the others (the
/// `HeaderMap` extractor clones every header, on the hot path of XML over HTTP).
pub(super) struct SessionHeader(Option<axum::http::HeaderValue>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SessionHeader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(SessionHeader(parts.headers.get(SESSION_HEADER).cloned()))
    }
}

/// Calls the Web API's login (`AUTH_PATH`) or search (`SEARCH_PATH`) handler in-process, with
/// `token` as `Authorization`: the status and the body (the scenario runner's `webapi` step).
/// The handlers never wait on anything, so their futures are ready at the first poll.
pub fn webapi_call(
    shared: &Arc<Shared>,
    path: &str,
    token: Option<&str>,
    body: String,
) -> anyhow::Result<(u16, Vec<u8>)> {
    use axum::extract::State;
    use http_body_util::BodyExt;
    let mut headers = axum::http::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            axum::http::header::AUTHORIZATION,
            token
                .parse()
                .map_err(|_| anyhow::anyhow!("a token that is no header value"))?,
        );
    }
    let state = State(shared.clone());
    let response = match path {
        AUTH_PATH => ready(webapi::auth(state, headers, body.into()))?,
        SEARCH_PATH => ready(webapi::search(state, headers, body.into()))?,
        other => anyhow::bail!("no Web API handler for {other}"),
    };
    let status = response.status().as_u16();
    let bytes = ready(response.into_body().collect())?
        .map_err(|e| anyhow::anyhow!("reading the Web API answer: {e}"))?
        .to_bytes();
    Ok((status, bytes.to_vec()))
}

/// The output of a future that completes without waiting.
fn ready<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..16 {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return Ok(v);
        }
    }
    anyhow::bail!("the Web API handler did not complete in-process")
}

/// The router.
pub fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(AUTH_PATH, post(webapi::auth))
        .route(SEARCH_PATH, post(webapi::search))
        .route("/oqs/xml", post(xml::post_default))
        .route("/oqs/req/{name}", post(xml::post_named))
        .route("/admin/status", get(admin::status))
        .route("/admin/journal", get(admin::journal))
        .route("/admin/journal/{id}", get(admin::journal_entry))
        .route("/admin/clock", get(clock::get).post(clock::post))
        .route("/admin/cards", get(cards::list))
        .route("/admin/cards/insert", post(cards::insert))
        .route("/admin/cards/remove", post(cards::remove))
        .route("/admin/cards/reset-pins", post(cards::reset_pins))
        .route("/admin/reader", get(reader::status))
        .route("/admin/reader/consents/{person}", get(reader::consents))
        .route("/admin/reader/{action}", post(reader::action))
        .route("/admin/disaster", get(disaster::status))
        .route("/admin/disaster/open", post(disaster::open))
        .route("/admin/disaster/close", post(disaster::close))
        .route("/admin/disaster/extend", post(disaster::extend))
        .route("/admin/disaster/audit", get(disaster::audit))
        .route("/admin/disaster/audit.csv", get(disaster::audit_csv))
        .route("/admin/disaster/facilities", get(disaster::facilities))
        .route("/admin/disaster/areas", get(disaster::area_list))
        .route("/disaster/search", post(disaster::search))
        .route("/disaster/view/{person}", get(disaster::view))
        // A month of a hospital's claims is larger than axum's default 2 MB body limit.
        .route(
            "/claims/route",
            post(claims::route).layer(axum::extract::DefaultBodyLimit::max(claims::MAX_BODY)),
        )
        .route("/admin/consents", get(consents::list).post(consents::post))
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(crate::scenario_remote::routes())
        .merge(crate::console::router())
        .with_state(shared)
}
