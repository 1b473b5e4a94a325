//! `#[provider_state]` functions served through the real state-change endpoint: every argument
//! and return form, every failure status, and the matching rules.
//!
//! Registrations are global to this binary, so each test scopes its states to its own provider
//! and unscoped states use text no other test sends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pact_runtime::__private::{StateEndpoint, StateRegistry, MAX_BODY_BYTES};
use pact_runtime::{provider_state, StateValues};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

const PATH: &str = "/_pact/provider_states";

/// A started endpoint for one provider, and a client for it.
struct Endpoint {
    endpoint: StateEndpoint,
    client: reqwest::Client,
}

impl Endpoint {
    async fn start(provider: &str) -> Endpoint {
        Endpoint::with_timeout(provider, Duration::from_secs(2)).await
    }

    async fn with_timeout(provider: &str, timeout: Duration) -> Endpoint {
        pact_runtime::install_crypto_provider();
        let endpoint = StateEndpoint::start(StateRegistry::for_provider(provider), PATH, timeout)
            .await
            .expect("state endpoint starts");
        Endpoint { endpoint, client: reqwest::Client::new() }
    }

    /// POSTs a JSON body and answers the status and JSON body.
    async fn post(&self, body: Value) -> (u16, Value) {
        self.send(self.client.post(self.endpoint.url()).json(&body)).await
    }

    /// POSTs a raw body, for requests that are not valid state changes.
    async fn post_raw(&self, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let request =
            self.client.post(self.endpoint.url()).header("content-type", "application/json").body(body.into());
        self.send(request).await
    }

    /// POSTs with an empty body and the state change in an already-encoded query string.
    async fn post_query(&self, query: &str) -> (u16, Value) {
        self.send(self.client.post(format!("{}?{query}", self.endpoint.url()))).await
    }

    async fn setup(&self, state: &str, params: Value) -> (u16, Value) {
        self.post(json!({ "state": state, "params": params, "action": "setup" })).await
    }

    async fn teardown(&self, state: &str, params: Value) -> (u16, Value) {
        self.post(json!({ "state": state, "params": params, "action": "teardown" })).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("state endpoint answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        (status, body)
    }
}

/// The `error` message of a failed state change, asserting its status.
fn error(answer: (u16, Value), status: u16) -> String {
    assert_eq!(answer.0, status, "unexpected answer: {}", answer.1);
    answer.1["error"].as_str().unwrap_or_else(|| panic!("no `error` in {}", answer.1)).to_string()
}

fn assert_contains(message: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(message.contains(fragment), "`{fragment}` not in: {message}");
    }
}

// ---- arguments ----

#[provider_state("user {id} named {name} is {age} years old", provider = "Arguments")]
fn user_with_placeholders(id: u64, name: String, age: u8) -> Map<String, Value> {
    let mut values = Map::new();
    values.insert("id".into(), json!(id));
    values.insert("name".into(), json!(name));
    values.insert("age".into(), json!(age));
    values
}

#[provider_state("user {id} exists", provider = "Arguments")]
async fn user_exists(id: u64) -> HashMap<String, u64> {
    tokio::task::yield_now().await;
    HashMap::from([("userId".to_string(), id)])
}

#[provider_state("the params are echoed", provider = "Arguments")]
fn echo_params(params: Map<String, Value>) -> Map<String, Value> {
    params
}

#[provider_state("the params are counted", provider = "Arguments")]
fn count_params(params: HashMap<String, Value>) -> Value {
    json!({ "count": params.len() })
}

#[derive(Deserialize)]
struct NewAccount {
    owner: String,
    #[serde(default)]
    admin: bool,
}

#[derive(Serialize)]
struct CreatedAccount {
    number: u32,
    owner: String,
    admin: bool,
}

#[provider_state("account {number} is opened", provider = "Arguments")]
async fn account_opened(number: u32, account: NewAccount) -> StateValues<CreatedAccount> {
    StateValues(CreatedAccount { number, owner: account.owner, admin: account.admin })
}

#[tokio::test]
async fn placeholders_are_parsed_from_the_state_text() {
    let endpoint = Endpoint::start("Arguments").await;
    let answer = endpoint.setup("user 42 named Ann Lee is 30 years old", json!({})).await;
    assert_eq!(answer, (200, json!({ "id": 42, "name": "Ann Lee", "age": 30 })));
}

#[tokio::test]
async fn v3_bare_text_with_params_is_served_by_the_pattern() {
    let endpoint = Endpoint::start("Arguments").await;
    assert_eq!(endpoint.setup("user exists", json!({ "id": 42 })).await, (200, json!({ "userId": 42 })));
    // The params form of a string value parses without its quotes.
    assert_eq!(endpoint.setup("user exists", json!({ "id": "43" })).await, (200, json!({ "userId": 43 })));
    // The text form still works, and wins over params.
    assert_eq!(endpoint.setup("user 7 exists", json!({ "id": 42 })).await, (200, json!({ "userId": 7 })));
}

#[tokio::test]
async fn the_query_string_form_is_accepted() {
    let endpoint = Endpoint::start("Arguments").await;
    // The answer holds the placeholder too, for `fromProviderState` (see `state_values.rs`).
    assert_eq!(endpoint.post_query("state=user%2044%20exists").await, (200, json!({ "id": 44, "userId": 44 })));
    // Query parameters other than `state` and `action` are params.
    assert_eq!(endpoint.post_query("state=user+exists&action=setup&id=45").await, (200, json!({ "userId": 45 })));
    assert_eq!(
        endpoint.post_query("state=the+params+are+echoed&colour=blue").await,
        (200, json!({ "colour": "blue" }))
    );
}

#[tokio::test]
async fn params_arrive_as_a_map_a_hash_map_or_a_struct() {
    let endpoint = Endpoint::start("Arguments").await;
    let params = json!({ "a": 1, "b": [true], "c": { "d": null } });
    assert_eq!(endpoint.setup("the params are echoed", params.clone()).await, (200, params));
    assert_eq!(endpoint.setup("the params are counted", json!({ "a": 1, "b": 2 })).await, (200, json!({ "count": 2 })));
    // No params at all is an empty object.
    assert_eq!(endpoint.post(json!({ "state": "the params are echoed" })).await, (200, json!({})));

    let answer = endpoint.setup("account 9 is opened", json!({ "owner": "Ann", "admin": true })).await;
    assert_eq!(answer, (200, json!({ "number": 9, "owner": "Ann", "admin": true })));
    let answer = endpoint.setup("account 10 is opened", json!({ "owner": "Bo" })).await;
    assert_eq!(answer, (200, json!({ "number": 10, "owner": "Bo", "admin": false })));
}

#[tokio::test]
async fn params_that_do_not_fit_the_struct_fail_naming_the_argument() {
    let endpoint = Endpoint::start("Arguments").await;
    let message = error(endpoint.setup("account 11 is opened", json!({ "admin": true })).await, 422);
    assert_contains(&message, &["account 11 is opened", "cannot build argument `account`", "missing field `owner`"]);
}

#[tokio::test]
async fn a_placeholder_that_does_not_parse_fails_naming_the_text_and_argument() {
    let endpoint = Endpoint::start("Arguments").await;
    let message = error(endpoint.setup("user abc exists", json!({})).await, 422);
    assert_contains(&message, &["user abc exists", "cannot parse `abc` for argument `id`", "invalid digit"]);
    let message = error(endpoint.setup("user 1 named Al is 300 years old", json!({})).await, 422);
    assert_contains(&message, &["cannot parse `300` for argument `age`"]);
    let message = error(endpoint.setup("user exists", json!({ "id": -1 })).await, 422);
    assert_contains(&message, &["cannot parse `-1` for argument `id`"]);
}

// ---- return values ----

#[provider_state("nothing is returned", provider = "Returns")]
fn returns_unit() {}

#[provider_state("nothing is optionally returned", provider = "Returns")]
fn returns_none() -> Option<Map<String, Value>> {
    None
}

#[provider_state("something is optionally returned", provider = "Returns")]
fn returns_some() -> Option<HashMap<String, &'static str>> {
    Some(HashMap::from([("kind".to_string(), "some")]))
}

#[provider_state("null is returned", provider = "Returns")]
fn returns_null() -> Value {
    Value::Null
}

#[provider_state("a number is returned", provider = "Returns")]
fn returns_number() -> Value {
    json!(5)
}

#[provider_state("a list is returned as values", provider = "Returns")]
fn returns_list() -> StateValues<Vec<u8>> {
    StateValues(vec![1, 2])
}

#[provider_state("values are returned in an Ok", provider = "Returns")]
async fn returns_ok() -> Result<StateValues<CreatedAccount>, String> {
    Ok(StateValues(CreatedAccount { number: 1, owner: "Ok".into(), admin: false }))
}

#[provider_state("the database is down", provider = "Returns")]
async fn returns_err() -> Result<(), String> {
    Err("connection refused by the test database".to_string())
}

#[provider_state("an io error happens", provider = "Returns")]
fn returns_io_err() -> Result<(), std::io::Error> {
    Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, "fixtures are read-only"))
}

#[tokio::test]
async fn every_return_form_answers_its_values() {
    let endpoint = Endpoint::start("Returns").await;
    for (state, values) in [
        ("nothing is returned", json!({})),
        ("nothing is optionally returned", json!({})),
        ("something is optionally returned", json!({ "kind": "some" })),
        ("null is returned", json!({})),
        ("values are returned in an Ok", json!({ "number": 1, "owner": "Ok", "admin": false })),
    ] {
        assert_eq!(endpoint.setup(state, json!({ "ignored": true })).await, (200, values), "{state}");
    }
}

#[tokio::test]
async fn an_err_fails_with_its_message_and_the_function() {
    let endpoint = Endpoint::start("Returns").await;
    let message = error(endpoint.setup("the database is down", json!({})).await, 422);
    assert_contains(
        &message,
        &["setup of state `the database is down` failed", "`returns_err`", "connection refused by the test database"],
    );
    let message = error(endpoint.setup("an io error happens", json!({})).await, 422);
    assert_contains(&message, &["an io error happens", "`returns_io_err`", "fixtures are read-only"]);
}

#[tokio::test]
async fn values_that_are_not_an_object_fail() {
    let endpoint = Endpoint::start("Returns").await;
    let message = error(endpoint.setup("a number is returned", json!({})).await, 422);
    assert_contains(&message, &["a number is returned", "must return a JSON object", "`5`"]);
    let message = error(endpoint.setup("a list is returned as values", json!({})).await, 422);
    assert_contains(&message, &["must return a JSON object", "`[1,2]`"]);
}

// ---- failures ----

#[provider_state("the state function panics", provider = "Failures")]
fn panics() {
    panic!("fixture file is missing");
}

#[provider_state("the state function panics with {code}", provider = "Failures")]
async fn panics_async(code: u16) {
    tokio::task::yield_now().await;
    panic!("async failure {code}");
}

#[provider_state("order 1 exists", provider = "Failures")]
fn order_one() {}

#[provider_state("order {number} exists", provider = "Failures")]
fn any_order(number: u32) {
    let _ = number;
}

#[provider_state("the state function hangs", provider = "Failures")]
async fn hangs() {
    tokio::time::sleep(Duration::from_secs(30)).await;
}

#[tokio::test]
async fn a_panic_fails_the_state_and_the_endpoint_keeps_serving() {
    let endpoint = Endpoint::start("Failures").await;
    let message = error(endpoint.setup("the state function panics", json!({})).await, 422);
    assert_contains(&message, &["state `the state function panics` panicked in `panics`", "fixture file is missing"]);
    let message = error(endpoint.setup("the state function panics with 503", json!({})).await, 422);
    assert_contains(&message, &["panicked in `panics_async`", "async failure 503"]);
    assert_eq!(endpoint.setup("order 2 exists", json!({})).await, (200, json!({ "number": 2 })));
}

#[tokio::test]
async fn a_missing_state_names_the_state_and_the_fix() {
    let endpoint = Endpoint::start("Failures").await;
    let message = error(endpoint.setup("nobody wrote this state", json!({})).await, 422);
    assert_contains(&message, &["no provider state function serves `nobody wrote this state`", "#[provider_state("]);
    // States scoped to another provider are not served.
    let message = error(endpoint.setup("nothing is returned", json!({})).await, 422);
    assert_contains(&message, &["no provider state function serves `nothing is returned`"]);
}

#[tokio::test]
async fn overlapping_registrations_are_ambiguous_and_list_both() {
    let endpoint = Endpoint::start("Failures").await;
    let message = error(endpoint.setup("order 1 exists", json!({})).await, 422);
    assert_contains(
        &message,
        &[
            "state `order 1 exists` matches more than one setup function",
            "`order 1 exists` (order_one) at ",
            "`order {number} exists` (any_order) at ",
            "state_functions.rs",
        ],
    );
}

#[tokio::test]
async fn a_state_that_outlives_the_timeout_fails_promptly() {
    let endpoint = Endpoint::with_timeout("Failures", Duration::from_millis(300)).await;
    let started = Instant::now();
    let message = error(endpoint.setup("the state function hangs", json!({})).await, 422);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_contains(&message, &["state `the state function hangs` timed out after 300ms in `hangs`"]);
    // The timed-out state no longer holds the endpoint.
    assert_eq!(endpoint.setup("order 3 exists", json!({})).await, (200, json!({ "number": 3 })));
}

// ---- scoping and teardown ----

#[provider_state("the scoped state wins")]
fn unscoped_state() -> Value {
    json!({ "scope": "any" })
}

#[provider_state("the scoped state wins", provider = "Scoped")]
fn scoped_state() -> Value {
    json!({ "scope": "Scoped" })
}

#[tokio::test]
async fn a_scoped_state_wins_over_an_unscoped_one() {
    let scoped = Endpoint::start("Scoped").await;
    assert_eq!(scoped.setup("the scoped state wins", json!({})).await, (200, json!({ "scope": "Scoped" })));
    let other = Endpoint::start("SomeOtherProvider").await;
    assert_eq!(other.setup("the scoped state wins", json!({})).await, (200, json!({ "scope": "any" })));
}

/// Which teardowns ran, in order.
static TORN_DOWN: Mutex<Vec<u64>> = Mutex::new(Vec::new());

#[provider_state("record {id} exists", provider = "Teardown")]
fn record_exists(id: u64) -> Value {
    json!({ "setUp": id })
}

#[provider_state("record {id} exists", provider = "Teardown", teardown)]
async fn remove_record(id: u64, params: Map<String, Value>) -> Value {
    TORN_DOWN.lock().unwrap().push(id);
    json!({ "tornDown": id, "params": params })
}

#[provider_state("record {id} is locked", provider = "Teardown")]
fn record_locked(id: u64) {
    let _ = id;
}

#[tokio::test]
async fn teardown_runs_the_teardown_function_only() {
    let endpoint = Endpoint::start("Teardown").await;
    assert_eq!(endpoint.setup("record 5 exists", json!({})).await, (200, json!({ "id": 5, "setUp": 5 })));
    assert!(TORN_DOWN.lock().unwrap().is_empty());
    let answer = endpoint.teardown("record 5 exists", json!({ "why": "done" })).await;
    assert_eq!(answer, (200, json!({ "tornDown": 5, "params": { "why": "done" } })));
    assert_eq!(endpoint.post_query("state=record+6+exists&action=teardown").await.0, 200);
    assert_eq!(*TORN_DOWN.lock().unwrap(), vec![5, 6]);
}

#[tokio::test]
async fn a_teardown_without_a_function_is_a_no_op() {
    let endpoint = Endpoint::start("Teardown").await;
    assert_eq!(endpoint.teardown("record 5 is locked", json!({})).await, (200, json!({})));
    assert_eq!(endpoint.teardown("nobody wrote this state", json!({})).await, (200, json!({})));
}

#[tokio::test]
async fn an_empty_state_is_a_no_op() {
    let endpoint = Endpoint::start("Empty").await;
    assert_eq!(endpoint.setup("", json!({ "id": 1 })).await, (200, json!({})));
    assert_eq!(endpoint.setup("   ", json!({})).await, (200, json!({})));
    assert_eq!(endpoint.post_query("state=").await, (200, json!({})));
}

// ---- malformed requests ----

#[tokio::test]
async fn malformed_requests_are_rejected_with_400() {
    let endpoint = Endpoint::start("Malformed").await;
    let message = error(endpoint.post_raw("{\"state\": ").await, 400);
    assert_contains(&message, &["not valid JSON"]);
    let message = error(endpoint.post(json!({ "params": { "id": 1 } })).await, 400);
    assert_contains(&message, &["no `state`"]);
    let message = error(endpoint.post(json!({ "state": "a", "action": "explode" })).await, 400);
    assert_contains(&message, &["unknown action `explode`", "\"setup\" or \"teardown\""]);
    let message = error(endpoint.post_query("state=a&action=explode").await, 400);
    assert_contains(&message, &["unknown action `explode`"]);
    let message = error(endpoint.post_query("action=setup").await, 400);
    assert_contains(&message, &["no `state`"]);
    let message = error(endpoint.post(json!({ "state": "a", "params": [1] })).await, 400);
    assert_contains(&message, &["`params` must be a JSON object"]);
}

#[tokio::test]
async fn a_body_over_64_kib_is_rejected_with_400() {
    let endpoint = Endpoint::start("Malformed").await;
    let padding = "x".repeat(MAX_BODY_BYTES);
    let message = error(endpoint.post(json!({ "state": "a", "params": { "padding": padding } })).await, 400);
    assert_contains(&message, &["larger than 65536 bytes"]);
    // Just under the limit is parsed (and fails only because no function serves it).
    let padding = "x".repeat(MAX_BODY_BYTES - 100);
    let answer = endpoint.post(json!({ "state": "a", "params": { "padding": padding } })).await;
    assert_eq!(answer.0, 422, "{}", answer.1);
}

#[tokio::test]
async fn other_paths_and_methods_are_not_served() {
    let endpoint = Endpoint::start("Malformed").await;
    let base = endpoint.endpoint.url().trim_end_matches(PATH).to_string();
    let (status, _) = endpoint.send(endpoint.client.post(format!("{base}/other")).json(&json!({ "state": "" }))).await;
    assert_eq!(status, 404);
    // The bare secret segment serves nothing either (axum's nest leaves it to the outer 403).
    let (status, _) = endpoint.send(endpoint.client.post(format!("{base}/")).json(&json!({ "state": "" }))).await;
    assert_eq!(status, 403);
    let (status, body) = endpoint.send(endpoint.client.get(endpoint.endpoint.url())).await;
    assert_eq!(status, 405, "{body}");
}
