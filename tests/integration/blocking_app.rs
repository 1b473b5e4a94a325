//! An app that blocks its own runtime threads cannot stall a run: the app is served on a runtime
//! of its own, so the run's timers, client and engine keep going, every affected interaction
//! fails within `request_timeout_ms` / `state_timeout_ms`, and the run ends with its report.
//!
//! Each run happens on a thread of its own, in a 2-worker runtime as `#[pact_provider_test]`
//! makes, and the test waits for it with a bound it measures itself: a run that hangs fails the
//! test instead of hanging it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use pact_runtime::{provider_state, verify_provider, RunError, Settings, VerificationReport};
use pact_tests::{failure_lines, write_pact};
use serde_json::{json, Value};

/// The lock the blocking app's handlers take, and its state function holds for ever.
static SHARED: Mutex<()> = Mutex::new(());
static HELD: AtomicBool = AtomicBool::new(false);

/// The first call holds the app's lock and never returns: its thread is abandoned at
/// `state_timeout_ms`, still holding the lock.
#[provider_state("the app's lock is taken", provider = "LockedApp")]
fn lock_taken() {
    if !HELD.swap(true, Ordering::SeqCst) {
        let _held = SHARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// A V3 pact of `count` interactions `GET <path>` for `provider`, each with `state` if given.
fn pact(provider: &str, path: &str, count: usize, state: Option<&str>) -> Value {
    let interactions: Vec<Value> = (1..=count)
        .map(|n| {
            let mut interaction = json!({
                "description": format!("request {n}"),
                "request": { "method": "GET", "path": path },
                "response": { "status": 200 }
            });
            if let Some(state) = state {
                interaction["providerStates"] = json!([{ "name": state }]);
            }
            interaction
        })
        .collect();
    json!({
        "consumer": { "name": "Impatient" },
        "provider": { "name": provider },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    })
}

fn settings(provider: &str, pact: &Value) -> Settings {
    Settings::builder()
        .pacts(write_pact("pact.json", pact))
        .provider(provider)
        .state_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_millis(1000))
        .boot_timeout(Duration::from_millis(2000))
        .build()
        .expect("valid settings")
}

/// Runs `app` under `settings` in a 2-worker runtime on a thread of its own, and waits at most
/// `bound` for the report.
fn run_within(
    bound: Duration,
    settings: Settings,
    app: fn() -> Router,
) -> (Result<VerificationReport, RunError>, Duration) {
    let (done, outcome) = std::sync::mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let report = runtime.block_on(verify_provider(&settings, move || async move { app() }));
        let _ = done.send(report);
        // The app's threads may still be blocked: do not wait for them.
        runtime.shutdown_background();
    });
    let report = outcome.recv_timeout(bound).unwrap_or_else(|_| panic!("the run did not end within {bound:?}"));
    (report, started.elapsed())
}

#[test]
fn a_state_function_that_hangs_holding_the_apps_lock_does_not_stall_the_run() {
    fn app() -> Router {
        Router::new().route(
            "/locked",
            get(|| async {
                let _shared = SHARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                "ok"
            }),
        )
    }
    let settings = settings("LockedApp", &pact("LockedApp", "/locked", 6, Some("the app's lock is taken")));
    let (report, took) = run_within(Duration::from_secs(40), settings, app);
    let report = report.expect("the run starts");
    let lines = failure_lines(&report);
    println!("{took:?}\n{}", lines.join("\n"));
    assert_eq!(lines.len(), 6, "every interaction has a result");
    assert!(lines[0].contains("timed out after 500ms"), "{}", lines[0]);
    for line in &lines[1..] {
        assert!(line.starts_with("request failed: GET /locked:"), "{line}");
    }
}

#[test]
fn handlers_that_block_their_threads_fail_at_the_request_timeout_and_the_run_ends() {
    fn app() -> Router {
        Router::new().route(
            "/sleepy",
            get(|| async {
                // A blocking call in an async handler: the app's worker thread is gone.
                std::thread::sleep(Duration::from_secs(3600));
                "too late"
            }),
        )
    }
    let settings = settings("SleepingApp", &pact("SleepingApp", "/sleepy", 3, None));
    let (report, took) = run_within(Duration::from_secs(30), settings, app);
    let report = report.expect("the run starts");
    let lines = failure_lines(&report);
    println!("{took:?}\n{}", lines.join("\n"));
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(line.starts_with("request failed: GET /sleepy:"), "{line}");
    }
}

#[test]
fn an_app_whose_readiness_answer_blocks_fails_at_the_boot_timeout() {
    fn app() -> Router {
        // Also the `HEAD /` of the readiness probe: both app threads block.
        Router::new().fallback(|| async {
            std::thread::sleep(Duration::from_secs(3600));
            "too late"
        })
    }
    let settings = settings("UnreadyApp", &pact("UnreadyApp", "/", 1, None));
    let (report, took) = run_within(Duration::from_secs(30), settings, app);
    let error = report.expect_err("the app never answers").to_string();
    println!("{took:?}\n{error}");
    assert!(error.contains("did not answer an HTTP request within 2s"), "{error}");
}
