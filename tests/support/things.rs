//! A provider of "things" for the broker and sharding tests: `GET /things/{marker}` answers
//! `{"marker": marker}` once a `thing {marker} exists` state has added it, and 404 before. Each
//! test binary registers that state for its own providers and calls [`add`].

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The things the app knows.
static THINGS: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

/// Adds a thing: what a `thing {marker} exists` state does.
pub fn add(marker: String) {
    THINGS.lock().unwrap_or_else(|e| e.into_inner()).insert(marker);
}

/// The app.
pub fn app() -> Router {
    Router::new().route(
        "/things/{marker}",
        get(|Path(marker): Path<String>| async move {
            let known = THINGS.lock().unwrap_or_else(|e| e.into_inner()).contains(&marker);
            let response: Response = if known {
                Json(json!({ "marker": marker })).into_response()
            } else {
                (StatusCode::NOT_FOUND, Json(json!({ "error": format!("no thing {marker}") }))).into_response()
            };
            response
        }),
    )
}

/// The app, counting in `requests` the interaction requests (`/things/...`, not the readiness
/// probe) it gets.
pub fn counted_app(requests: Arc<AtomicUsize>) -> Router {
    app().layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
        let requests = requests.clone();
        let interaction = request.uri().path().starts_with("/things/");
        async move {
            requests.fetch_add(usize::from(interaction), Ordering::SeqCst);
            next.run(request).await
        }
    }))
}

/// An interaction the app satisfies: `a request for {marker}`.
pub fn passing(marker: &str) -> Value {
    json!({
        "description": format!("a request for {marker}"),
        "providerStates": [{ "name": format!("thing {marker} exists") }],
        "request": { "method": "GET", "path": format!("/things/{marker}") },
        "response": {
            "status": 200,
            "headers": { "Content-Type": "application/json" },
            "body": { "marker": marker }
        }
    })
}

/// An interaction the app breaks (the body's `marker` differs): `a broken request for {marker}`.
pub fn failing(marker: &str) -> Value {
    json!({
        "description": format!("a broken request for {marker}"),
        "providerStates": [{ "name": format!("thing {marker} exists") }],
        "request": { "method": "GET", "path": format!("/things/{marker}") },
        "response": { "status": 200, "body": { "marker": format!("{marker}, but renamed") } }
    })
}

/// A V3 pact of `consumer` with `provider`.
pub fn pact(consumer: &str, provider: &str, interactions: Vec<Value>) -> Value {
    json!({
        "consumer": { "name": consumer },
        "provider": { "name": provider },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    })
}
