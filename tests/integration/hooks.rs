//! `#[before_each]`, `#[after_each]` and `#[request_filter]` through a real run
//! (`verify_provider`): their order around the state setups, the request and the teardowns,
//! on passing and failing interactions; their errors; `custom_headers`.
//!
//! Every hook here is scoped to `HookService`, and records what happens in [`EVENTS`].

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use pact_runtime::config::{ProviderTestSpec, SettingsBuilder};
use pact_runtime::{
    after_each, before_each, provider_state, request_filter, verify_provider, Failure, HookContext, ProviderRequest,
    Settings, VerificationReport,
};
use serde_json::{json, Value};

/// What happened, in order.
static EVENTS: LazyLock<Mutex<Vec<String>>> = LazyLock::new(Default::default);

/// Runs one verification at a time: they share [`EVENTS`].
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn record(event: impl Into<String>) {
    EVENTS.lock().unwrap_or_else(PoisonError::into_inner).push(event.into());
}

fn take_events() -> Vec<String> {
    std::mem::take(&mut *EVENTS.lock().unwrap_or_else(PoisonError::into_inner))
}

#[before_each(provider = "HookService")]
async fn before(interaction: HookContext) -> Result<(), String> {
    record("before_each");
    if interaction.description.contains("before_each fails") {
        return Err("the database is not reachable".to_string());
    }
    Ok(())
}

#[after_each(provider = "HookService")]
fn after(interaction: HookContext) -> Result<(), std::io::Error> {
    record("after_each");
    if interaction.description.contains("after_each fails") {
        return Err(std::io::Error::other("rows were left behind"));
    }
    Ok(())
}

/// Never runs: it is scoped to another provider.
#[before_each(provider = "SomeOtherService")]
fn other_provider() {
    record("a hook of another provider");
}

#[request_filter(provider = "HookService")]
fn add_auth(request: &mut ProviderRequest) {
    record("request_filter");
    request.set_header("Authorization", "Bearer hook-token");
}

#[request_filter(provider = "HookService")]
async fn refuse_some(request: &mut ProviderRequest) -> Result<(), String> {
    if request.path().contains("refused") {
        return Err(format!("{} is not allowed", request.path()));
    }
    Ok(())
}

#[provider_state("state A", provider = "HookService")]
fn set_up_a() {
    record("setup A");
}

#[provider_state("state A", provider = "HookService", teardown)]
fn tear_down_a() {
    record("teardown A");
}

#[provider_state("state B", provider = "HookService")]
async fn set_up_b() {
    record("setup B");
}

#[provider_state("state B", provider = "HookService", teardown)]
fn tear_down_b() {
    record("teardown B");
}

#[provider_state("a state that fails", provider = "HookService")]
fn set_up_failing() -> Result<(), String> {
    record("setup fails");
    Err("no such table".to_string())
}

/// `/ok` answers 200 only with the filter's auth header; `/broken` answers 500. Each records
/// the request.
fn app() -> Router {
    Router::new()
        .route(
            "/{path}",
            get(|Path(path): Path<String>, headers: HeaderMap| async move {
                record(format!("request /{path}"));
                let authorised = headers.get("authorization").is_some_and(|value| value == "Bearer hook-token");
                match (path.as_str(), authorised) {
                    (_, false) => StatusCode::UNAUTHORIZED,
                    ("broken", _) => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::OK,
                }
            }),
        )
        .route(
            "/headers/echo",
            get(|headers: HeaderMap| async move {
                let custom: HashMap<String, String> = headers
                    .iter()
                    .filter(|(name, _)| name.as_str().starts_with("x-"))
                    .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_string()))
                    .collect();
                axum::Json(json!(custom))
            }),
        )
}

fn interaction(description: &str, states: &[&str], path: &str) -> Value {
    json!({
        "description": description,
        "providerStates": states.iter().map(|state| json!({ "name": state })).collect::<Vec<_>>(),
        "request": { "method": "GET", "path": path },
        "response": { "status": 200 }
    })
}

/// Writes a pact of `HookConsumer` with `interactions` and verifies the app against it.
async fn verify(
    provider: &str,
    interactions: Vec<Value>,
    settings: impl FnOnce(SettingsBuilder) -> SettingsBuilder,
) -> VerificationReport {
    let pact = json!({
        "consumer": { "name": "HookConsumer" },
        "provider": { "name": provider },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    });
    let dir = std::env::temp_dir().join(format!("pact-hooks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pact.json");
    std::fs::write(&file, pact.to_string()).unwrap();
    let settings = settings(Settings::builder().pacts(file).provider(provider)).build().expect("valid settings");
    let report = verify_provider(&settings, || async { app() }).await.expect("the run completes");
    println!("{report}");
    report
}

/// The events of each interaction, split where each `before_each` starts one.
fn per_interaction(events: Vec<String>) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for event in events {
        if event == "before_each" || groups.is_empty() {
            groups.push(Vec::new());
        }
        groups.last_mut().unwrap().push(event);
    }
    groups
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_run_once_per_interaction_around_setups_request_and_teardowns() {
    let _serial = SERIAL.lock().await;
    take_events();
    let report = verify(
        "HookService",
        vec![
            interaction("a passing request", &["state A", "state B"], "/ok"),
            interaction("a request the provider fails", &["state A"], "/broken"),
            interaction("a request whose setup fails", &["state A", "a state that fails"], "/ok"),
            interaction("a request whose before_each fails", &["state A"], "/ok"),
            interaction("a request whose after_each fails", &[], "/ok"),
            interaction("a request the filter refuses", &["state B"], "/refused"),
        ],
        |settings| settings,
    )
    .await;
    let groups = per_interaction(take_events());
    let expected: Vec<Vec<&str>> = vec![
        vec![
            "before_each",
            "setup A",
            "setup B",
            "request_filter",
            "request /ok",
            "teardown B",
            "teardown A",
            "after_each",
        ],
        vec!["before_each", "setup A", "request_filter", "request /broken", "teardown A", "after_each"],
        vec!["before_each", "setup A", "setup fails", "teardown A", "after_each"],
        vec!["before_each", "after_each"],
        vec!["before_each", "request_filter", "request /ok", "after_each"],
        vec!["before_each", "setup B", "request_filter", "teardown B", "after_each"],
    ];
    assert_eq!(groups, expected, "{report}");

    let failures: Vec<(String, Vec<String>)> = report
        .results
        .iter()
        .map(|result| (result.description.clone(), result.failures.iter().map(ToString::to_string).collect()))
        .collect();
    assert!(failures[0].1.is_empty(), "{report}");
    assert!(failures[1].1[0].starts_with("StatusMismatch"), "{report}");
    assert!(failures[2].1[0].contains("no such table"), "{report}");
    assert_eq!(failures[3].1, ["before_each `before` failed: the database is not reachable"], "{report}");
    assert_eq!(failures[4].1, ["after_each `after` failed: rows were left behind"], "{report}");
    assert_eq!(failures[5].1, ["request_filter `refuse_some` failed: /refused is not allowed"], "{report}");
    assert!(
        matches!(&report.results[3].failures[0], Failure::Hook { kind, function, .. } if kind == "before_each" && function == "before")
    );
    assert!(report.to_string().contains("before_each `before` failed: the database is not reachable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_of_other_providers_do_not_run() {
    let _serial = SERIAL.lock().await;
    take_events();
    let report =
        verify("UnhookedService", vec![interaction("a health check", &[], "/health")], |settings| settings).await;
    // No filter adds the auth header for this provider, so the app refuses the request.
    assert!(!report.is_success(), "{report}");
    assert_eq!(take_events(), ["request /health"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_headers_from_the_attribute_or_the_environment_reach_the_provider() {
    let _serial = SERIAL.lock().await;
    let spec = ProviderTestSpec {
        test_name: "custom_headers",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("custom_headers", "X-Api-Key: from-attribute"), ("custom_headers", "X-Tenant: acme, X-List: a, b")],
    };
    let from_attribute = Settings::resolve_with(&spec, |_| None).unwrap();
    assert_eq!(
        from_attribute.custom_headers(),
        [
            ("X-Api-Key".to_string(), "from-attribute".to_string()),
            ("X-Tenant".to_string(), "acme".to_string()),
            ("X-List".to_string(), "a, b".to_string()),
        ]
    );
    let from_env = Settings::resolve_with(&spec, |name| {
        (name == "PACT_CUSTOM_HEADERS").then(|| "X-Api-Key: from-env".to_string())
    })
    .unwrap();
    assert_eq!(from_env.custom_headers(), [("X-Api-Key".to_string(), "from-env".to_string())]);
    let error = Settings::resolve_with(&spec, |name| (name == "PACT_CUSTOM_HEADERS").then(|| "no colon".to_string()))
        .unwrap_err();
    assert!(error.0.contains("PACT_CUSTOM_HEADERS") && error.0.contains("`no colon` is not a header"), "{error}");

    let echo = json!({
        "description": "the custom headers",
        "request": { "method": "GET", "path": "/headers/echo" },
        "response": { "status": 200, "body": { "x-api-key": "from-attribute", "x-tenant": "acme", "x-list": "a, b" } }
    });
    let report = verify("HeaderService", vec![echo], |settings| {
        from_attribute
            .custom_headers()
            .iter()
            .fold(settings, |settings, (name, value)| settings.custom_header(name, value))
    })
    .await;
    assert!(report.is_success(), "{report}");
}
