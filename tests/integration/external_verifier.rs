//! Our state endpoint, started through the public `StateServer` as a user would for another
//! verifier, driven by Pact's own verifier (`pact_verifier::verify_provider_async`): proves it
//! speaks the standard state-change protocol, in both the JSON-body and the query-string form.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::{provider_state, StateServer, StateValues};
use pact_verifier::callback_executors::{HttpRequestProviderStateExecutor, NullRequestFilterExecutor};
use pact_verifier::verification_result::VerificationExecutionResult;
use pact_verifier::{FilterInfo, PactSource, ProviderInfo, ProviderTransport, VerificationOptions};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const PROVIDER: &str = "ExternalStateService";
const FAILING_PROVIDER: &str = "ExternalFailingService";
const PACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pacts/external");

// The store the app reads and the states fill.
static ITEMS: LazyLock<Mutex<BTreeSet<u64>>> = LazyLock::new(Mutex::default);
static ORDERS: LazyLock<Mutex<BTreeMap<u64, String>>> = LazyLock::new(Mutex::default);

static ITEM_SETUPS: AtomicUsize = AtomicUsize::new(0);
static ITEM_TEARDOWNS: AtomicUsize = AtomicUsize::new(0);
static ORDER_SETUPS: AtomicUsize = AtomicUsize::new(0);
static ORDER_TEARDOWNS: AtomicUsize = AtomicUsize::new(0);
static NEXT_ORDER_ID: AtomicUsize = AtomicUsize::new(4200);
static FAILING_SETUPS: AtomicUsize = AtomicUsize::new(0);
static FAILING_APP_REQUESTS: AtomicUsize = AtomicUsize::new(0);

// Both protocol forms use the same statics, so those tests take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[provider_state("item {id} exists", provider = "ExternalStateService")]
fn item_exists(id: u64) {
    ITEM_SETUPS.fetch_add(1, Ordering::SeqCst);
    ITEMS.lock().unwrap().insert(id);
}

#[provider_state("item {id} exists", provider = "ExternalStateService", teardown)]
fn remove_item(id: u64) {
    ITEM_TEARDOWNS.fetch_add(1, Ordering::SeqCst);
    ITEMS.lock().unwrap().remove(&id);
}

#[derive(Deserialize)]
struct OrderParams {
    customer: String,
}

#[derive(Serialize)]
struct CreatedOrder {
    #[serde(rename = "orderId")]
    order_id: u64,
}

/// A V3 state with params; the id it returns is injected into the request path by the
/// pact's `ProviderState` generator. The pact says `/orders/1`, so only the injected id works.
#[provider_state("an order exists", provider = "ExternalStateService")]
async fn order_exists(params: OrderParams) -> StateValues<CreatedOrder> {
    ORDER_SETUPS.fetch_add(1, Ordering::SeqCst);
    let order_id = NEXT_ORDER_ID.fetch_add(1, Ordering::SeqCst) as u64;
    ORDERS.lock().unwrap().insert(order_id, params.customer);
    StateValues(CreatedOrder { order_id })
}

#[provider_state("an order exists", provider = "ExternalStateService", teardown)]
fn remove_orders() {
    ORDER_TEARDOWNS.fetch_add(1, Ordering::SeqCst);
    ORDERS.lock().unwrap().clear();
}

#[provider_state("the database is reachable", provider = "ExternalFailingService")]
fn database_is_reachable() -> Result<(), String> {
    FAILING_SETUPS.fetch_add(1, Ordering::SeqCst);
    Err("connection refused by the test database".to_string())
}

fn store_app() -> Router {
    Router::new()
        .route("/items", get(|| async { Json(json!({ "ids": *ITEMS.lock().unwrap() })) }))
        .route(
            "/items/{id}",
            get(|Path(id): Path<u64>| async move {
                if ITEMS.lock().unwrap().contains(&id) {
                    Json(json!({ "id": id, "name": format!("widget {id}") })).into_response()
                } else {
                    not_found()
                }
            }),
        )
        .route(
            "/orders/{id}",
            get(|Path(id): Path<u64>| async move {
                match ORDERS.lock().unwrap().get(&id) {
                    Some(customer) => Json(json!({ "id": id, "customer": customer })).into_response(),
                    None => not_found(),
                }
            }),
        )
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": "not found" }))).into_response()
}

/// Serves `router` on an ephemeral loopback port; the server stops when the guard drops.
async fn serve(router: Router) -> (SocketAddr, AbortOnDrop) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (address, AbortOnDrop(server))
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs Pact's verifier against the app at `app` with our endpoint as its state-change URL.
async fn run_pact_verifier(
    provider: &str,
    pact_file: &str,
    app: SocketAddr,
    executor: HttpRequestProviderStateExecutor,
) -> VerificationExecutionResult {
    pact_runtime::install_crypto_provider();
    let provider_info = ProviderInfo {
        name: provider.to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![ProviderTransport {
            transport: "http".to_string(),
            port: Some(app.port()),
            path: None,
            scheme: Some("http".to_string()),
        }],
        ..ProviderInfo::default()
    };
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        request_timeout: 2_000,
        coloured_output: false,
        ..VerificationOptions::default()
    };
    let executor = Arc::new(executor);
    let verification = pact_verifier::verify_provider_async(
        provider_info,
        vec![PactSource::File(format!("{PACTS}/{pact_file}"))],
        FilterInfo::None,
        vec![],
        &options,
        None,
        &executor,
        None,
    );
    tokio::time::timeout(Duration::from_secs(10), verification)
        .await
        .expect("pact_verifier did not finish within 10 s")
        .expect("pact_verifier could not run")
}

fn counts() -> [usize; 4] {
    [&ITEM_SETUPS, &ITEM_TEARDOWNS, &ORDER_SETUPS, &ORDER_TEARDOWNS].map(|counter| counter.load(Ordering::SeqCst))
}

async fn verify_store_with_pact_verifier(state_change_body: bool) {
    let _serial = SERIAL.lock().await;
    let endpoint = StateServer::start(PROVIDER).await.unwrap();
    let (app, _server) = serve(store_app()).await;
    let before = counts();

    let executor = HttpRequestProviderStateExecutor {
        state_change_url: Some(endpoint.state_change_url().to_string()),
        state_change_teardown: true,
        state_change_body,
        retries: 0,
    };
    let result = run_pact_verifier(PROVIDER, "ExternalConsumer-ExternalStateService.json", app, executor).await;

    assert!(result.result, "pact_verifier failed:\n{}\nerrors: {:#?}", result.output.join("\n"), result.errors);
    // Includes "a health check": no state, so pact_verifier sends `state: ""`, which we answer 200 {}.
    assert_eq!(result.interaction_results.len(), 4);
    assert!(result.interaction_results.iter().all(|interaction| interaction.result.is_ok()));
    let after = counts();
    let ran: Vec<usize> = after.iter().zip(before).map(|(after, before)| after - before).collect();
    // item 7, then items 8 and 9; `{"ids": [8, 9]}` also proves item 7 was torn down first.
    assert_eq!(ran, [3, 3, 1, 1], "[item setups, item teardowns, order setups, order teardowns]");
    assert!(ITEMS.lock().unwrap().is_empty(), "teardowns left items behind");
    assert!(ORDERS.lock().unwrap().is_empty(), "teardowns left orders behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pact_verifier_drives_our_state_endpoint_with_json_bodies() {
    verify_store_with_pact_verifier(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pact_verifier_drives_our_state_endpoint_with_query_strings() {
    verify_store_with_pact_verifier(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_state_fails_pact_verifier_quickly_without_retries() {
    let endpoint = StateServer::start(FAILING_PROVIDER).await.unwrap();
    let app = Router::new().fallback(|| async {
        FAILING_APP_REQUESTS.fetch_add(1, Ordering::SeqCst);
        StatusCode::OK
    });
    let (app, _server) = serve(app).await;

    // pact_verifier's default of 8 retries: a 5xx answer would back off 0.5 s, 1 s, 2 s, ...
    let executor = HttpRequestProviderStateExecutor {
        state_change_url: Some(endpoint.state_change_url().to_string()),
        state_change_teardown: true,
        state_change_body: true,
        retries: 8,
    };
    let started = Instant::now();
    let result =
        run_pact_verifier(FAILING_PROVIDER, "ExternalConsumer-ExternalFailingService.json", app, executor).await;
    let elapsed = started.elapsed();

    assert!(!result.result, "a failing state must fail the verification:\n{}", result.output.join("\n"));
    assert_eq!(result.errors.len(), 1, "{:#?}", result.errors);
    assert!(result.errors[0].0.contains("a request that needs the database"), "{}", result.errors[0].0);
    assert_eq!(FAILING_SETUPS.load(Ordering::SeqCst), 1, "the 422 answer must not be retried");
    assert_eq!(FAILING_APP_REQUESTS.load(Ordering::SeqCst), 0, "no request after a failed setup");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}: retried?");
}
