//! Optional basic and bearer authentication, checked on every broker API request.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use serde_json::json;

use super::hal::hal;
use super::Shared;

/// Paths anyone may read, as on a real broker behind basic auth.
const PUBLIC_PATHS: [&str; 1] = ["/diagnostic/status/heartbeat"];

enum Outcome {
    Accepted,
    Missing,
    Rejected,
}

fn check(shared: &Shared, header: Option<&HeaderValue>) -> Outcome {
    let Some(header) = header.and_then(|h| h.to_str().ok()) else { return Outcome::Missing };
    let (scheme, credentials) = header.split_once(' ').unwrap_or((header, ""));
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        if let Some((user, password)) = &shared.config.basic_auth {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(credentials)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if decoded.as_deref() == Some(format!("{user}:{password}").as_str()) {
                return Outcome::Accepted;
            }
        }
    } else if scheme.eq_ignore_ascii_case("bearer") {
        if let Some(token) = &shared.config.bearer_token {
            if credentials == token {
                return Outcome::Accepted;
            }
        }
    }
    Outcome::Rejected
}

pub(crate) async fn require_auth(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let config = &shared.config;
    if (config.basic_auth.is_none() && config.bearer_token.is_none()) || PUBLIC_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let message = match check(&shared, request.headers().get(AUTHORIZATION)) {
        Outcome::Accepted => return next.run(request).await,
        Outcome::Missing => "authentication is required: send basic credentials or a bearer token",
        Outcome::Rejected => "the credentials were not accepted",
    };
    let mut response = hal(StatusCode::UNAUTHORIZED, json!({ "error": { "message": message } }));
    if config.basic_auth.is_some() {
        response.headers_mut().append(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Pact Broker\""));
    }
    if config.bearer_token.is_some() {
        response.headers_mut().append(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"Pact Broker\""));
    }
    response
}
