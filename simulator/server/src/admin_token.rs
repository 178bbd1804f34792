//! The token guarding the operator's parts (disaster-mode open/close/extend, the audit log, the
//! console's operator panel, clock control and scenario remote). It is generated at start-up and
//! printed (or given with `serve --admin-token`, `SIM_ADMIN_TOKEN`), and accepted as
//! `Authorization: Bearer <token>`, `X-Admin-Token: <token>` or the console's cookie (set by
//! `/console/login?token=<token>`). Requests from another host than loopback are refused unless
//! `serve --admin-allow-remote`, whatever the token.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The console cookie holding the token.
pub const COOKIE: &str = "sim_admin_token";

/// The operator token and where it is accepted from.
#[derive(Clone)]
pub struct AdminAuth {
    token: String,
    allow_remote: bool,
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAuth")
            .field("token", &"…")
            .field("allow_remote", &self.allow_remote)
            .finish()
    }
}

impl AdminAuth {
    /// With this token (`None`: a fresh random one).
    pub fn new(token: Option<String>, allow_remote: bool) -> AdminAuth {
        let token = token.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..24)
                .map(|_| char::from(b"0123456789abcdefghjkmnpqrstuvwxyz"[rng.random_range(0..33)]))
                .collect()
        });
        AdminAuth {
            token,
            allow_remote,
        }
    }

    /// The token (to print at start-up, and for in-process tests).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether `given` is the token (compared in constant time).
    pub fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.token.as_bytes(), given.trim().as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    fn from_headers<'a>(headers: &'a HeaderMap) -> impl Iterator<Item = &'a str> + 'a {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let plain = headers.get("x-admin-token").and_then(|v| v.to_str().ok());
        let cookies = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='));
        bearer.into_iter().chain(plain).chain(cookies)
    }

    /// Whether the request may use the operator's parts.
    pub fn check(&self, parts: &Parts) -> Result<(), Denied> {
        if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>()
            && !peer.ip().is_loopback()
            && !self.allow_remote
        {
            return Err(Denied::Remote);
        }
        if Self::from_headers(&parts.headers).any(|t| self.matches(t)) {
            Ok(())
        } else {
            Err(Denied::NoToken)
        }
    }
}

/// Why the operator's parts were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Another host than loopback (403).
    Remote,
    /// No token, or a wrong one (401).
    NoToken,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Remote => (
                StatusCode::FORBIDDEN,
                "the operator's functions answer loopback only (serve --admin-allow-remote)\n",
            )
                .into_response(),
            Denied::NoToken => (
                StatusCode::UNAUTHORIZED,
                "operator token required: Authorization: Bearer <token> (printed by `simulator serve`, or --admin-token; the CLI reads SIMULATOR_ADMIN_TOKEN)\n",
            )
                .into_response(),
        }
    }
}

/// An extractor that lets a handler run only with the operator token (the JSON API: a plain
/// 401/403 text otherwise).
#[derive(Debug, Clone, Copy)]
pub struct AdminGuard;

impl axum::extract::FromRequestParts<std::sync::Arc<crate::shared::Shared>> for AdminGuard {
    type Rejection = Denied;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &std::sync::Arc<crate::shared::Shared>,
    ) -> Result<Self, Self::Rejection> {
        state.admin.check(parts).map(|()| AdminGuard)
    }
}
