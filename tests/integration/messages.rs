//! `#[message]` producers through real runs: V3 message pacts, V4 asynchronous and synchronous
//! messages, a pact mixing HTTP and messages under one `#[pact_provider_test]`, mismatches in
//! body and metadata, a missing producer, and `pact_verifier` driving the generated endpoint
//! as an external verifier would.
//!
//! Every producer and state here is scoped to its test's provider.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json as AxumJson, Router};
use pact_runtime::message::{IntoMessage, Json};
use pact_runtime::StateServer;
use pact_runtime::{
    message, pact_provider_test, provider_state, verify_provider, Failure, Message, MessageRequest, Settings,
    VerificationReport,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const FIXTURES: &str = "fixtures/messages";

async fn verify(provider: &str, file: &str) -> VerificationReport {
    let settings =
        Settings::builder().pacts(format!("{FIXTURES}/{file}")).provider(provider).build().expect("valid settings");
    verify_provider(&settings, || async { Router::new() }).await.expect("the run starts")
}

// --- V3 message pact --------------------------------------------------------------------------

static V3_ORDER_SETUPS: AtomicUsize = AtomicUsize::new(0);

#[provider_state("an order exists", provider = "MessageV3Service")]
fn v3_order_exists(params: serde_json::Map<String, Value>) {
    assert_eq!(params.get("id"), Some(&json!(7)));
    V3_ORDER_SETUPS.fetch_add(1, Ordering::SeqCst);
}

#[derive(Deserialize)]
struct OrderParams {
    id: u64,
}

#[message("an order created event", provider = "MessageV3Service")]
async fn v3_order_created(params: OrderParams) -> Message {
    assert_eq!(V3_ORDER_SETUPS.load(Ordering::SeqCst), 1, "the state is set up before the message is produced");
    Message::json(json!({ "id": params.id, "total": 120.25, "lines": [{ "sku": "B-2", "quantity": 1 }] }))
        .with_metadata("topic", "orders")
}

#[message("an order cancelled notice", provider = "MessageV3Service")]
fn v3_order_cancelled() -> String {
    "order 7 was cancelled".to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v3_message_pact_verifies() {
    let report = verify("MessageV3Service", "MessageConsumer-MessageV3Service.json").await;
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(report.results.len(), 2);
    assert_eq!(V3_ORDER_SETUPS.load(Ordering::SeqCst), 1);
}

// --- V4 asynchronous and synchronous messages --------------------------------------------------

#[provider_state("a product exists", provider = "MessageV4Service")]
fn v4_product_exists() {}

#[derive(Serialize)]
struct ProductCreated {
    id: u64,
    name: String,
}

#[message("a product created event", provider = "MessageV4Service")]
fn v4_product_created(request: MessageRequest) -> Result<Message, String> {
    assert_eq!(request.provider_states.len(), 1);
    assert_eq!(request.provider_states[0].name, "a product exists");
    let id = request.params.get("id").and_then(Value::as_u64).ok_or("no id param")?;
    let json = Json(ProductCreated { id, name: "margherita".to_string() });
    let message = IntoMessage::into_message(json).map_err(|err| err.to_string())?;
    Ok(message.with_metadata("topic", "products").with_metadata("version", 7))
}

#[message("a price query", provider = "MessageV4Service")]
fn v4_price_query(request: MessageRequest) -> Message {
    let request = request.request.expect("a synchronous message carries its request");
    assert_eq!(request["contents"]["content"], json!({ "id": 3 }), "{request}");
    Message::json(json!({ "id": 3, "price": 4.5 })).with_metadata("currency", "EUR")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v4_asynchronous_and_synchronous_messages_verify() {
    let report = verify("MessageV4Service", "MessageConsumer-MessageV4Service.json").await;
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(report.results.len(), 2);
}

// --- HTTP and messages in one pact, one #[pact_provider_test] --------------------------------

static MIXED_SETUPS: AtomicUsize = AtomicUsize::new(0);

#[provider_state("product 5 exists", provider = "MixedService")]
fn mixed_product_exists() {
    MIXED_SETUPS.fetch_add(1, Ordering::SeqCst);
}

#[message("a product updated event", provider = "MixedService")]
fn mixed_product_updated() -> Message {
    Message::json(json!({ "id": 5, "name": "soup" })).with_metadata("topic", "products")
}

#[pact_provider_test(provider = "MixedService", pacts = "fixtures/messages/MixedConsumer-MixedService.json")]
async fn http_and_message_interactions_verify_in_one_test() -> Router {
    Router::new().route(
        "/products/{id}",
        get(|Path(id): Path<u64>| async move { AxumJson(json!({ "id": id, "name": "soup" })) }),
    )
}

// --- mismatches -------------------------------------------------------------------------------

#[message("an invoice issued event", provider = "MismatchService")]
fn invoice_issued() -> Message {
    Message::json(json!({ "invoice": { "id": 11, "amount": "twenty" } })).with_metadata("topic", "payments")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mismatch_in_body_and_metadata_is_reported_clearly() {
    let report = verify("MismatchService", "MismatchConsumer-MismatchService.json").await;
    assert!(!report.is_success());
    let failures = &report.results[0].failures;
    assert!(
        failures.iter().any(|f| matches!(f, Failure::Mismatch { kind, path: Some(path), .. } if kind == "BodyMismatch" && path == "$.invoice.amount")),
        "{failures:#?}"
    );
    assert!(
        failures.iter().any(|f| matches!(f, Failure::Mismatch { kind, path: Some(path), expected: Some(expected), actual: Some(actual), .. }
            if kind == "MetadataMismatch" && path == "topic" && expected.contains("invoices") && actual.contains("payments"))),
        "{failures:#?}"
    );
    let summary = report.failure_summary();
    println!("{}\n{summary}", report.console());
    for needle in ["an invoice issued event", "$.invoice.amount", "topic", "invoices", "payments"] {
        assert!(summary.contains(needle), "the summary does not name {needle:?}:\n{summary}");
    }
}

// --- a missing producer -----------------------------------------------------------------------

#[message("a shipment dispatched event", provider = "MissingService")]
fn shipment_dispatched() -> Value {
    json!({ "id": 1 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_producer_suggests_the_closest_and_a_stub() {
    let report = verify("MissingService", "MissingConsumer-MissingService.json").await;
    assert!(!report.is_success());
    let failures = &report.results[0].failures;
    let [Failure::MissingMessage { description, message }] = failures.as_slice() else {
        panic!("expected one missing message: {failures:#?}");
    };
    assert_eq!(description, "a shipment dispatched evnt");
    assert!(message.contains("no #[message] function produces `a shipment dispatched evnt`"), "{message}");
    assert!(message.contains("consumer `MissingConsumer`"), "{message}");
    assert!(message.contains("did you mean `a shipment dispatched event` (shipment_dispatched at "), "{message}");
    assert!(message.contains("#[message(\"a shipment dispatched evnt\")]"), "{message}");
    assert!(message.contains("async fn a_shipment_dispatched_evnt() -> pact_runtime::Message {"), "{message}");
    assert!(report.failure_summary().contains("did you mean"), "{}", report.failure_summary());
}

// --- pact_verifier drives the generated endpoint ----------------------------------------------

static PAYMENT_SETUPS: AtomicUsize = AtomicUsize::new(0);

#[provider_state("a payment exists", provider = "ExternalMessageService")]
fn payment_exists(params: serde_json::Map<String, Value>) {
    assert_eq!(params.get("id"), Some(&json!(42)));
    PAYMENT_SETUPS.fetch_add(1, Ordering::SeqCst);
}

#[derive(Deserialize)]
struct PaymentParams {
    id: u64,
}

#[message("a payment received event", provider = "ExternalMessageService")]
async fn payment_received(params: PaymentParams) -> Message {
    Message::json(json!({ "id": params.id, "amount": 99.99 })).with_metadata("topic", "payments")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pact_verifier_verifies_messages_through_the_generated_endpoint() {
    use pact_verifier::callback_executors::{HttpRequestProviderStateExecutor, NullRequestFilterExecutor};
    use pact_verifier::{FilterInfo, ProviderInfo, ProviderTransport, VerificationOptions};
    use std::sync::Arc;

    pact_runtime::install_crypto_provider();
    const PROVIDER: &str = "ExternalMessageService";
    let endpoint = StateServer::start(PROVIDER).await.unwrap();
    let provider_info = ProviderInfo {
        name: PROVIDER.to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![ProviderTransport {
            transport: "message".to_string(),
            port: Some(endpoint.port()),
            // The path of the URL the endpoint gives out: it starts with the endpoint's secret.
            path: Some(reqwest::Url::parse(&endpoint.message_url()).unwrap().path().to_string()),
            scheme: Some("http".to_string()),
        }],
        ..ProviderInfo::default()
    };
    let executor = Arc::new(HttpRequestProviderStateExecutor {
        state_change_url: Some(endpoint.state_change_url().to_string()),
        state_change_teardown: true,
        state_change_body: true,
        retries: 0,
    });
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        request_timeout: 2_000,
        coloured_output: false,
        ..VerificationOptions::default()
    };
    let verification = pact_verifier::verify_provider_async(
        provider_info,
        vec![pact_verifier::PactSource::File(format!("{FIXTURES}/ExternalConsumer-ExternalMessageService.json"))],
        FilterInfo::None,
        vec![],
        &options,
        None,
        &executor,
        None,
    );
    let result = tokio::time::timeout(Duration::from_secs(10), verification)
        .await
        .expect("pact_verifier did not finish within 10 s")
        .expect("pact_verifier could not run");
    assert!(result.result, "pact_verifier failed:\n{}\nerrors: {:#?}", result.output.join("\n"), result.errors);
    assert_eq!(result.interaction_results.len(), 1);
    assert_eq!(PAYMENT_SETUPS.load(Ordering::SeqCst), 1);
    let output = result.output.join("\n");
    assert!(output.contains("\"topic\" with value \"payments\" (OK)"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_answers_the_message_with_its_content_type_and_metadata_header() {
    use base64::Engine as _;
    pact_runtime::install_crypto_provider();
    const PROVIDER: &str = "ExternalMessageService";
    let endpoint = StateServer::start(PROVIDER).await.unwrap();
    let client = reqwest::Client::new();
    let body = json!({ "description": "a payment received event", "providerStates": [{ "name": "a payment exists", "params": { "id": 5 } }] });
    let response = client.post(endpoint.message_url()).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let metadata = response.headers()["pact-message-metadata"].to_str().unwrap().to_string();
    let metadata: Value =
        serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(metadata).unwrap()).unwrap();
    assert_eq!(metadata, json!({ "topic": "payments" }));
    assert_eq!(response.json::<Value>().await.unwrap(), json!({ "id": 5, "amount": 99.99 }));

    let response = client
        .post(endpoint.message_url())
        .json(&json!({ "description": "a payment refunded event" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let error = response.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
    assert!(error.contains("did you mean `a payment received event`"), "{error}");
    let response = client.post(endpoint.message_url()).json(&json!({ "states": [] })).send().await.unwrap();
    assert_eq!(response.status(), 400);
}

// --- what fails as unsupported, and a failing producer ------------------------------------------

#[message("a query with two answers", provider = "EdgeMessageService")]
fn two_answers() -> Message {
    Message::json(json!({ "a": 1 }))
}

#[message("a stock level event", provider = "EdgeMessageService")]
async fn stock_level() -> Result<Message, std::io::Error> {
    Err(std::io::Error::other("the stock service is down"))
}

#[message("a price change event", provider = "EdgeMessageService")]
fn price_change() -> Message {
    panic!("the price table is empty")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_sync_responses_are_unsupported_and_producer_errors_are_the_producers_failure() {
    let report = verify("EdgeMessageService", "EdgeConsumer-EdgeMessageService.json").await;
    assert!(!report.is_success());
    let [Failure::Unsupported { message }] = report.results[0].failures.as_slice() else {
        panic!("{:#?}", report.results[0].failures);
    };
    assert!(
        message.contains("`a query with two answers` is a synchronous message with several responses"),
        "{message}"
    );
    // The function ran and failed: the producer's failure, not a request's.
    let failure = &report.results[1].failures[..];
    let [Failure::Producer { description, function, message, .. }] = failure else {
        panic!("{failure:#?}");
    };
    assert_eq!((description.as_str(), function.as_str()), ("a stock level event", "stock_level"));
    assert_eq!(message, "the stock service is down");
    assert_eq!(
        failure[0].to_string(),
        "the #[message] function `stock_level` failed to produce `a stock level event`: the stock service is down"
    );
    let failure = &report.results[2].failures[..];
    assert!(matches!(failure, [Failure::Producer { function, .. }] if function == "price_change"), "{failure:#?}");
    assert_eq!(
        failure[0].to_string(),
        "the #[message] function `price_change` failed to produce `a price change event`: it panicked: the price table is empty"
    );
}

// --- Producers with placeholders: one function for a table of messages ------------------------

/// The messages a provider builds from a table instead of one function each.
fn catalogue_event(entity: &str, change: &str) -> Option<Value> {
    match (entity, change) {
        ("product", "created") => Some(json!({ "type": "ProductCreated", "id": "10" })),
        ("price", "changed") => Some(json!({ "type": "PriceChanged", "id": "10", "price": 9.5 })),
        _ => None,
    }
}

#[message("a {entity} {change} event", provider = "CatalogueEventService")]
fn catalogue_events(entity: String, change: String) -> Result<Message, String> {
    catalogue_event(&entity, &change)
        .map(|body| Message::json(body).with_metadata("topic", entity.clone()))
        .ok_or_else(|| format!("no `{entity} {change}` event in the catalogue"))
}

/// An exact producer wins over the pattern for its own description.
#[message("a stock counted event", provider = "CatalogueEventService")]
fn stock_counted() -> Message {
    Message::json(json!({ "type": "StockCounted", "count": 3 }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_producer_with_placeholders_serves_every_description_it_matches() {
    let event = |description: &str, contents: Value, topic: Option<&str>| {
        let mut message = json!({ "description": description, "contents": contents });
        if let Some(topic) = topic {
            message["metaData"] = json!({ "topic": topic });
        }
        message
    };
    let pact = json!({
        "consumer": { "name": "CatalogueConsumer" },
        "provider": { "name": "CatalogueEventService" },
        "messages": [
            event("a product created event", json!({ "type": "ProductCreated", "id": "10" }), Some("product")),
            event("a price changed event", json!({ "type": "PriceChanged", "id": "10", "price": 9.5 }), Some("price")),
            event("a stock counted event", json!({ "type": "StockCounted", "count": 3 }), None),
            event("a basket emptied event", json!({}), None)
        ],
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    });
    let dir = std::env::temp_dir().join(format!("pact-catalogue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("CatalogueConsumer-CatalogueEventService.json");
    std::fs::write(&file, pact.to_string()).unwrap();
    let settings = Settings::builder().provider("CatalogueEventService").pacts(&file).build().unwrap();
    let run = verify_provider(&settings, || async { Router::new() });
    let report =
        tokio::time::timeout(Duration::from_secs(10), run).await.expect("bounded: 10 s").expect("the run starts");
    println!("{report}");
    let outcomes: Vec<(&str, bool)> =
        report.results.iter().map(|result| (result.description.as_str(), result.passed())).collect();
    assert_eq!(
        outcomes,
        [
            ("a product created event", true),
            ("a price changed event", true),
            ("a stock counted event", true),
            ("a basket emptied event", false)
        ],
        "{report}"
    );
    let basket = report.results[3].failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(basket.contains("no `basket emptied` event in the catalogue"), "{basket}");
}
