//! A stub Pact Broker driven by the suite's broker fixtures (`pact-broker_c1.json`, ...).
//!
//! Each fixture is a pact between a broker client and the broker: its interactions say what the
//! broker answers to the index, to pacts-for-verification and to published results. The stub
//! answers a request with the response of the fixture interaction of the same method and path
//! (checking its JSON body as a Pact mock server would), with the fixtures' `MockServerURL`
//! generators applied: their example origin becomes the stub's address. What the fixtures
//! leave to the verifier's own pact, the stub adds:
//!
//! - the pact each fixture links (`/pacts/provider/p/consumer/c_1`) is the one the scenario
//!   wrote, served with the `pb:publish-verification-results` link and interaction `_id`s a
//!   broker adds;
//! - one run of pact-runtime reads one broker, so when a scenario names several fixtures the
//!   stub serves them all, and pacts-for-verification lists the pacts of every one;
//! - the fixtures' provider is `p`: its paths are matched with the scenario's provider name in
//!   its place.
//!
//! Every request is recorded, with what was wrong with it, for the scenario's `Then` steps.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// The origin the fixtures' `MockServerURL` generators use in their examples.
const FIXTURE_ORIGIN: &str = "http://localhost:9876";

/// One fixture the stub serves, and the pact it links to.
#[derive(Debug, Clone)]
pub struct BrokerPact {
    /// The consumer the fixture's pact link names, e.g. `c_1`.
    pub consumer: String,
    /// The fixture (a V4 pact of the broker's interactions).
    pub fixture: Value,
    /// The pact served at the link.
    pub pact: Value,
}

/// A request the stub received.
#[derive(Debug, Clone)]
pub struct BrokerRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path.
    pub path: String,
    /// The JSON body, `Null` when there is none.
    pub body: Value,
    /// The status the stub answered.
    pub status: u16,
    /// What did not match the fixture, if anything.
    pub problems: Vec<String>,
}

#[derive(Debug)]
struct Shared {
    base_url: String,
    provider: String,
    pacts: Vec<BrokerPact>,
    requests: Mutex<Vec<BrokerRequest>>,
}

/// A running stub broker; dropping it stops it.
#[derive(Debug)]
pub struct BrokerStub {
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl BrokerStub {
    /// Loads `pact-broker_c{n}.json` for interaction `n` from the fixtures.
    pub fn fixture(fixtures: &std::path::Path, number: usize) -> anyhow::Result<Value> {
        let path = fixtures.join(format!("pact-broker_c{number}.json"));
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
    }

    /// Starts the stub on loopback for `provider`, serving `pacts`.
    pub async fn start(provider: &str, pacts: Vec<BrokerPact>) -> anyhow::Result<BrokerStub> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address: SocketAddr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base_url: format!("http://{address}"),
            provider: provider.to_string(),
            pacts,
            requests: Mutex::new(Vec::new()),
        });
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(BrokerStub { shared, shutdown: Some(shutdown) })
    }

    /// The stub's base URL.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<BrokerRequest> {
        self.shared.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The verification results published for `consumer`'s pact.
    pub fn publications(&self, consumer: &str) -> Vec<BrokerRequest> {
        let path = format!("/pacts/provider/{}/consumer/{consumer}/verification-results", self.shared.provider);
        self.requests().into_iter().filter(|request| request.method == "POST" && request.path == path).collect()
    }
}

impl Drop for BrokerStub {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let bytes = to_bytes(request.into_body(), 16 * 1024 * 1024).await.unwrap_or_default();
    let body: Value =
        if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    let (status, answer, problems) = answer(&shared, &method, &path, &body);
    shared.requests.lock().unwrap_or_else(PoisonError::into_inner).push(BrokerRequest {
        method,
        path,
        body,
        status,
        problems,
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.to_string()).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/hal+json;charset=utf-8"),
    );
    response
}

/// The fixture's path with the scenario's provider in place of `p`.
fn fixture_path(shared: &Shared, path: &str) -> String {
    path.replace("/provider/p/", &format!("/provider/{}/", shared.provider))
}

fn answer(shared: &Shared, method: &str, path: &str, body: &Value) -> (u16, Value, Vec<String>) {
    let pact_prefix = format!("/pacts/provider/{}/consumer/", shared.provider);
    if method == "GET" {
        if let Some(pact) = path.strip_prefix(&pact_prefix).and_then(|consumer| served_pact(shared, consumer)) {
            return (200, pact, Vec::new());
        }
    }
    let mut candidates = Vec::new();
    for pact in &shared.pacts {
        for interaction in pact.fixture.get("interactions").and_then(Value::as_array).into_iter().flatten() {
            let request = &interaction["request"];
            let same_method = request["method"].as_str().is_some_and(|m| m.eq_ignore_ascii_case(method));
            let same_path = request["path"].as_str().is_some_and(|p| fixture_path(shared, p) == path);
            if same_method && same_path {
                candidates.push(interaction);
            }
        }
    }
    if candidates.is_empty() {
        return (404, json!({ "error": format!("no broker fixture interaction for {method} {path}") }), Vec::new());
    }
    // Published results: the fixture interaction whose `success` is the one published.
    let mut problems = Vec::new();
    let chosen = candidates
        .iter()
        .find(|interaction| match interaction["request"]["body"]["content"].get("success") {
            Some(success) => body.get("success") == Some(success),
            None => true,
        })
        .copied();
    let Some(chosen) = chosen else {
        let problem = format!("no broker fixture interaction for {method} {path} with this body: {body}");
        return (400, json!({ "error": problem }), vec![problem]);
    };
    let expected = &chosen["request"]["body"]["content"];
    let has_rules = chosen["request"].get("matchingRules").is_some();
    if !expected.is_null() {
        if has_rules {
            shape_problems(expected, body, "$", &mut problems);
        } else {
            subset_problems(expected, body, "$", &mut problems);
        }
    }
    if !problems.is_empty() {
        return (400, json!({ "error": problems.join("; ") }), problems);
    }
    let response = &chosen["response"];
    let status = response["status"].as_u64().unwrap_or(200) as u16;
    let mut content = with_stub_origin(shared, &response["body"]["content"]);
    if path.ends_with("/for-verification") && method == "POST" {
        // Every fixture's pacts, as one broker would list them.
        let all: Vec<Value> = candidates
            .iter()
            .flat_map(|interaction| {
                interaction["response"]["body"]["content"]["_embedded"]["pacts"].as_array().cloned().unwrap_or_default()
            })
            .map(|entry| with_stub_origin(shared, &entry))
            .collect();
        content["_embedded"]["pacts"] = Value::Array(all);
    }
    (status, content, Vec::new())
}

/// The fixture's `MockServerURL` examples point at the stub instead.
fn with_stub_origin(shared: &Shared, value: &Value) -> Value {
    // `{provider}` templates stay; only concrete paths name the scenario's provider.
    let text = value
        .to_string()
        .replace(FIXTURE_ORIGIN, &shared.base_url)
        .replace("/provider/p/", &format!("/provider/{}/", shared.provider));
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn served_pact(shared: &Shared, consumer: &str) -> Option<Value> {
    let pact = shared.pacts.iter().find(|pact| pact.consumer == consumer)?;
    let mut document = pact.pact.clone();
    if let Some(interactions) = document.get_mut("interactions").and_then(Value::as_array_mut) {
        for (index, interaction) in interactions.iter_mut().enumerate() {
            interaction["_id"] = json!(format!("{consumer}-{}", index + 1));
        }
    }
    if let Some(messages) = document.get_mut("messages").and_then(Value::as_array_mut) {
        for (index, message) in messages.iter_mut().enumerate() {
            message["_id"] = json!(format!("{consumer}-{}", index + 1));
        }
    }
    let own = format!("{}/pacts/provider/{}/consumer/{consumer}", shared.base_url, shared.provider);
    document["_links"] = json!({
        "self": { "href": own },
        "pb:publish-verification-results": { "href": format!("{own}/verification-results") },
    });
    Some(document)
}

/// Without matching rules a request body must hold the fixture's values; keys the fixture
/// does not have may be there only as `null` (an unset optional field).
fn subset_problems(expected: &Value, actual: &Value, path: &str, problems: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                match actual.get(key) {
                    Some(found) => subset_problems(value, found, &format!("{path}.{key}"), problems),
                    None => problems.push(format!("{path}.{key} is missing")),
                }
            }
            for (key, value) in actual {
                if !expected.contains_key(key) && !value.is_null() {
                    problems.push(format!("{path}.{key} is not expected"));
                }
            }
        }
        _ if expected == actual => {}
        _ => problems.push(format!("{path} is {actual}, expected {expected}")),
    }
}

/// With matching rules (the published results): the body must have the fixture's shape, every
/// key with a value of the same JSON type, arrays checked through their first element.
fn shape_problems(expected: &Value, actual: &Value, path: &str, problems: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                match actual.get(key) {
                    Some(found) => shape_problems(value, found, &format!("{path}.{key}"), problems),
                    None => problems.push(format!("{path}.{key} is missing")),
                }
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            if let Some(first) = expected.first() {
                match actual.first() {
                    Some(found) => shape_problems(first, found, &format!("{path}[0]"), problems),
                    None => problems.push(format!("{path} is empty")),
                }
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Null, Value::Null) => {}
        _ => problems.push(format!("{path} is {actual}, expected a value like {expected}")),
    }
}
