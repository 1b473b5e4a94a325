//! A provider that breaks its pact in several ways: the report must name every failing
//! interaction with what went wrong, and leave the passing ones out of the failures.

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::{pact_provider_test, provider_state, verify_provider, Settings, VerificationReport};
use serde_json::{json, Map, Value};

const PROVIDER: &str = "BrokenService";
const PACT_FILE: &str = "fixtures/pacts/broken/BrokenConsumer-BrokenService.json";
const PACT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pacts/broken/BrokenConsumer-BrokenService.json");

#[provider_state("the service is up", provider = "BrokenService")]
fn service_is_up() {}

#[provider_state("widget {id} exists", provider = "BrokenService")]
fn widget_exists(id: u32) {
    let _ = id;
}

#[provider_state("the warehouse is open", provider = "BrokenService")]
fn warehouse_is_open(params: Map<String, Value>) -> Result<(), String> {
    Err(format!("warehouse {} is closed for stocktaking", params["warehouse"]))
}

/// Wrong status for `/status`, a string `id` where the pact has a type matcher on a number,
/// and no `X-Report-Version` header on the report.
fn broken_app() -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/status", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
        .route(
            "/widgets/{id}",
            get(|axum::extract::Path(id): axum::extract::Path<u32>| async move {
                let name = if id == 1 { "sprocket" } else { "cog" };
                Json(json!({ "id": id.to_string(), "name": name }))
            }),
        )
        .route("/reports/monthly", get(|| async { ([(header::CONTENT_TYPE, "text/csv")], "month,total\n") }))
        .route("/inventory", get(|| async { StatusCode::OK.into_response() }))
}

async fn verify_broken_app() -> VerificationReport {
    let settings = Settings::builder().pacts(PACT).provider(PROVIDER).build().unwrap();
    let run = verify_provider(&settings, || async { broken_app() });
    tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("verification did not finish within 10 s")
        .expect("verification could not run")
}

/// The block of the summary that starts with `header` and ends before the next numbered one.
fn section<'a>(summary: &'a str, header: &str) -> &'a str {
    let start = summary.find(header).unwrap_or_else(|| panic!("`{header}` is not in the summary:\n{summary}"));
    let rest = &summary[start..];
    let end = rest[1..].find("\n\n").map_or(rest.len(), |end| end + 1);
    &rest[..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_summary_names_every_failure_and_its_mismatches() {
    let report = verify_broken_app().await;
    assert!(!report.is_success());
    let summary = report.failure_summary();
    println!("{summary}");

    assert!(
        summary.starts_with(
            "Pact verification of `BrokenService` failed: 4 interaction(s) did not verify (2 passed, 4 failed)."
        ),
        "{summary}"
    );

    let status = section(&summary, "BrokenConsumer › a request for the service status");
    assert!(status.contains("states: `the service is up`"), "{status}");
    // Reports may shorten the path relative to the current directory.
    assert!(status.contains(PACT_FILE), "{status}");
    assert!(status.contains("expected 200 but was 503"), "{status}");

    let widget = section(&summary, "BrokenConsumer › a request for widget 1");
    assert!(widget.contains("states: `widget 1 exists`"), "{widget}");
    assert!(widget.contains("BodyMismatch"), "{widget}");
    assert!(widget.contains("$.id"), "{widget}");

    let report_section = section(&summary, "BrokenConsumer › a request for the monthly report");
    assert!(report_section.contains("states: no provider state"), "{report_section}");
    assert!(report_section.contains("HeaderMismatch"), "{report_section}");
    assert!(report_section.contains("X-Report-Version"), "{report_section}");

    let inventory = section(&summary, "BrokenConsumer › a request for the inventory");
    assert!(inventory.contains("states: `the warehouse is open`"), "{inventory}");
    assert!(inventory.contains("setup of state `the warehouse is open` failed"), "{inventory}");
    assert!(inventory.contains("warehouse \"north\" is closed for stocktaking"), "{inventory}");

    // Passing interactions are not failures.
    assert!(!summary.contains("a health check"), "{summary}");
    assert!(!summary.contains("widget 2"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_report_marks_each_interaction_and_counts_them() {
    let report = verify_broken_app().await;
    let text = report.to_string();
    println!("{text}");

    assert!(text.starts_with("Verifying provider `BrokenService`"), "{text}");
    let pact_line = text.lines().find(|line| line.contains("BrokenConsumer → BrokenService (")).unwrap_or_default();
    assert!(pact_line.ends_with(&format!("{PACT_FILE})")), "{text}");
    for passed in ["a health check [no provider state]", "a request for widget 2 [`widget 2 exists`]"] {
        assert!(text.contains(&format!("✓ passed  {passed}")), "`{passed}` should pass:\n{text}");
    }
    for failed in [
        "a request for the service status [`the service is up`]",
        "a request for widget 1 [`widget 1 exists`]",
        "a request for the monthly report [no provider state]",
        "a request for the inventory [`the warehouse is open`]",
    ] {
        assert!(text.contains(&format!("✗ FAILED  {failed}")), "`{failed}` should fail:\n{text}");
    }
    assert!(text.contains("expected 200 but was 503"), "{text}");
    assert!(text.contains("X-Report-Version"), "{text}");
    let counts = text.lines().rev().find(|line| !line.is_empty()).unwrap_or_default();
    assert!(counts.starts_with("2 passed, 4 failed in "), "counts line: `{counts}`");
    assert_eq!(report.counts(), "2 passed, 4 failed");
    assert_eq!(report.failures().count(), 4);
}

// The macro-generated test itself must fail, naming a failing interaction.
#[pact_provider_test(provider = "BrokenService", pacts = "fixtures/pacts/broken/BrokenConsumer-BrokenService.json")]
#[should_panic(expected = "BrokenConsumer › a request for widget 1\n   states: `widget 1 exists`")]
async fn broken_app_fails_its_generated_test() -> Router {
    broken_app()
}
