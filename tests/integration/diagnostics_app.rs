//! Issue 5, the provider app: an app that never accepts connections or never serves fails after
//! the boot timeout naming its address; an app that crashes mid-run fails the remaining
//! interactions at once with the cause; every server binds port 0, so concurrent runs cannot
//! collide. Every run is bounded; the bound is in each test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::__private::{StateEndpoint, StateRegistry};
use pact_runtime::app::ProviderApp;
use pact_runtime::config::SettingsBuilder;
use pact_runtime::{
    pact_provider_test, provider_state, verify_provider, Failure, RunError, Settings, VerificationReport,
};
use serde_json::json;
use tokio::net::TcpListener;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/diagnostics/app");

fn builder(file: &str, provider: &str) -> SettingsBuilder {
    Settings::builder().pacts(PathBuf::from(FIXTURES).join(file)).provider(provider)
}

fn settings(file: &str, provider: &str) -> Settings {
    builder(file, provider).build().expect("valid settings")
}

fn boot_settings() -> Settings {
    builder("AppConsumer-BootService.json", "BootService").boot_timeout(Duration::from_millis(300)).build().unwrap()
}

/// Runs `verify_provider` and fails the test if it takes longer than `bound`.
async fn verify_within<Form, App: ProviderApp<Form>>(
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

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}

fn app_error(outcome: Result<VerificationReport, RunError>) -> String {
    match outcome {
        Err(RunError::App(error)) => error.to_string(),
        other => panic!("expected the app to fail to boot, got {other:?}"),
    }
}

const RAISE: &str = "(raise `boot_timeout_ms` or PACT_APP_BOOT_TIMEOUT_MS if it boots slowly)";

// ---- the app never accepts connections ----

/// `async fn() -> String` naming a closed port. Bound: 3 s, with a 300 ms boot timeout.
#[tokio::test]
async fn a_running_server_that_is_not_there_fails_after_the_boot_timeout() {
    let port = closed_port();
    let started = Instant::now();
    let outcome =
        verify_within(
            Duration::from_secs(3),
            &boot_settings(),
            move || async move { format!("http://127.0.0.1:{port}") },
        )
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300), "it should wait the boot timeout");
    assert_eq!(
        app_error(outcome),
        format!("the provider app did not accept connections on 127.0.0.1:{port} within 300ms {RAISE}")
    );
}

/// A listener function that holds the listener but never serves on it: TCP connections
/// complete in the kernel's backlog, yet nothing answers. Bound: 3 s.
#[tokio::test]
async fn a_listener_function_that_never_serves_fails_after_the_boot_timeout() {
    let address = Arc::new(Mutex::new(None));
    let seen = address.clone();
    let app = move |listener: TcpListener| async move {
        *seen.lock().unwrap() = Some(listener.local_addr().unwrap());
        let _held = listener;
        std::future::pending::<()>().await
    };
    let message = app_error(verify_within(Duration::from_secs(3), &boot_settings(), app).await);
    let address = address.lock().unwrap().expect("the app function ran");
    assert_eq!(
        message,
        format!(
            "the provider app accepts TCP connections on {address} but did not answer an HTTP request within 300ms: does the app function serve on the listener it is given? {RAISE}"
        )
    );
}

/// A listener function that drops the listener and waits forever. Bound: 3 s.
#[tokio::test]
async fn a_listener_function_that_drops_the_listener_fails_after_the_boot_timeout() {
    let address = Arc::new(Mutex::new(None));
    let seen = address.clone();
    let app = move |listener: TcpListener| async move {
        *seen.lock().unwrap() = Some(listener.local_addr().unwrap());
        drop(listener);
        std::future::pending::<()>().await
    };
    let message = app_error(verify_within(Duration::from_secs(3), &boot_settings(), app).await);
    let address = address.lock().unwrap().expect("the app function ran");
    assert_eq!(message, format!("the provider app did not accept connections on {address} within 300ms {RAISE}"));
}

/// An app function that never returns its `Router` is bounded by the boot timeout too, not
/// only the app's readiness. Bound: 3 s, with a 300 ms boot timeout.
#[tokio::test]
async fn an_app_function_that_never_returns_fails_after_the_boot_timeout() {
    let app = || async { std::future::pending::<Router>().await };
    let message = app_error(verify_within(Duration::from_secs(3), &boot_settings(), app).await);
    assert_eq!(
        message,
        format!(
            "the provider app function did not return within 300ms: does it await something that never comes? {RAISE}"
        )
    );
}

/// A panic while building the `Router` is reported as the listener form reports a panicking
/// server, instead of escaping as a raw panic. Bound: 3 s.
#[tokio::test]
async fn an_app_function_that_panics_is_reported_like_a_panicking_server() {
    let app = || async {
        if std::env::var_os("PACT_TEST_NEVER_SET").is_none() {
            panic!("no DATABASE_URL in the environment");
        }
        Router::new()
    };
    let outcome = verify_within(Duration::from_secs(3), &boot_settings(), app).await;
    assert_eq!(app_error(outcome), "the provider app panicked: no DATABASE_URL in the environment");
}

/// A server that ends with an error before serving fails at once with it. Bound: 3 s, well
/// under the 10 s default boot timeout.
#[tokio::test]
async fn a_listener_function_that_fails_at_once_names_its_error() {
    let address = Arc::new(Mutex::new(None));
    let seen = address.clone();
    let app = move |listener: TcpListener| async move {
        *seen.lock().unwrap() = Some(listener.local_addr().unwrap());
        Err::<(), _>("the config file is missing")
    };
    let settings = settings("AppConsumer-BootService.json", "BootService");
    let message = app_error(verify_within(Duration::from_secs(3), &settings, app).await);
    let address = address.lock().unwrap().expect("the app function ran");
    assert_eq!(
        message,
        format!("the provider app failed: the config file is missing before it accepted connections on {address}")
    );
}

static CLOSED_PORT_FOR_MACRO: std::sync::LazyLock<u16> = std::sync::LazyLock::new(closed_port);

// The generated test panics with the same message; libtest bounds nothing, the 300 ms boot
// timeout does.
#[pact_provider_test(
    provider = "BootService",
    pacts = "fixtures/diagnostics/app/AppConsumer-BootService.json",
    boot_timeout_ms = 300
)]
#[should_panic(expected = "the provider app did not accept connections on 127.0.0.1:")]
async fn a_generated_test_for_a_server_that_is_not_there_fails() -> String {
    format!("http://127.0.0.1:{}", *CLOSED_PORT_FOR_MACRO)
}

// ---- the app crashes mid-run ----

/// How the app dies when `/step/2` is requested.
#[derive(Clone, Copy)]
enum Crash {
    Panic,
    Error,
}

/// Serves `/step/{n}`. `/step/2` makes the server task end (panic or error) and then kills its
/// own connection. A clone of the listening socket stays open, so later connections are still
/// accepted by the kernel and, without the engine's check, would each wait for the request
/// timeout.
fn crashing_app(
    crash: Crash,
    steps: Arc<Mutex<Vec<u32>>>,
    keep_open: Arc<Mutex<Option<std::net::TcpListener>>>,
) -> impl FnOnce(TcpListener) -> futures::future::BoxFuture<'static, Result<(), String>> + Send + 'static {
    move |listener: TcpListener| {
        Box::pin(async move {
            let std_listener = listener.into_std().map_err(|err| err.to_string())?;
            *keep_open.lock().unwrap() = Some(std_listener.try_clone().map_err(|err| err.to_string())?);
            let listener = TcpListener::from_std(std_listener).map_err(|err| err.to_string())?;
            let crashed = Arc::new(tokio::sync::Notify::new());
            let trigger = crashed.clone();
            let router = Router::new().route(
                "/step/{n}",
                get(move |Path(n): Path<u32>| async move {
                    steps.lock().unwrap().push(n);
                    if n == 2 {
                        trigger.notify_one();
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        panic!("the request handler died with the app");
                    }
                    StatusCode::OK
                }),
            );
            tokio::select! {
                served = axum::serve(listener, router) => served.map_err(|err| err.to_string()),
                () = crashed.notified() => match crash {
                    Crash::Panic => panic!("the app lost its database"),
                    Crash::Error => Err("the listener broke".to_string()),
                },
            }
        })
    }
}

async fn crash_run(crash: Crash) -> (VerificationReport, Vec<u32>) {
    let steps = Arc::new(Mutex::new(Vec::new()));
    let keep_open = Arc::new(Mutex::new(None));
    let settings = builder("AppConsumer-CrashService.json", "CrashService")
        .request_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let app = crashing_app(crash, steps.clone(), keep_open.clone());
    let report = verify_within(Duration::from_secs(5), &settings, app).await.unwrap();
    println!("{report}");
    keep_open.lock().unwrap().take();
    let steps = steps.lock().unwrap().clone();
    (report, steps)
}

fn failures(report: &VerificationReport, index: usize) -> Vec<String> {
    report.results[index].failures.iter().map(ToString::to_string).collect()
}

/// The app panics while interaction 2 runs: interaction 2 fails naming the panic, 3 to 5 fail at
/// once without a request. Bound: 5 s, with a 20 s request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_panics_mid_run_fails_the_remaining_interactions_at_once() {
    let (report, steps) = crash_run(Crash::Panic).await;
    assert_eq!(steps, [1, 2], "no request may reach the app after it stopped");
    assert!(report.results[0].passed());
    let second = failures(&report, 1);
    assert!(second[0].starts_with("request failed: GET /step/2: "), "{second:?}");
    assert!(second[0].ends_with(" (the provider app panicked: the app lost its database)"), "{second:?}");
    for index in 2..5 {
        assert_eq!(
            failures(&report, index),
            ["not verified: the provider app panicked: the app lost its database (it stopped during the run, before this interaction)"]
        );
        assert!(matches!(report.results[index].failures[0], Failure::AppStopped { .. }));
        assert!(report.results[index].duration < Duration::from_millis(50), "{:?}", report.results[index].duration);
    }
    assert_eq!(report.counts(), "1 passed, 4 failed");
}

/// The same with a server that returns an error. Bound: 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_whose_server_fails_mid_run_fails_the_remaining_interactions_at_once() {
    let (report, steps) = crash_run(Crash::Error).await;
    assert_eq!(steps, [1, 2]);
    for index in 2..5 {
        assert_eq!(
            failures(&report, index),
            ["not verified: the provider app failed: the listener broke (it stopped during the run, before this interaction)"]
        );
    }
}

// ---- port 0 everywhere ----

static A_STATE_SET: AtomicBool = AtomicBool::new(false);
static B_STATE_SET: AtomicBool = AtomicBool::new(false);

#[provider_state("the shared state is set", provider = "PortServiceA")]
fn shared_state_a() {
    A_STATE_SET.store(true, Ordering::SeqCst);
}

#[provider_state("the shared state is set", provider = "PortServiceB")]
fn shared_state_b() {
    B_STATE_SET.store(true, Ordering::SeqCst);
}

/// Serves `{"provider": name}` once `flag` is set by that provider's own state function.
fn port_app(
    name: &'static str,
    flag: &'static AtomicBool,
    addresses: Arc<Mutex<Vec<SocketAddr>>>,
) -> impl FnOnce(TcpListener) -> futures::future::BoxFuture<'static, std::io::Result<()>> + Send + 'static {
    move |listener: TcpListener| {
        Box::pin(async move {
            addresses.lock().unwrap().push(listener.local_addr()?);
            let router = Router::new().route(
                "/state",
                get(move || async move {
                    if flag.load(Ordering::SeqCst) {
                        Json(json!({ "provider": name })).into_response()
                    } else {
                        (StatusCode::PRECONDITION_FAILED, Json(json!({ "provider": null }))).into_response()
                    }
                }),
            );
            axum::serve(listener, router).await
        })
    }
}

/// Two providers verified at once, with the same state text: the runs' apps get their own
/// ephemeral loopback ports, and each provider's state is its own. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_get_their_own_ports_and_states() {
    let addresses = Arc::new(Mutex::new(Vec::new()));
    let a = settings("AppConsumer-PortServiceA.json", "PortServiceA");
    let b = settings("AppConsumer-PortServiceB.json", "PortServiceB");
    let (a, b) = tokio::join!(
        verify_within(Duration::from_secs(10), &a, port_app("PortServiceA", &A_STATE_SET, addresses.clone())),
        verify_within(Duration::from_secs(10), &b, port_app("PortServiceB", &B_STATE_SET, addresses.clone())),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_success(), "{}", a.failure_summary());
    assert!(b.is_success(), "{}", b.failure_summary());
    let addresses = addresses.lock().unwrap().clone();
    assert_eq!(addresses.len(), 2);
    assert_ne!(addresses[0].port(), addresses[1].port());
    assert!(addresses.iter().all(|address| address.ip().is_loopback() && address.port() != 0), "{addresses:?}");

    let endpoints = [
        StateEndpoint::start(StateRegistry::for_provider("PortServiceA"), "/s", Duration::from_secs(1)).await.unwrap(),
        StateEndpoint::start(StateRegistry::for_provider("PortServiceA"), "/s", Duration::from_secs(1)).await.unwrap(),
    ];
    let ports: Vec<u16> = endpoints.iter().map(|endpoint| endpoint.address().port()).collect();
    assert!(endpoints.iter().all(|endpoint| endpoint.address().ip().is_loopback()));
    assert!(ports[0] != 0 && ports[1] != 0 && ports[0] != ports[1], "{ports:?}");
}

static ROUTER_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Many runs of the router form at once: no port is ever taken twice. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_router_runs_never_collide() {
    let settings = settings("AppConsumer-BootService.json", "BootService");
    let runs = (0..8).map(|_| {
        verify_within(Duration::from_secs(10), &settings, || async {
            ROUTER_RUNS.fetch_add(1, Ordering::SeqCst);
            Router::new().route("/health", get(|| async { StatusCode::OK }))
        })
    });
    for report in futures::future::join_all(runs).await {
        let report = report.unwrap();
        assert!(report.is_success(), "{}", report.failure_summary());
    }
    assert_eq!(ROUTER_RUNS.load(Ordering::SeqCst), 8);
}

/// `verify_provider` is `Send`, so a run can go on its own task next to other work (the
/// liveness probe and the provider lock must not change that). Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_can_be_spawned_on_its_own_task() {
    let settings = settings("AppConsumer-BootService.json", "BootService");
    let run = tokio::spawn(async move {
        verify_provider(&settings, || async { Router::new().route("/health", get(|| async { StatusCode::OK })) }).await
    });
    let report = tokio::time::timeout(Duration::from_secs(10), run).await.expect("finished within 10 s").unwrap();
    assert!(report.unwrap().is_success());
}
