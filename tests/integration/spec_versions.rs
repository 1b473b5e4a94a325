//! HTTP pacts of every specification version (V1, V1.1, V2, V3, V4) verify against one app,
//! and pact sources fail with messages that name the file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::__private::{http_client, load_pacts};
use pact_runtime::config::PactSource;
use pact_runtime::{provider_state, verify_provider, RunError, Settings, VerificationReport};
use serde_json::{json, Value};

const PROVIDER: &str = "SpecService";
const SPEC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pacts/spec");
const MALFORMED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pacts/invalid/malformed.json");

/// Products by id: the store the app reads and the states fill.
static PRODUCTS: LazyLock<Mutex<BTreeMap<u64, Value>>> = LazyLock::new(Mutex::default);

// Runs that set states up share PRODUCTS, so they take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Serves `product 10 exists` (V1/V2 text) and `product exists` with `{"id": 30}` (V3/V4 params).
#[provider_state("product {id} exists", provider = "SpecService")]
fn product_exists(id: u64) {
    let product = json!({ "id": id, "name": format!("Product {id}"), "price": 9.99, "tags": ["tools"] });
    PRODUCTS.lock().unwrap().insert(id, product);
}

#[provider_state("product {id} exists", provider = "SpecService", teardown)]
fn remove_product(id: u64) {
    PRODUCTS.lock().unwrap().remove(&id);
}

#[provider_state("product {id} does not exist", provider = "SpecService")]
fn product_missing(id: u64) {
    PRODUCTS.lock().unwrap().remove(&id);
}

/// The catalog every spec version's pact describes. It has no reviews yet: the pending V4
/// interaction asks for them.
fn spec_app() -> Router {
    Router::new()
        .route(
            "/products",
            get(|Query(query): Query<HashMap<String, String>>| async move {
                let count = PRODUCTS.lock().unwrap().len();
                Json(json!({ "category": query.get("category"), "count": count }))
            })
            .post(|Json(body): Json<Value>| async move {
                (StatusCode::CREATED, Json(json!({ "id": 1001, "name": body["name"] })))
            }),
        )
        .route(
            "/products/{id}",
            get(|Path(id): Path<u64>| async move {
                match PRODUCTS.lock().unwrap().get(&id) {
                    Some(product) => Json(product.clone()).into_response(),
                    None => not_found(),
                }
            }),
        )
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": "product not found" }))).into_response()
}

async fn verify(pacts: impl AsRef<std::path::Path>) -> Result<VerificationReport, RunError> {
    let settings = Settings::builder().pacts(pacts).provider(PROVIDER).build()?;
    let run = verify_provider(&settings, || async { spec_app() });
    tokio::time::timeout(Duration::from_secs(10), run).await.expect("verification did not finish within 10 s")
}

fn spec_file(name: &str) -> PathBuf {
    PathBuf::from(SPEC_DIR).join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_version_verifies_against_one_app() {
    let _serial = SERIAL.lock().await;
    let report = verify(SPEC_DIR).await.unwrap();
    println!("{report}");

    // The directory holds OtherService's pact too; only SpecService's are verified.
    let consumers: BTreeSet<&str> = report.results.iter().map(|result| result.consumer.as_str()).collect();
    assert_eq!(
        consumers,
        BTreeSet::from(["SpecConsumerV1", "SpecConsumerV1_1", "SpecConsumerV2", "SpecConsumerV3", "SpecConsumerV4"])
    );
    assert_eq!(report.results.len(), 11);
    for result in &report.results {
        let pending_reviews = result.description == "a V4 request for the reviews of product 41";
        assert_eq!(result.passed(), !pending_reviews, "{}: {:?}", result.description, result.failures);
    }
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(report.counts(), "10 passed, 0 failed, 1 pending failed");
    assert!(PRODUCTS.lock().unwrap().is_empty(), "teardowns left products behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_pending_v4_interaction_does_not_fail_the_run() {
    let _serial = SERIAL.lock().await;
    let report = verify(spec_file("SpecConsumerV4-SpecService.json")).await.unwrap();

    let pending: Vec<_> = report.results.iter().filter(|result| result.pending).collect();
    assert_eq!(pending.len(), 1, "{report}");
    let reviews = pending[0];
    assert_eq!(reviews.description, "a V4 request for the reviews of product 41");
    assert_eq!(reviews.states, ["product 41 exists"]);
    assert!(!reviews.passed());
    assert!(!reviews.fails_run());
    assert!(reviews.failures.iter().any(|failure| failure.to_string().contains("expected 200 but was 404")));
    assert!(report.results.iter().filter(|result| !result.pending).all(|result| result.passed()), "{report}");

    assert!(report.is_success(), "a pending failure must not fail the run:\n{report}");
    assert_eq!(report.failures().count(), 0);
    let text = report.to_string();
    assert!(text.contains("~ pending-failed  a V4 request for the reviews of product 41"), "{text}");
    assert!(text.contains("2 passed, 0 failed, 1 pending failed in "), "{text}");
}

#[tokio::test]
async fn a_directory_source_picks_only_the_named_providers_pacts() {
    let client = http_client(Duration::from_secs(5)).unwrap();
    let source = [PactSource::Dir(SPEC_DIR.into())];

    let other = load_pacts(&source, Some("OtherService"), &client).await.unwrap();
    let files: Vec<&str> = other.iter().map(|loaded| loaded.source.rsplit('/').next().unwrap()).collect();
    assert_eq!(files, ["OtherConsumer-OtherService.json"]);

    let spec = load_pacts(&source, Some(PROVIDER), &client).await.unwrap();
    assert_eq!(spec.len(), 5);
    assert!(spec.iter().all(|loaded| loaded.pact.provider().name == PROVIDER));

    let none = load_pacts(&source, Some("NobodyService"), &client).await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_file_for_another_provider_is_an_error_naming_the_file() {
    let file = spec_file("OtherConsumer-OtherService.json");
    let error = verify(file).await.unwrap_err();
    let RunError::Source(_) = &error else { panic!("expected a source error, got {error:?}") };
    let message = error.to_string();
    assert!(message.contains("fixtures/pacts/spec/OtherConsumer-OtherService.json"), "{message}");
    assert!(message.contains("OtherService"), "{message}");
    assert!(message.contains(PROVIDER), "{message}");
}

#[tokio::test]
async fn a_missing_file_is_an_error_naming_the_path() {
    let file = spec_file("NoSuchConsumer-SpecService.json");
    let error = verify(file).await.unwrap_err();
    let RunError::Source(_) = &error else { panic!("expected a source error, got {error:?}") };
    let message = error.to_string();
    assert!(message.contains("fixtures/pacts/spec/NoSuchConsumer-SpecService.json"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

#[tokio::test]
async fn a_malformed_file_is_an_error_naming_the_file() {
    let error = verify(MALFORMED).await.unwrap_err();
    let RunError::Source(_) = &error else { panic!("expected a source error, got {error:?}") };
    let message = error.to_string();
    assert!(message.contains("fixtures/pacts/invalid/malformed.json"), "{message}");
}
