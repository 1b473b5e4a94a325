//! Unused states: after a complete, unfiltered run, the `#[provider_state]` and `#[message]`
//! functions of the provider that no interaction used are listed with their locations, as a
//! warning or, with `unused_states = "fail"`, as a failure. Every run is bounded (10 s).

use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::config::UnusedStates;
use pact_runtime::{message, provider_state, verify_provider, Message, Settings, VerificationReport};
use serde_json::json;

const PROVIDER: &str = "UnusedStatesProvider";

#[provider_state("user {id} exists", provider = "UnusedStatesProvider")]
fn user_exists(id: u64) {
    let _ = id;
}

#[provider_state("a retired state", provider = "UnusedStatesProvider")]
fn a_retired_state() {}

#[provider_state("user {id} exists", provider = "UnusedStatesProvider", teardown)]
fn user_removed(id: u64) {
    let _ = id;
}

#[message("a retired event", provider = "UnusedStatesProvider")]
fn a_retired_event() -> Message {
    Message::json(json!({}))
}

fn pact_file() -> std::path::PathBuf {
    let pact = json!({
        "consumer": { "name": "UnusedStatesConsumer" },
        "provider": { "name": PROVIDER },
        "interactions": [
            { "description": "a request for user 1", "providerState": "user 1 exists",
              "request": { "method": "GET", "path": "/users/1" }, "response": { "status": 200 } },
            { "description": "a health check",
              "request": { "method": "GET", "path": "/health" }, "response": { "status": 200 } }
        ],
        "metadata": { "pactSpecification": { "version": "2.0.0" } }
    });
    let dir = std::env::temp_dir().join(format!("pact-unused-states-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("UnusedStatesConsumer-UnusedStatesProvider.json");
    std::fs::write(&path, pact.to_string()).unwrap();
    path
}

async fn run(settings: pact_runtime::config::SettingsBuilder) -> VerificationReport {
    let settings: Settings = settings.provider(PROVIDER).pacts(pact_file()).build().unwrap();
    let app = || async {
        Router::new()
            .route("/users/1", get(|| async { Json(json!({ "id": 1 })) }))
            .route("/health", get(|| async { "ok" }))
    };
    tokio::time::timeout(Duration::from_secs(10), verify_provider(&settings, app))
        .await
        .expect("the run did not finish within 10 s")
        .expect("the run completes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_run_warns_about_the_functions_no_interaction_used() {
    let report = run(Settings::builder()).await;
    assert!(report.is_success(), "{report}");
    let warnings = report.warnings.join("\n");
    println!("{report}");
    assert!(
        warnings.contains("2 #[provider_state]/#[message] function(s) of provider `UnusedStatesProvider`"),
        "{warnings}"
    );
    let here = file!();
    assert!(
        warnings.contains(&format!("`a_retired_state`: #[provider_state(\"a retired state\")] at {here}:")),
        "{warnings}"
    );
    assert!(warnings.contains(&format!("`a_retired_event`: #[message(\"a retired event\")] at {here}:")), "{warnings}");
    assert!(!warnings.contains("`user_exists`") && !warnings.contains("`user_removed`"), "{warnings}");
    assert!(report.to_string().contains("warning: 2 #[provider_state]"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unused_states_fail_turns_the_list_into_a_failure() {
    let report = run(Settings::builder().unused_states(UnusedStates::Fail)).await;
    assert!(!report.is_success(), "{report}");
    assert!(report.results.iter().all(|result| result.passed()), "{report}");
    assert!(report.errors.join("\n").contains("`a_retired_state`"), "{:?}", report.errors);
    assert!(report.failure_summary().contains("`a_retired_event`"), "{}", report.failure_summary());
    assert!(!report.to_json("t").success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_run_cannot_tell_and_says_nothing() {
    let report = run(Settings::builder().unused_states(UnusedStates::Fail).filter_description("user 1")).await;
    assert!(report.is_success() && report.errors.is_empty() && report.warnings.is_empty(), "{report}");
}
