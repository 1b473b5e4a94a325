//! A tiny greetings API, `GET /greetings/{name}`, shared by the web-stack examples in `tests/`.
//!
//! The domain ([`Greetings`] and [`greeting_response`]) knows nothing about HTTP servers; each
//! example wires it into one stack and verifies it against the one pact in `pacts/`:
//!
//! | example | stack |
//! |---|---|
//! | `tests/axum_router.rs` | `async fn() -> axum::Router` |
//! | `tests/actix.rs` | actix-web on its own system thread, serving the listener |
//! | `tests/hyper_listener.rs` | a plain hyper 1 server loop on the listener |
//! | `tests/running_server.rs` | a server that already runs, by base URL |
//! | `tests/base_path.rs` | the API mounted under `/api`, with `base_path = "/api"` |

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The names that have a greeting; provider states change it, the app reads it.
#[derive(Debug, Clone, Default)]
pub struct Greetings(Arc<RwLock<BTreeSet<String>>>);

impl Greetings {
    /// Gives `name` a greeting.
    pub fn add(&self, name: &str) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(name.to_string());
    }

    /// Takes `name`'s greeting away, if it has one.
    pub fn remove(&self, name: &str) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(name);
    }

    /// Whether `name` has a greeting.
    pub fn contains(&self, name: &str) -> bool {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(name)
    }
}

/// The answer to `GET /greetings/{name}`, whatever serves it: the status and the JSON body.
///
/// `200 {"name": "Ada", "message": "Hello, Ada!"}`, or `404 {"error": "no greeting for Ada"}`.
pub fn greeting_response(greetings: &Greetings, name: &str) -> (u16, Value) {
    if greetings.contains(name) {
        (200, json!({ "name": name, "message": format!("Hello, {name}!") }))
    } else {
        (404, json!({ "error": format!("no greeting for {name}") }))
    }
}

/// The greetings API as an axum router.
pub fn app(greetings: Greetings) -> Router {
    Router::new().route("/greetings/{name}", get(get_greeting)).with_state(greetings)
}

async fn get_greeting(State(greetings): State<Greetings>, Path(name): Path<String>) -> Response {
    let (status, body) = greeting_response(&greetings, &name);
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(body)).into_response()
}
