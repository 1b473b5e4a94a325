//! The engine's per-interaction order, observed from outside: a state endpoint that records
//! every state change it receives, and an app that counts the requests it gets.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use pact_runtime::__private::{load_pacts, Engine, EngineConfig, LoadedPact};
use pact_runtime::config::PactSource;
use pact_runtime::{Failure, InteractionResult};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const PROVIDER: &str = "LifecycleService";
const PACT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pacts/lifecycle/LifecycleConsumer-LifecycleService.json");

type Recorded = Arc<Mutex<Vec<Value>>>;

/// Records each state-change body; fails states named `... fails` (teardowns only for
/// `... teardown fails`) with a 422 and an `error` message, like our endpoint does.
async fn record_state_change(State(recorded): State<Recorded>, Json(body): Json<Value>) -> impl IntoResponse {
    recorded.lock().unwrap().push(body.clone());
    let state = body["state"].as_str().unwrap_or_default();
    let action = body["action"].as_str().unwrap_or_default();
    let fails = if state.contains("teardown fails") { action == "teardown" } else { state.contains("fails") };
    if fails {
        let error = format!("{action} of `{state}` fails on purpose");
        (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": error })))
    } else {
        (StatusCode::OK, Json(json!({})))
    }
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn serve(router: Router) -> (SocketAddr, AbortOnDrop) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    (address, AbortOnDrop(tokio::spawn(async move { axum::serve(listener, router).await.unwrap() })))
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    listener.local_addr().unwrap()
}

struct Harness {
    engine: Engine,
    pact: LoadedPact,
    recorded: Recorded,
    app_requests: Arc<AtomicUsize>,
    _servers: Vec<AbortOnDrop>,
}

impl Harness {
    /// A recorder, an app that answers `/ok` with the pact's response and `/mismatch` with a
    /// 500, and an engine aimed at them (or at a closed port when `app_down`).
    async fn start(app_down: bool) -> Harness {
        let recorded = Recorded::default();
        let (recorder, recorder_server) =
            serve(Router::new().route("/state-change", post(record_state_change)).with_state(recorded.clone())).await;

        let app_requests = Arc::new(AtomicUsize::new(0));
        let counter = app_requests.clone();
        let app = Router::new()
            .route("/ok", get(|| async { Json(json!({ "ok": true })) }))
            .route("/mismatch", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "ok": false }))) }))
            .layer(axum::middleware::map_request(move |request: axum::extract::Request| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { request }
            }));
        let (app, app_server) = serve(app).await;
        let app = if app_down { closed_port().await } else { app };

        let config = EngineConfig {
            request_timeout: Duration::from_secs(2),
            ..EngineConfig::new(format!("http://{app}"), Some(format!("http://{recorder}/state-change")))
        };
        let engine = Engine::new(config).unwrap();
        let mut pacts =
            load_pacts(&[PactSource::File(PathBuf::from(PACT))], Some(PROVIDER), engine.client()).await.unwrap();
        assert_eq!(pacts.len(), 1);
        Harness { engine, pact: pacts.remove(0), recorded, app_requests, _servers: vec![recorder_server, app_server] }
    }

    /// Verifies the interaction named `description`.
    async fn verify(&self, description: &str) -> InteractionResult {
        let interactions = self.pact.pact.interactions();
        let index = interactions
            .iter()
            .position(|interaction| interaction.description() == description)
            .unwrap_or_else(|| panic!("no interaction `{description}` in {PACT}"));
        let (mut checks, mut missing) = (Default::default(), Vec::new());
        let verification = self.engine.verify_interaction(
            PROVIDER,
            &self.pact,
            index,
            interactions[index].as_ref(),
            &mut checks,
            &mut missing,
        );
        tokio::time::timeout(Duration::from_secs(5), verification).await.expect("the interaction hung")
    }

    /// The state changes received so far, as `action state`.
    fn calls(&self) -> Vec<String> {
        self.recorded
            .lock()
            .unwrap()
            .iter()
            .map(|body| format!("{} {}", body["action"].as_str().unwrap(), body["state"].as_str().unwrap()))
            .collect()
    }

    fn app_requests(&self) -> usize {
        self.app_requests.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn setups_in_order_then_request_then_teardowns_in_reverse() {
    let harness = Harness::start(false).await;
    let result = harness.verify("a request with two states").await;

    assert!(result.passed(), "{:?}", result.failures);
    assert_eq!(harness.calls(), ["setup state A", "setup state B", "teardown state B", "teardown state A"]);
    assert_eq!(harness.app_requests(), 1);
    // The standard protocol body, params included.
    let recorded = harness.recorded.lock().unwrap();
    assert_eq!(recorded[0], json!({ "state": "state A", "params": { "a": 1 }, "action": "setup" }));
    assert_eq!(recorded[3], json!({ "state": "state A", "params": { "a": 1 }, "action": "teardown" }));
}

#[tokio::test]
async fn a_failed_setup_skips_the_request_and_tears_down_only_what_was_set_up() {
    let harness = Harness::start(false).await;
    let result = harness.verify("a request whose second setup fails").await;

    assert_eq!(harness.calls(), ["setup state A", "setup state B fails", "teardown state A"]);
    assert_eq!(harness.app_requests(), 0, "the request must not be sent after a failed setup");
    assert_eq!(result.failures.len(), 1, "{:?}", result.failures);
    let Failure::StateSetup { state, message } = &result.failures[0] else {
        panic!("expected a state setup failure, got {:?}", result.failures);
    };
    assert_eq!(state, "state B fails");
    // The 422 body's `error` is the message, not the raw JSON.
    assert!(message.contains("setup of `state B fails` fails on purpose"), "{message}");
    assert!(message.contains("422"), "{message}");
    assert!(!message.contains("{\"error\""), "{message}");
    assert!(result.failures[0].to_string().contains("setup of `state B fails` fails on purpose"));
}

#[tokio::test]
async fn a_failed_first_setup_stops_the_other_setups_and_tears_nothing_down() {
    let harness = Harness::start(false).await;
    let result = harness.verify("a request whose first setup fails").await;

    assert_eq!(harness.calls(), ["setup state A fails"]);
    assert_eq!(harness.app_requests(), 0);
    assert!(matches!(&result.failures[..], [Failure::StateSetup { state, .. }] if state == "state A fails"));
}

#[tokio::test]
async fn teardowns_run_after_a_response_mismatch() {
    let harness = Harness::start(false).await;
    let result = harness.verify("a request the app answers wrongly").await;

    assert_eq!(harness.calls(), ["setup state A", "setup state B", "teardown state B", "teardown state A"]);
    assert_eq!(harness.app_requests(), 1);
    assert!(
        result
            .failures
            .iter()
            .any(|failure| matches!(failure, Failure::Mismatch { kind, .. } if kind == "StatusMismatch")),
        "{:?}",
        result.failures
    );
}

#[tokio::test]
async fn teardowns_run_when_the_app_is_down() {
    let harness = Harness::start(true).await;
    let result = harness.verify("a request with two states").await;

    assert_eq!(harness.calls(), ["setup state A", "setup state B", "teardown state B", "teardown state A"]);
    assert!(matches!(&result.failures[..], [Failure::Request { .. }]), "{:?}", result.failures);
    assert!(result.failures[0].to_string().contains("GET /ok"), "{}", result.failures[0]);
}

#[tokio::test]
async fn a_failed_teardown_is_reported_and_the_other_teardowns_still_run() {
    let harness = Harness::start(false).await;
    let result = harness.verify("a request whose teardown fails").await;

    assert_eq!(
        harness.calls(),
        ["setup state A", "setup state C teardown fails", "teardown state C teardown fails", "teardown state A"]
    );
    assert_eq!(harness.app_requests(), 1);
    let [Failure::StateTeardown { state, message }] = &result.failures[..] else {
        panic!("expected one teardown failure, got {:?}", result.failures);
    };
    assert_eq!(state, "state C teardown fails");
    assert!(message.contains("teardown of `state C teardown fails` fails on purpose"), "{message}");
}

#[tokio::test]
async fn an_interaction_without_states_makes_no_state_calls() {
    let harness = Harness::start(false).await;
    let result = harness.verify("a request without states").await;

    assert!(result.passed(), "{:?}", result.failures);
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());
    assert_eq!(harness.app_requests(), 1);
}

#[tokio::test]
async fn a_whole_pact_runs_every_interaction_in_order() {
    let harness = Harness::start(false).await;
    let report = harness
        .engine
        .verify(PROVIDER, std::slice::from_ref(&harness.pact), &Default::default(), Default::default())
        .await;

    let outcomes: Vec<(&str, bool)> =
        report.results.iter().map(|result| (result.description.as_str(), result.passed())).collect();
    assert_eq!(
        outcomes,
        [
            ("a request with two states", true),
            ("a request whose second setup fails", false),
            ("a request whose first setup fails", false),
            ("a request the app answers wrongly", false),
            ("a request whose teardown fails", false),
            ("a request without states", true),
        ]
    );
    // 4 + 3 + 1 + 4 + 4 + 0 state changes; requests only where every setup succeeded.
    assert_eq!(harness.calls().len(), 16);
    assert_eq!(harness.app_requests(), 4);
}
