//! The products API verified by a verifier that is not ours: the Pact Foundation's Rust CLI
//! (`pact verifier`). This crate's states come from `StateServer`'s state-change URL and its
//! product event from `StateServer`'s message URL (a `message` transport), while HTTP requests
//! go to the app. Its verdicts must be ours, on the API and on a broken one, in both forms of
//! the state-change protocol.
//!
//! The states are those of `pact_verification.rs`, written again here because each test file is
//! its own binary with its own registered functions; the one teardown is new.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;

use axum::Router;
use pact_broker_double::pact_cli::PactCli;
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{message, provider_state, verify_provider, Message, Settings, StateServer};
use product_provider::{app, product_created_event, Product, ProductRepository, PRODUCTS_TOPIC};

const PROVIDER: &str = "pactflow-example-provider";
const PACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/pacts");
/// The pacts, each with its consumer: the HTTP one, and the one mixing HTTP and a message.
const PACT_FILES: [(&str, &str); 2] = [
    ("pactflow-example-consumer", "pactflow-example-consumer-pactflow-example-provider.json"),
    ("pactflow-example-events-consumer", "pactflow-example-events-consumer-pactflow-example-provider.json"),
];

static PRODUCTS: LazyLock<ProductRepository> = LazyLock::new(ProductRepository::default);
static TEARDOWNS: AtomicUsize = AtomicUsize::new(0);
static EVENTS: AtomicUsize = AtomicUsize::new(0);

#[provider_state("products exist")]
fn products_exist() {
    PRODUCTS.clear();
    PRODUCTS.insert(Product::credit_card("09", "Gem Visa"));
    PRODUCTS.insert(Product::credit_card("10", "28 Degrees"));
}

#[provider_state("a product with ID {id} exists")]
fn a_product_exists(id: String) {
    PRODUCTS.insert(Product::credit_card(&id, "28 Degrees"));
}

#[provider_state("a product with ID {id} exists", teardown)]
fn remove_product(id: String) {
    TEARDOWNS.fetch_add(1, Ordering::SeqCst);
    PRODUCTS.remove(&id);
}

#[provider_state("a product with ID {id} does not exist")]
fn a_product_does_not_exist(id: String) {
    PRODUCTS.remove(&id);
}

#[message("a product created event")]
fn a_product_created_event() -> Result<Message, String> {
    EVENTS.fetch_add(1, Ordering::SeqCst);
    let product = PRODUCTS.get("10").ok_or("product 10 was not set up")?;
    Ok(Message::json(product_created_event(&product)).with_metadata("topic", PRODUCTS_TOPIC))
}

/// An API that reads an empty repository of its own, whatever the states put in the real one.
fn broken_app() -> Router {
    app(ProductRepository::default())
}

async fn serve(router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    (address, tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }))
}

type Verdicts = Vec<(String, bool)>;

/// Our verdicts on `router` per pact (in [`PACT_FILES`] order): each interaction's description
/// and whether it passed, in pact order.
async fn our_verdicts(router: Router) -> Vec<Verdicts> {
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
    PACT_FILES
        .iter()
        .map(|(consumer, _)| {
            let mut results: Vec<_> = report.results.iter().filter(|r| r.consumer == *consumer).collect();
            results.sort_by_key(|r| r.index);
            results.iter().map(|r| (r.description.clone(), r.failures.is_empty())).collect()
        })
        .collect()
}

/// The CLI's verdicts per pact on the app at `app`: states and messages from `states`.
async fn cli_verdicts(cli: &PactCli, app: SocketAddr, states: &StateServer, as_query: bool) -> (bool, Vec<Verdicts>) {
    let http = format!("http:{}", app.port());
    // `message:PORT/PATH`: the message URL's port and path (its secret segment included).
    let message_url = states.message_url();
    let message_path = message_url.split_once("127.0.0.1:").expect("a loopback message URL").1;
    let message = format!("message:{message_path}");
    let mut all_passed = true;
    let mut verdicts = Vec::new();
    for (_, file) in PACT_FILES {
        let path = format!("{PACTS}/{file}");
        let mut args = vec![
            "--file",
            &path,
            "--provider-name",
            PROVIDER,
            "--hostname",
            "127.0.0.1",
            "--transports",
            &http,
            "--transports",
            &message,
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
        all_passed &= verification.run.success;
        verdicts.push(verification.verdicts);
    }
    (all_passed, verdicts)
}

// One test: the repository and the counters are shared by every run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_pact_cli_gives_our_verdicts_through_state_server_and_its_message_url() {
    let Some(cli) = PactCli::get() else { return };
    let states = StateServer::start(PROVIDER).await.unwrap();

    let ours = our_verdicts(app(PRODUCTS.clone())).await;
    assert!(ours.iter().flatten().all(|(_, passed)| *passed), "{ours:?}");
    assert_eq!(ours.iter().map(Vec::len).sum::<usize>(), 5);
    let (good, server) = serve(app(PRODUCTS.clone())).await;
    for as_query in [false, true] {
        let (teardowns, events) = (TEARDOWNS.load(Ordering::SeqCst), EVENTS.load(Ordering::SeqCst));
        let (passed, verdicts) = cli_verdicts(&cli, good, &states, as_query).await;
        assert!(passed, "the CLI failed the API (state change as query: {as_query})");
        assert_eq!(verdicts, ours, "state change as query: {as_query}");
        // Three interactions set up "a product with ID 10 exists" (one in the first pact, the
        // request and the message in the second): all were torn down through our endpoint, and
        // the event came from our message URL.
        assert_eq!(TEARDOWNS.load(Ordering::SeqCst) - teardowns, 3, "state change as query: {as_query}");
        assert_eq!(EVENTS.load(Ordering::SeqCst) - events, 1, "state change as query: {as_query}");
    }
    server.abort();

    let ours = our_verdicts(broken_app()).await;
    // Every HTTP interaction that needs a product fails; the 404 one and the event still pass.
    let passing: Vec<_> = ours.iter().flatten().filter(|(_, passed)| *passed).map(|(d, _)| d.as_str()).collect();
    assert_eq!(passing, ["a request to get a product", "a product created event"], "{ours:?}");
    let (broken, server) = serve(broken_app()).await;
    for as_query in [false, true] {
        let (passed, verdicts) = cli_verdicts(&cli, broken, &states, as_query).await;
        assert!(!passed, "the CLI passed the broken API");
        assert_eq!(verdicts, ours, "state change as query: {as_query}");
    }
    server.abort();
}
