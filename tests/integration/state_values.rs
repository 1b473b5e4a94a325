//! `fromProviderState` values without boilerplate: an expression (`${id}`) reads the values the
//! state functions returned, then the states' params, then the placeholders their patterns
//! matched in the state text, typed as the function's argument took them. A name found nowhere
//! fails the interaction before its request. `StateServer` answers the same values.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use pact_runtime::{provider_state, verify_provider, Failure, Settings, StateServer, VerificationReport};
use serde_json::{json, Map, Value};

const PROVIDER: &str = "StateValuesService";

/// What the app received: each request's path and JSON body.
static RECEIVED: Mutex<Vec<(String, Value)>> = Mutex::new(Vec::new());

// The runs of this binary share RECEIVED, so they take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[provider_state("user {id} exists", provider = "StateValuesService")]
fn user_exists(id: u64) {
    let _ = id; // no `StateValues` return: the placeholder alone feeds `${id}`
}

#[provider_state("a user named {name} exists", provider = "StateValuesService")]
fn named_user_exists(name: String) {
    let _ = name;
}

#[provider_state("order {id} is created", provider = "StateValuesService")]
fn order_created(id: u64) -> Map<String, Value> {
    // The stored order gets its own id: the returned value wins over the placeholder.
    Map::from_iter([("id".to_string(), json!(id + 1000))])
}

fn app() -> Router {
    Router::new().fallback(post(|uri: Uri, body: Bytes| async move {
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        RECEIVED.lock().unwrap().push((uri.path().to_string(), body));
        StatusCode::OK
    }))
}

/// An interaction that POSTs `{"id": <example>}` to `/users/<example>`, both generated from
/// `expression`.
fn interaction(description: &str, states: Value, expression: &str) -> Value {
    json!({
        "description": description,
        "providerStates": states,
        "request": {
            "method": "POST",
            "path": "/users/0",
            "headers": { "Content-Type": "application/json" },
            "body": { "id": 0 },
            "generators": {
                "path": { "type": "ProviderState", "expression": format!("/users/{expression}"), "dataType": "STRING" },
                "body": { "$.id": { "type": "ProviderState", "expression": expression } }
            }
        },
        "response": { "status": 200 }
    })
}

async fn verify(interactions: Vec<Value>) -> (VerificationReport, Vec<(String, Value)>) {
    let _serial = SERIAL.lock().await;
    RECEIVED.lock().unwrap().clear();
    let pact = json!({
        "consumer": { "name": "StateValuesConsumer" },
        "provider": { "name": PROVIDER },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    });
    let file = pact_tests::write_pact("StateValuesConsumer-StateValuesService.json", &pact);
    let settings = Settings::builder().pacts(file).provider(PROVIDER).build().expect("valid settings");
    let run = verify_provider(&settings, || async { app() });
    let report =
        tokio::time::timeout(Duration::from_secs(10), run).await.expect("within 10 s").expect("the run starts");
    println!("{report}");
    let received = std::mem::take(&mut *RECEIVED.lock().unwrap());
    (report, received)
}

/// Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placeholder_of_the_state_text_feeds_the_expression_typed_as_its_argument() {
    let (report, received) = verify(vec![
        interaction("a u64 placeholder", json!([{ "name": "user 123 exists" }]), "${id}"),
        interaction("a String placeholder", json!([{ "name": "a user named 007 exists" }]), "${name}"),
    ])
    .await;
    assert!(report.is_success(), "{report}");
    assert_eq!(
        received,
        [("/users/123".to_string(), json!({ "id": 123 })), ("/users/007".to_string(), json!({ "id": "007" }))]
    );
}

/// Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_values_come_before_params_and_params_before_placeholders() {
    let (report, received) = verify(vec![
        // A param over the placeholder the text matched.
        interaction("a param", json!([{ "name": "user 123 exists", "params": { "id": 7 } }]), "${id}"),
        // The returned value over the param and the placeholder.
        interaction("a returned value", json!([{ "name": "order 5 is created", "params": { "id": 6 } }]), "${id}"),
        // Over a placeholder of another state too, whatever the order of the states.
        interaction("two states", json!([{ "name": "order 5 is created" }, { "name": "user 123 exists" }]), "${id}"),
    ])
    .await;
    assert!(report.is_success(), "{report}");
    let ids: Vec<&Value> = received.iter().map(|(_, body)| &body["id"]).collect();
    assert_eq!(ids, [&json!(7), &json!(1005), &json!(1005)]);
    assert_eq!(received[1].0, "/users/1005");
}

/// A name no source has fails before the request, naming it and where it was looked for;
/// Pact's generator alone would send the consumer's example value (`/users/0`).
/// Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_found_nowhere_fails_naming_it_and_sends_nothing() {
    let (report, received) = verify(vec![
        interaction("an unknown name", json!([{ "name": "user 123 exists", "params": { "other": 1 } }]), "${userId}"),
        interaction("no state at all", json!([]), "${id}"),
    ])
    .await;
    assert!(received.is_empty(), "{received:?}");
    let texts: Vec<String> =
        report.results.iter().map(|result| result.failures.iter().map(Failure::to_string).collect()).collect();
    assert_eq!(
        texts,
        [
            "the request's `fromProviderState` expressions need `userId` (in `${userId}`, `/users/${userId}`), but no value a #[provider_state] function returned, no param and no placeholder of `user 123 exists` has that name; return it from the state function (a map or `StateValues`), give it as a param, or name it as a placeholder in the state's pattern, such as `{userId}`",
            "the request's `fromProviderState` expressions need `id` (in `${id}`, `/users/${id}`), but the interaction has no provider state; return it from the state function (a map or `StateValues`), give it as a param, or name it as a placeholder in the state's pattern, such as `{id}`",
        ]
    );
    assert!(
        matches!(&report.results[0].failures[..], [Failure::StateSetup { state, .. }] if state == "user 123 exists")
    );
}

/// `StateServer` answers another verifier the same values: the placeholders no param shadows,
/// under the returned values; the verifier puts the answer over the params.
/// Bound: 5 s.
#[tokio::test]
async fn the_state_server_answers_the_same_values() {
    let server = StateServer::start(PROVIDER).await.expect("the state server starts");
    let client = reqwest::Client::new();
    let setup = |state: &str, params: Value| {
        let request = client
            .post(server.state_change_url())
            .json(&json!({ "state": state, "params": params, "action": "setup" }))
            .timeout(Duration::from_secs(5));
        async move {
            let response = request.send().await.expect("the server answers");
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("a JSON answer")
        }
    };
    assert_eq!(setup("user 123 exists", json!({})).await, json!({ "id": 123 }));
    assert_eq!(setup("a user named 007 exists", json!({})).await, json!({ "name": "007" }));
    // A param shadows the placeholder: the verifier has it already, under the answer.
    assert_eq!(setup("user 123 exists", json!({ "id": 7, "other": "x" })).await, json!({}));
    assert_eq!(setup("order 5 is created", json!({ "id": 6 })).await, json!({ "id": 1005 }));
}
