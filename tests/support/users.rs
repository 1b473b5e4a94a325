//! A small user service verified against the pacts in `tests/fixtures/harness/` (two
//! consumers, four interactions, two of them with the same description): the app of the
//! harness, report, filter and hook tests. Each test binary registers its own
//! `#[provider_state]` functions over [`USERS`].

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// The pact directory: `AdminConsole` (`a health check`, `a request for user 7`) and
/// `UserServiceClient` (`a request for user 123` twice, with different states).
pub const PACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/harness");

/// The ids of the users that exist.
pub static USERS: LazyLock<Mutex<HashSet<u64>>> = LazyLock::new(Default::default);

/// Adds a user.
pub fn add_user(id: u64) {
    USERS.lock().unwrap_or_else(PoisonError::into_inner).insert(id);
}

/// Removes a user.
pub fn remove_user(id: u64) {
    USERS.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
}

/// The app: `GET /users/{id}` and `GET /health`. A `broken` app answers users' names as
/// numbers, so the interactions that find a user fail with a body mismatch.
pub fn app(broken: bool) -> Router {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .with_state(broken)
}

async fn user(State(broken): State<bool>, Path(id): Path<u64>) -> Response {
    if !USERS.lock().unwrap_or_else(PoisonError::into_inner).contains(&id) {
        return (StatusCode::NOT_FOUND, Json(json!({ "detail": "User not found" }))).into_response();
    }
    let name = if broken { json!(42) } else { json!("Verna Hampton") };
    Json(json!({ "id": id, "name": name, "created_on": "2016-12-15T20:16:01", "ip_address": "10.1.2.3" }))
        .into_response()
}
