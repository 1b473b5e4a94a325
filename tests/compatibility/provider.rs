//! The provider the suite verifies: an axum app that answers each request with the response of
//! the first configured interaction whose request it matches (method, path, query, the
//! interaction's headers and body), and `500` when none does, like a Pact mock server. Every
//! request is recorded in the event log, except the `HEAD /` readiness probe pact-runtime sends
//! while it boots the app.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use pact_models::bodies::OptionalBody;
use pact_models::query_strings::parse_query_string;
use pact_models::sync_interaction::RequestResponseInteraction;
use serde_json::{json, Value};

use crate::events::{record, Event, RecordedRequest};

/// The provider app serving `interactions`.
pub fn app(interactions: Vec<RequestResponseInteraction>) -> Router {
    Router::new().fallback(answer).with_state(Arc::new(interactions))
}

async fn answer(State(interactions): State<Arc<Vec<RequestResponseInteraction>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default().to_vec();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers,
        body,
    };
    let matched = interactions.iter().find(|interaction| request_matches(interaction, &recorded));
    // pact-runtime's readiness probe while it boots the app, not part of the verification.
    let boot_probe = matched.is_none() && recorded.method == "HEAD" && recorded.path == "/";
    if !boot_probe {
        record(Event::ProviderRequest(recorded.clone()));
    }
    match matched {
        Some(interaction) => respond(&interaction.response),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({
                "error": format!("no interaction matches {} {}", recorded.method, recorded.path),
            })),
        )
            .into_response(),
    }
}

fn request_matches(interaction: &RequestResponseInteraction, actual: &RecordedRequest) -> bool {
    let expected = &interaction.request;
    if !expected.method.eq_ignore_ascii_case(&actual.method) || expected.path != actual.path {
        return false;
    }
    let actual_query = parse_query_string(&actual.query).unwrap_or_default();
    if expected.query.clone().unwrap_or_default() != actual_query {
        return false;
    }
    for (name, values) in expected.headers.iter().flatten() {
        let found: Vec<&str> =
            actual.headers.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        let wanted = values.join(", ");
        let got = found.join(", ");
        let same = if name.eq_ignore_ascii_case("content-type") {
            got.split(';').next().map(str::trim) == wanted.split(';').next().map(str::trim)
        } else {
            got == wanted
        };
        if !same {
            return false;
        }
    }
    match &expected.body {
        OptionalBody::Present(bytes, _, _) => {
            let parsed = (serde_json::from_slice::<Value>(bytes), serde_json::from_slice::<Value>(&actual.body));
            match parsed {
                (Ok(expected), Ok(actual)) => expected == actual,
                _ => bytes.as_ref() == actual.body.as_slice(),
            }
        }
        _ => true,
    }
}

fn respond(response: &pact_models::response::Response) -> Response {
    let mut answer = Response::new(Body::from(response.body.value().map(|bytes| bytes.to_vec()).unwrap_or_default()));
    *answer.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers: HashMap<String, Vec<String>> = response.headers.clone().unwrap_or_default();
    for (name, values) in headers {
        let Ok(name) = HeaderName::try_from(name.as_str()) else { continue };
        for value in values {
            if let Ok(value) = HeaderValue::try_from(value.as_str()) {
                answer.headers_mut().append(name.clone(), value);
            }
        }
    }
    answer
}
