//! The user service verified by a verifier that is not ours: the Pact Foundation's Rust CLI
//! (`pact verifier`), with this crate's states served by `StateServer`. Its verdicts must be
//! ours, on the service and on a broken one, in both forms of the state-change protocol.
//!
//! The CLI comes from PyPI's `pact-python-cli` 1!0.10.x (`.ci/run` installs it; see
//! `pact_broker_double::pact_cli`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;

use axum::routing::get;
use axum::Router;
use pact_broker_double::pact_cli::PactCli;
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{provider_state, verify_provider, Settings, StateServer};
use user_provider::{app, verna_hampton, UserStore};

const PROVIDER: &str = "UserService";
const PACT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/pacts/UserServiceClient-UserService.json");

static STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);
static TEARDOWNS: AtomicUsize = AtomicUsize::new(0);

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    STORE.insert(verna_hampton(id));
}

/// Undoes the setup, so the next interaction starts from an empty store.
#[provider_state("user {id} exists", teardown)]
fn remove_user(id: u64) {
    TEARDOWNS.fetch_add(1, Ordering::SeqCst);
    STORE.remove(id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    STORE.remove(id);
}

/// A service that has lost its users: every lookup is a `404`.
fn broken_app() -> Router {
    Router::new().route("/users/{id}", get(|| async { axum::http::StatusCode::NOT_FOUND }))
}

async fn serve(router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    (address, tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }))
}

/// Our verdicts on `router`: each interaction's description and whether it passed, in pact order.
async fn our_verdicts(router: Router) -> Vec<(String, bool)> {
    let spec = ProviderTestSpec {
        test_name: "pact_cli::our_verdicts",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("provider", PROVIDER), ("pacts", "pacts")],
    };
    let settings = Settings::resolve_with(&spec, |_| None).unwrap();
    let report = verify_provider(&settings, move || {
        let router = router.clone();
        async move { router }
    })
    .await
    .unwrap();
    println!("{report}");
    report.results.iter().map(|result| (result.description.clone(), result.failures.is_empty())).collect()
}

/// The CLI's verdicts on the app at `app`, through the state server.
async fn cli_verdicts(
    cli: &PactCli,
    app: SocketAddr,
    states: &StateServer,
    as_query: bool,
) -> (bool, Vec<(String, bool)>) {
    let port = app.port().to_string();
    let mut args = vec![
        "--file",
        PACT,
        "--provider-name",
        PROVIDER,
        "--hostname",
        "127.0.0.1",
        "--port",
        &port,
        "--state-change-url",
        states.state_change_url(),
        "--state-change-teardown",
        "--request-timeout",
        "5000",
    ];
    if as_query {
        args.push("--state-change-as-query");
    }
    let verification = cli.verify(&args).await;
    (verification.run.success, verification.verdicts)
}

// One test: the store and the teardown count are shared by every run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_pact_cli_gives_our_verdicts_through_state_server() {
    let Some(cli) = PactCli::get() else { return };
    let states = StateServer::start(PROVIDER).await.unwrap();

    let ours = our_verdicts(app(STORE.clone())).await;
    assert_eq!(ours, [("a request for user 123".to_string(), true), ("a request for user 123".to_string(), true)]);
    let (good, server) = serve(app(STORE.clone())).await;
    for as_query in [false, true] {
        let before = TEARDOWNS.load(Ordering::SeqCst);
        let (passed, verdicts) = cli_verdicts(&cli, good, &states, as_query).await;
        assert!(passed, "the CLI failed the service (state change as query: {as_query})");
        assert_eq!(verdicts, ours, "state change as query: {as_query}");
        // The one "user 123 exists" interaction was torn down, through our endpoint.
        assert_eq!(TEARDOWNS.load(Ordering::SeqCst) - before, 1, "state change as query: {as_query}");
        assert!(STORE.get(123).is_none(), "the teardown left user 123 behind");
    }
    server.abort();

    let ours = our_verdicts(broken_app()).await;
    assert_eq!(ours, [("a request for user 123".to_string(), false), ("a request for user 123".to_string(), true)]);
    let (broken, server) = serve(broken_app()).await;
    for as_query in [false, true] {
        let (passed, verdicts) = cli_verdicts(&cli, broken, &states, as_query).await;
        assert!(!passed, "the CLI passed the broken service");
        assert_eq!(verdicts, ours, "state change as query: {as_query}");
    }
    server.abort();
}
