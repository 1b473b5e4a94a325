//! Issue 5, provider states: what a run says when a state is missing, when state functions
//! overlap, fail, panic or hang, and that two runs of one provider never interleave their
//! state changes. Every run is bounded by `tokio::time::timeout`; the bound is in each test.
//!
//! Registrations are global to this binary, so every state is scoped to its own provider.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use pact_runtime::__private::{load_pacts, Engine, EngineConfig, StateEndpoint, StateRegistry};
use pact_runtime::config::PactSource;
use pact_runtime::config::{MissingStates, ProviderTestSpec};
use pact_runtime::{
    pact_provider_test, provider_state, verify_provider, Failure, RunError, Settings, VerificationReport,
};
use serde_json::json;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/diagnostics/states");

fn pact(file: &str) -> PathBuf {
    PathBuf::from(FIXTURES).join(file)
}

/// Runs `verify_provider` and fails the test if it takes longer than `bound`.
async fn verify_within<Form, App: pact_runtime::app::ProviderApp<Form>>(
    bound: Duration,
    settings: &Settings,
    app: App,
) -> Result<VerificationReport, RunError> {
    let started = Instant::now();
    let outcome = tokio::time::timeout(bound, verify_provider(settings, app))
        .await
        .unwrap_or_else(|_| panic!("the run did not finish within {bound:?}"));
    assert!(started.elapsed() < bound, "took {:?}", started.elapsed());
    outcome
}

fn assert_contains(text: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(text.contains(fragment), "`{fragment}` is not in:\n{text}");
    }
}

// ---- missing states ----

#[provider_state("user {id} exists", provider = "MissingStateService")]
fn user_exists(id: u64) {
    let _ = id;
}

/// Requests an app received, by path: each run that counts them has its own, since the
/// generated tests below run the same app at the same time.
type Seen = Arc<std::sync::Mutex<Vec<String>>>;

fn requests_to(seen: &Seen, path: &str) -> usize {
    seen.lock().unwrap().iter().filter(|request| *request == path).count()
}

/// Answers every interaction of the pact as it expects, whether its state was set up or not.
fn missing_state_app() -> Router {
    missing_state_app_seen(Seen::default())
}

/// [`missing_state_app`], noting the path of each request in `seen`.
fn missing_state_app_seen(seen: Seen) -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(|axum::extract::Path(id): axum::extract::Path<u64>| async move { Json(json!({ "id": id })) }),
        )
        .route("/basket", get(|| async { Json(json!({ "items": 3 })) }))
        .route("/checkout", post(|| async { Json(json!({ "paid": true })) }))
        .route("/health", get(|| async { StatusCode::OK }))
        .layer(axum::middleware::map_request(move |request: axum::extract::Request| {
            seen.lock().unwrap().push(request.uri().path().to_string());
            async move { request }
        }))
}

// The two missing-state runs count the app's requests, so they take turns.
static MISSING_SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const USER_42_FAILURE: &str = "no provider state function serves `user 42 exist`, which interaction `a request for user 42` of consumer `StatesConsumer` needs
did you mean `user {id} exists` (user_exists at ";
const USER_42_STUB: &str = "add this function and fill it in:
  #[provider_state(\"user 42 exist\")]
  async fn user_42_exist() {
      todo!(\"set up `user 42 exist`\")
  }";

/// Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_state_fails_its_interaction_with_suggestions_and_a_stub() {
    let _serial = MISSING_SERIAL.lock().await;
    let seen = Seen::default();
    let app_seen = seen.clone();
    let settings = Settings::builder()
        .pacts(pact("StatesConsumer-MissingStateService.json"))
        .provider("MissingStateService")
        .build()
        .unwrap();
    let app = move || async move { missing_state_app_seen(app_seen) };
    let report = verify_within(Duration::from_secs(10), &settings, app).await.unwrap();
    println!("{report}");

    let outcomes: Vec<(&str, bool)> = report.results.iter().map(|r| (r.description.as_str(), r.passed())).collect();
    assert_eq!(
        outcomes,
        [
            ("a request for user 42", false),
            ("a request for the basket", false),
            ("a request to check out", false),
            ("a request for user 7", true),
            ("a health check", true),
        ]
    );
    let [Failure::MissingState { state, message }] = &report.results[0].failures[..] else {
        panic!("expected one missing-state failure, got {:?}", report.results[0].failures);
    };
    assert_eq!(state, "user 42 exist");
    assert!(message.starts_with(USER_42_FAILURE), "{message}");
    assert_contains(message, &["diagnostics_states.rs:", USER_42_STUB]);
    let basket = report.results[1].failures[0].to_string();
    assert_contains(
        &basket,
        &[
            "no provider state function serves `the basket is full`, which interaction `a request for the basket` of consumer `StatesConsumer` needs",
            "#[provider_state(\"the basket is full\")]\n  async fn the_basket_is_full() {",
        ],
    );
    // Nothing was set up, so nothing was sent for the failing interactions.
    assert_eq!(
        (requests_to(&seen, "/users/42"), requests_to(&seen, "/basket"), requests_to(&seen, "/checkout")),
        (0, 0, 0)
    );

    // The end of the run lists every missing state once, with every interaction that needs it.
    assert_eq!(report.missing_states.len(), 2);
    assert_eq!(report.missing_states[1].state, "the basket is full");
    assert_eq!(
        report.missing_states[1].used_by,
        ["StatesConsumer › a request for the basket", "StatesConsumer › a request to check out"]
    );
    let summary = report.failure_summary();
    let list = &summary[summary.find("Missing provider states (2)").expect("the summary lists missing states")..];
    assert_eq!(summary.matches("Missing provider states").count(), 1, "{summary}");
    assert_contains(
        list,
        &[
            "Missing provider states (2): no #[provider_state] function serves them.\n  - `user 42 exist`, needed by StatesConsumer › a request for user 42\n  - `the basket is full`, needed by StatesConsumer › a request for the basket; StatesConsumer › a request to check out\nAdd these functions and fill them in:\n\n#[provider_state(\"user 42 exist\")]\nasync fn user_42_exist() {\n    todo!(\"set up `user 42 exist`\")\n}\n",
        ],
    );
    assert_eq!(list.matches("#[provider_state(\"the basket is full\")]").count(), 1, "{list}");
}

/// Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_states_warn_sends_the_request_and_lists_the_states() {
    let _serial = MISSING_SERIAL.lock().await;
    let seen = Seen::default();
    let app_seen = seen.clone();
    let settings = Settings::builder()
        .pacts(pact("StatesConsumer-MissingStateService.json"))
        .provider("MissingStateService")
        .missing_states(MissingStates::Warn)
        .build()
        .unwrap();
    let app = move || async move { missing_state_app_seen(app_seen) };
    let report = verify_within(Duration::from_secs(10), &settings, app).await.unwrap();
    let text = report.to_string();
    println!("{text}");

    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(
        (requests_to(&seen, "/users/42"), requests_to(&seen, "/basket"), requests_to(&seen, "/checkout")),
        (1, 1, 1)
    );
    let warning = &report.results[0].warnings[0];
    assert!(
        warning.starts_with(
            "no provider state function serves `user 42 exist`, which interaction `a request for user 42` of consumer `StatesConsumer` needs; the request was sent without it (missing_states = \"warn\")\ndid you mean `user {id} exists` (user_exists at "
        ),
        "{warning}"
    );
    assert_contains(
        &text,
        &[
            "✓ passed  a request for user 42 [`user 42 exist`]",
            "! warning: no provider state function serves `user 42 exist`",
            "Missing provider states (2): no #[provider_state] function serves them.",
        ],
    );
    assert!(report.results[3].warnings.is_empty() && report.results[4].warnings.is_empty());
}

/// Bound: none needed, no I/O.
#[test]
fn missing_states_is_an_option_overridden_by_pact_missing_states() {
    let spec = ProviderTestSpec { test_name: "t", manifest_dir: "/crate", options: &[("missing_states", "warn")] };
    let resolve = |value: Option<&'static str>| {
        Settings::resolve_with(&spec, move |name| {
            (name == "PACT_MISSING_STATES").then_some(value).flatten().map(String::from)
        })
    };
    assert_eq!(resolve(None).unwrap().missing_states(), MissingStates::Warn);
    assert_eq!(resolve(Some("fail")).unwrap().missing_states(), MissingStates::Fail);
    assert_eq!(resolve(Some("WARN")).unwrap().missing_states(), MissingStates::Warn);
    let error = resolve(Some("sometimes")).unwrap_err();
    assert_eq!(error.to_string(), "PACT_MISSING_STATES must be `fail` or `warn`, got `sometimes`");
    let defaults = ProviderTestSpec { test_name: "t", manifest_dir: "/crate", options: &[] };
    assert_eq!(Settings::resolve_with(&defaults, |_| None).unwrap().missing_states(), MissingStates::Fail);
}

#[pact_provider_test(
    provider = "MissingStateService",
    pacts = "fixtures/diagnostics/states/StatesConsumer-MissingStateService.json"
)]
#[should_panic(
    expected = "no provider state function serves `user 42 exist`, which interaction `a request for user 42` of consumer `StatesConsumer` needs"
)]
async fn a_missing_state_fails_the_generated_test() -> Router {
    missing_state_app()
}

#[pact_provider_test(
    provider = "MissingStateService",
    pacts = "fixtures/diagnostics/states/StatesConsumer-MissingStateService.json",
    missing_states = "warn"
)]
async fn missing_states_warn_passes_the_generated_test() -> Router {
    missing_state_app()
}

// ---- state functions that fail, panic or hang ----

#[provider_state("the cache panics", provider = "FlakyStateService")]
fn cache_panics() {
    panic!("the cache is poisoned");
}

#[provider_state("the database is down", provider = "FlakyStateService")]
async fn database_down() -> Result<(), String> {
    Err("connection refused by db:5432".to_string())
}

#[provider_state("the state hangs", provider = "FlakyStateService")]
async fn state_hangs() {
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[provider_state("all is well", provider = "FlakyStateService")]
fn all_is_well() {}

/// A panic, an `Err` and a hang each fail their own interaction; the run goes on and the app
/// keeps serving. Bound: 5 s, with `state_timeout` at 300 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_panicking_and_hanging_states_fail_only_their_interaction() {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let app = move || async move {
        Router::new().route(
            "/health",
            get(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                StatusCode::OK
            }),
        )
    };
    let settings = Settings::builder()
        .pacts(pact("StatesConsumer-FlakyStateService.json"))
        .provider("FlakyStateService")
        .state_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let report = verify_within(Duration::from_secs(5), &settings, app).await.unwrap();
    println!("{report}");

    let messages = pact_tests::failure_lines(&report);
    assert_eq!(messages[0], "setup of state `the cache panics` panicked in `cache_panics`: the cache is poisoned");
    assert_eq!(
        messages[1],
        "setup of state `the database is down` failed in `database_down`: connection refused by db:5432"
    );
    assert!(
        messages[2].starts_with("setup of state `the state hangs` timed out after 300ms in `state_hangs`"),
        "{}",
        messages[2]
    );
    assert_eq!(messages[3], "", "the run goes on after failed states");
    // Only the last interaction's request was sent, and the app answered it.
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

// ---- synchronous functions that block ----

#[provider_state("the disk blocks", provider = "BlockingService")]
fn disk_blocks() {
    std::thread::sleep(Duration::from_secs(3));
}

#[provider_state("all is well", provider = "BlockingService")]
fn all_is_well_after_blocking() {}

#[pact_runtime::before_each(provider = "BlockingService")]
fn block_one_interaction(interaction: pact_runtime::HookContext) {
    if interaction.description == "a request whose before_each hook blocks" {
        std::thread::sleep(Duration::from_secs(3));
    }
}

#[pact_runtime::request_filter(provider = "BlockingService")]
fn block_one_request(request: &mut pact_runtime::ProviderRequest) {
    if request.query().is_some_and(|query| query.contains_key("filter")) {
        std::thread::sleep(Duration::from_secs(3));
    }
}

/// A synchronous state function, a hook and a request filter that block their thread are
/// bounded by `state_timeout` like async ones: each fails its interaction naming the function
/// and the bound, and the next interaction passes. Bound: 2.5 s, less than one of the 3 s blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_state_functions_and_hooks_time_out_without_stalling_the_run() {
    let app = || async { Router::new().route("/health", get(|| async { StatusCode::OK })) };
    let settings = Settings::builder()
        .pacts(pact("StatesConsumer-BlockingService.json"))
        .provider("BlockingService")
        .state_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let report = verify_within(Duration::from_millis(2500), &settings, app).await.unwrap();
    println!("{report}");
    let messages = pact_tests::failure_lines(&report);
    assert_contains(&messages[0], &["setup of state `the disk blocks` timed out after 300ms in `disk_blocks`"]);
    assert_contains(&messages[1], &["block_one_interaction", "timed out after 300ms"]);
    assert_eq!(
        messages[2],
        "request_filter `block_one_request` failed: timed out after 300ms (`state_timeout_ms`, PACT_STATE_TIMEOUT_MS, bounds request filters too)"
    );
    assert_eq!(messages[3], "", "the run goes on after the blocked functions");
}

// ---- a function that blocks forever in a long run ----

/// Whether a `ForeverService` state function runs now: two at once would be a bug.
static FOREVER_IN_FUNCTION: AtomicBool = AtomicBool::new(false);
static FOREVER_OVERLAPS: AtomicUsize = AtomicUsize::new(0);
/// The items set up and not yet torn down, which the app serves.
static FOREVER_ITEMS: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());

/// Item 500's setup never returns: a synchronous function blocked on something that never comes.
#[provider_state("item {n} exists", provider = "ForeverService")]
fn forever_item(n: u64) {
    if n == 500 {
        loop {
            std::thread::park();
        }
    }
    if FOREVER_IN_FUNCTION.swap(true, Ordering::SeqCst) {
        FOREVER_OVERLAPS.fetch_add(1, Ordering::SeqCst);
    }
    FOREVER_ITEMS.lock().unwrap().push(n);
    FOREVER_IN_FUNCTION.store(false, Ordering::SeqCst);
}

#[provider_state("item {n} exists", provider = "ForeverService", teardown)]
fn forever_item_gone(n: u64) {
    if FOREVER_IN_FUNCTION.swap(true, Ordering::SeqCst) {
        FOREVER_OVERLAPS.fetch_add(1, Ordering::SeqCst);
    }
    FOREVER_ITEMS.lock().unwrap().retain(|item| *item != n);
    FOREVER_IN_FUNCTION.store(false, Ordering::SeqCst);
}

/// Issue 21: state functions run on the run's own thread, and one that blocks forever in the
/// middle of a 1,000-interaction run fails exactly its interaction at `state_timeout`; the run
/// carries on and ends, every other interaction passing with its state set up. On the test's
/// single-threaded runtime, as `#[tokio::test]` gives. Bound: 60 s for the run (a debug build on
/// a loaded machine), and the blocked interaction within 2 s.
#[tokio::test]
async fn a_function_blocking_forever_in_a_long_run_fails_only_its_interaction() {
    let interactions: Vec<serde_json::Value> = (0..1000)
        .map(|n| {
            json!({
                "description": format!("a request for item {n}"),
                "providerStates": [{ "name": format!("item {n} exists") }],
                "request": { "method": "GET", "path": format!("/items/{n}") },
                "response": { "status": 200 }
            })
        })
        .collect();
    let file = pact_tests::write_pact(
        "ForeverConsumer-ForeverService.json",
        &pact_tests::things::pact("ForeverConsumer", "ForeverService", interactions),
    );
    let app = || async {
        Router::new().route(
            "/items/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<u64>| async move {
                if FOREVER_ITEMS.lock().unwrap().contains(&n) {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                }
            }),
        )
    };
    let settings = Settings::builder()
        .pacts(&file)
        .provider("ForeverService")
        .state_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let report = verify_within(Duration::from_secs(60), &settings, app).await.unwrap();

    assert_eq!(report.results.len(), 1000, "every interaction has a result");
    let failed: Vec<(usize, String)> = report
        .results
        .iter()
        .enumerate()
        .filter(|(_, result)| !result.passed())
        .map(|(position, result)| (position, result.failures.iter().map(ToString::to_string).collect()))
        .collect();
    assert_eq!(failed.len(), 1, "exactly the blocked interaction fails: {failed:?}");
    assert_eq!(failed[0].0, 500, "{failed:?}");
    assert_contains(&failed[0].1, &["setup of state `item 500 exists` timed out after 300ms in `forever_item`"]);
    let blocked = &report.results[500];
    assert_eq!(blocked.index, 500);
    assert_eq!(blocked.description, "a request for item 500");
    assert!(blocked.duration < Duration::from_secs(2), "the blocked interaction took {:?}", blocked.duration);
    assert!(report.results.iter().enumerate().all(|(position, result)| result.index == position), "in pact order");
    assert_eq!(FOREVER_OVERLAPS.load(Ordering::SeqCst), 0, "no two state functions ran at once");
    assert!(FOREVER_ITEMS.lock().unwrap().is_empty(), "every state set up was torn down");
}

// ---- what a state function spawns ----

/// Told once the run is over; the task the state function spawned then answers on `SPAWNED_ANSWER`.
static SPAWNED_ASK: tokio::sync::Notify = tokio::sync::Notify::const_new();
static SPAWNED_ANSWER: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Spawns a task that outlives the function, as a state that starts a stub of a downstream
/// service would, and waits on a tokio timer.
#[provider_state("a background task runs", provider = "SpawningService")]
async fn background_task_runs() {
    tokio::spawn(async {
        SPAWNED_ASK.notified().await;
        SPAWNED_ANSWER.notify_one();
    });
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// A synchronous state function that runs async code the way sync code does in a tokio app.
#[provider_state("a blocking section runs", provider = "SpawningService")]
fn blocking_section_runs() {
    let answer = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            42
        })
    });
    assert_eq!(answer, 42);
}

/// The run's thread drives a runtime of its own (for its client), but state functions run in
/// the test's: a task one spawns keeps running after the run ends, on the test's runtime, and
/// its timers fire; a synchronous one may still `block_in_place`. Bound: 10 s for the run, 2 s
/// for the task's answer.
#[tokio::test]
async fn a_task_a_state_function_spawns_outlives_the_run() {
    let interactions = vec![
        json!({
            "description": "a request while the task runs",
            "providerStates": [{ "name": "a background task runs" }],
            "request": { "method": "GET", "path": "/" },
            "response": { "status": 200 }
        }),
        json!({
            "description": "a request after a blocking section",
            "providerStates": [{ "name": "a blocking section runs" }],
            "request": { "method": "GET", "path": "/" },
            "response": { "status": 200 }
        }),
    ];
    let file = pact_tests::write_pact(
        "SpawningConsumer-SpawningService.json",
        &pact_tests::things::pact("SpawningConsumer", "SpawningService", interactions),
    );
    let app = || async { Router::new().route("/", get(|| async { StatusCode::OK })) };
    let settings = Settings::builder().pacts(&file).provider("SpawningService").build().unwrap();
    let report = verify_within(Duration::from_secs(10), &settings, app).await.unwrap();
    assert!(report.is_success(), "{}", report.failure_summary());

    let answered = SPAWNED_ANSWER.notified();
    SPAWNED_ASK.notify_one();
    tokio::time::timeout(Duration::from_secs(2), answered)
        .await
        .expect("the task the state function spawned still runs after the run, on the test's runtime");
}

// ---- overlapping registrations ----

#[provider_state("widget 1 exists", provider = "ConflictService")]
fn widget_one() {}

#[provider_state("widget {id} exists", provider = "ConflictService")]
fn any_widget(id: u32) {
    let _ = id;
}

/// Two functions that serve `widget 1 exists` are an error before the app boots. Bound: 5 s.
#[tokio::test]
async fn overlapping_registrations_stop_the_run_before_any_interaction() {
    static BOOTED: AtomicBool = AtomicBool::new(false);
    let settings = Settings::builder()
        .pacts(pact("StatesConsumer-ConflictService.json"))
        .provider("ConflictService")
        .build()
        .unwrap();
    let app = || async {
        BOOTED.store(true, Ordering::SeqCst);
        Router::new()
    };
    let error = verify_within(Duration::from_secs(5), &settings, app).await.unwrap_err();
    let RunError::AmbiguousStates(message) = &error else { panic!("expected overlapping states, got {error:?}") };
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines[0], "provider state functions overlap, so some states would be served twice:");
    assert_eq!(lines.len(), 2, "{message}");
    // Registration order is the linker's, so either may come first.
    assert!(lines[1].starts_with("  `widget "), "{message}");
    assert_contains(
        lines[1],
        &["`widget 1 exists` (widget_one) at ", " overlaps ", "`widget {id} exists` (any_widget) at "],
    );
    assert_eq!(lines[1].matches("diagnostics_states.rs:").count(), 2, "both locations: {message}");
    assert!(!BOOTED.load(Ordering::SeqCst), "the app must not boot");
}

// ---- two runs of one provider ----

/// How many `a slot is reserved` states are set up right now, and the most there ever were.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static MOST_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

#[provider_state("a slot is reserved", provider = "SerialService")]
async fn reserve_slot() -> Result<(), String> {
    let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
    MOST_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(15)).await;
    if now > 1 {
        return Err(format!("{now} runs have `a slot is reserved` set up at once"));
    }
    Ok(())
}

#[provider_state("a slot is reserved", provider = "SerialService", teardown)]
fn release_slot() {
    IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
}

/// Answers 200 only while exactly one slot is reserved: another run's state would show.
fn slot_app() -> Router {
    Router::new().route(
        "/slot",
        get(|| async {
            if IN_FLIGHT.load(Ordering::SeqCst) == 1 {
                StatusCode::OK
            } else {
                StatusCode::CONFLICT
            }
        }),
    )
}

/// Two runs of `SerialService` at once: the provider lock
/// keeps each interaction's setup, request and teardown apart. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runs_of_one_provider_never_interleave_their_states() {
    let settings =
        Settings::builder().pacts(pact("StatesConsumer-SerialService.json")).provider("SerialService").build().unwrap();
    let started = Instant::now();
    let (first, second) = tokio::join!(
        verify_within(Duration::from_secs(10), &settings, || async { slot_app() }),
        verify_within(Duration::from_secs(10), &settings, || async { slot_app() }),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.is_success(), "{}", first.failure_summary());
    assert!(second.is_success(), "{}", second.failure_summary());
    assert_eq!(first.results.len() + second.results.len(), 10);
    assert_eq!(MOST_IN_FLIGHT.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(10));
}

// The same two runs as generated tests, which libtest runs on parallel threads, each with its
// own tokio runtime.
#[pact_provider_test(
    provider = "SerialService",
    pacts = "fixtures/diagnostics/states/StatesConsumer-SerialService.json"
)]
async fn serial_service_first_generated_test() -> Router {
    slot_app()
}

#[pact_provider_test(
    provider = "SerialService",
    pacts = "fixtures/diagnostics/states/StatesConsumer-SerialService.json"
)]
async fn serial_service_second_generated_test() -> Router {
    slot_app()
}

static UNLOCKED_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static UNLOCKED_MOST_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

#[provider_state("a slot is reserved", provider = "UnlockedService")]
async fn reserve_unlocked_slot() {
    let now = UNLOCKED_IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
    UNLOCKED_MOST_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(15)).await;
}

#[provider_state("a slot is reserved", provider = "UnlockedService", teardown)]
fn release_unlocked_slot() {
    UNLOCKED_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
}

/// The control for the test above: two engines without the provider lock, each with its own
/// endpoint, do interleave. So the lock is what keeps runs apart. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_the_provider_lock_two_engines_interleave() {
    pact_runtime::install_crypto_provider();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let app_url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/slot", get(|| async { StatusCode::OK }))).await
    });
    let run = || async {
        let endpoint = StateEndpoint::start(
            StateRegistry::for_provider("UnlockedService"),
            "/_pact/provider_states",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let engine = Engine::new(EngineConfig::new(app_url.clone(), Some(endpoint.url().to_string()))).unwrap();
        let pacts = load_pacts(&[PactSource::File(pact("StatesConsumer-SerialService.json"))], None, engine.client())
            .await
            .unwrap();
        engine.verify("UnlockedService", &pacts, &Default::default(), Default::default()).await
    };
    let both = async { tokio::join!(run(), run()) };
    let (first, second) = tokio::time::timeout(Duration::from_secs(10), both).await.expect("finished within 10 s");
    server.abort();
    assert!(first.is_success() && second.is_success());
    assert_eq!(UNLOCKED_MOST_IN_FLIGHT.load(Ordering::SeqCst), 2, "the engines should have overlapped");
}

// ---- long state texts ----

#[provider_state("a {entity} {change} event", provider = "LongStateService")]
fn an_entity_event(entity: String, change: String) {
    let _ = (entity, change);
}

/// A V3 pact of `LongStateService` with a `GET /` interaction per state.
fn long_state_pact(states: &[String]) -> PathBuf {
    let interactions: Vec<_> = states
        .iter()
        .enumerate()
        .map(|(index, state)| {
            json!({
                "description": format!("request {index}"),
                "providerStates": [{ "name": state }],
                "request": { "method": "GET", "path": "/" },
                "response": { "status": 200 }
            })
        })
        .collect();
    pact_tests::write_pact(
        "StatesConsumer-LongStateService.json",
        &json!({
            "consumer": { "name": "StatesConsumer" },
            "provider": { "name": "LongStateService" },
            "interactions": interactions,
            "metadata": { "pactSpecification": { "version": "3.0.0" } }
        }),
    )
}

/// Against `a {entity} {change} event`, a state of 8 KB of `x ` that does not match took
/// 11.7 s to look up (backtracking); a state longer than 16 KiB is refused naming the limit.
/// Bound: 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_states_are_matched_in_linear_time_and_too_long_ones_are_refused() {
    let unmatched = format!("a {}", "x ".repeat(4 * 1024));
    let matched = format!("a {}event", "x ".repeat(4 * 1024));
    let too_long = format!("a {}event", "x ".repeat(9 * 1024));
    let file = long_state_pact(&[unmatched, matched, too_long]);
    let settings = Settings::builder().pacts(file).provider("LongStateService").build().unwrap();
    let app = || async { Router::new().route("/", get(|| async { StatusCode::OK })) };
    let report = verify_within(Duration::from_secs(5), &settings, app).await.unwrap();
    let failures = pact_tests::failure_lines(&report);
    assert!(failures[0].starts_with("no provider state function serves `a x x x"), "{}", failures[0]);
    assert_eq!(failures[1], "");
    assert_eq!(
        failures[2],
        "the provider state text `a x x x x x x x x x x x x x x x x x x x ...` is 18439 bytes, more than the 16384 bytes pact-runtime matches against #[provider_state] patterns: shorten it in the pact (a state can carry data in its params)"
    );
}

/// Through `StateServer`, a 16 KB state took 47 s per request; now an unmatched 8 KB state is
/// answered at once, and one over 16 KiB is refused naming the limit. Bound: 5 s per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_states_at_the_state_server_are_answered_at_once() {
    let server = pact_runtime::StateServer::start("LongStateService").await.unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let post = |state: String| {
        client.post(server.state_change_url()).json(&json!({ "state": state, "action": "setup" })).send()
    };
    let started = Instant::now();
    let unmatched = post(format!("a {}", "x ".repeat(4 * 1024))).await.expect("an answer within 5 s");
    assert_eq!(unmatched.status(), 422);
    let matched = post(format!("a {}event", "x ".repeat(4 * 1024))).await.expect("an answer within 5 s");
    assert_eq!(matched.status(), 200);
    let too_long = post(format!("a {}event", "x ".repeat(9 * 1024))).await.expect("an answer within 5 s");
    assert_eq!(too_long.status(), 422);
    let body = too_long.text().await.unwrap();
    assert!(
        body.contains(
            "is 18439 bytes, more than the 16384 bytes pact-runtime matches against #[provider_state] patterns"
        ),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}
