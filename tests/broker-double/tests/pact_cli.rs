//! The Pact Foundation's Rust CLI (`pact`, PyPI `pact-python-cli` 1!0.10.x) against the broker
//! double, as `broker_cli.rs` does with the Ruby `pact-broker` CLI:
//!
//! * the seed pipeline with `pact broker`: publish, verify and publish results (pact-runtime),
//!   can-i-deploy, record-deployment, can-i-deploy to the environment, describe-version,
//!   create-version-tag, can-i-merge, an environment created and listed;
//! * `pact verifier --broker-url`: the pacts it is given for selectors, pending and WIP, and the
//!   results it publishes, against what pact-runtime gets and publishes for the same selectors.
//!
//! The CLI is found through `PACT_CLI` or installed into `target/pact-rust-cli` (see
//! `pact_broker_double::pact_cli`); the tests skip with a message without it, unless
//! `PACT_CLI_REQUIRED=1`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use pact_broker_double::pact_cli::{PactCli, PactCliRun};
use pact_broker_double::{BrokerDouble, BrokerOptions};
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{provider_state, verify_provider, Settings, StateServer, VerificationReport};
use serde_json::{json, Value};

const PROVIDER: &str = "Orders";

// ==================================================================== the provider

/// The orders the app serves; the states fill it.
static ORDERS: LazyLock<Mutex<BTreeSet<u64>>> = LazyLock::new(Mutex::default);
/// The two tests share the store: they take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[provider_state("order {id} exists", provider = "Orders")]
fn order_exists(id: u64) {
    ORDERS.lock().unwrap().insert(id);
}

#[provider_state("order {id} exists", provider = "Orders", teardown)]
fn remove_order(id: u64) {
    ORDERS.lock().unwrap().remove(&id);
}

fn app() -> Router {
    Router::new().route(
        "/orders/{id}",
        get(|Path(id): Path<u64>| async move {
            if ORDERS.lock().unwrap().contains(&id) {
                Json(json!({ "id": id })).into_response()
            } else {
                StatusCode::NOT_FOUND.into_response()
            }
        }),
    )
}

async fn serve(router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    (address, tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }))
}

/// A consumer's pact: one interaction per order id, each needing its order. With `broken`, one
/// more interaction the provider cannot honour (an order no state creates).
fn pact(consumer: &str, ids: &[u64], broken: bool) -> Value {
    let mut interactions: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({
                "description": format!("a request for order {id}"),
                "providerStates": [{ "name": format!("order {id} exists") }],
                "request": { "method": "GET", "path": format!("/orders/{id}") },
                "response": { "status": 200, "body": { "id": id } }
            })
        })
        .collect();
    if broken {
        interactions.push(json!({
            "description": "a request for an order nobody created",
            "request": { "method": "GET", "path": "/orders/99" },
            "response": { "status": 200, "body": { "id": 99 } }
        }));
    }
    json!({
        "consumer": { "name": consumer },
        "provider": { "name": PROVIDER },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    })
}

/// pact-runtime verifying `Orders` against the broker with `options`.
async fn verify_with_pact_runtime(
    broker: &BrokerDouble,
    options: &'static [(&'static str, &'static str)],
) -> VerificationReport {
    let spec = ProviderTestSpec { test_name: "pact_cli::ours", manifest_dir: env!("CARGO_MANIFEST_DIR"), options };
    let url = broker.url();
    let settings = Settings::resolve_with(&spec, |name| (name == "PACT_BROKER_BASE_URL").then(|| url.clone())).unwrap();
    let report = verify_provider(&settings, || async { app() }).await.unwrap();
    println!("{report}");
    report
}

async fn broker_command<S: AsRef<str>>(cli: &PactCli, broker: &BrokerDouble, args: &[S]) -> PactCliRun {
    let url = broker.url();
    let mut full = vec!["broker"];
    full.extend(args.iter().map(AsRef::as_ref));
    full.extend_from_slice(&["--broker-base-url", &url]);
    cli.run(&full).await
}

fn output(run: &PactCliRun) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

// ==================================================================== the seed pipeline

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_pipeline_with_the_rust_pact_broker_cli() {
    let Some(cli) = PactCli::get() else { return };
    let _serial = SERIAL.lock().await;
    let broker = BrokerDouble::start(BrokerOptions::new()).await.unwrap();
    let run = |args: &'static [&'static str]| broker_command(&cli, &broker, args);

    // An environment, created and listed.
    let created = run(&["create-environment", "--name", "production", "--production"]).await;
    assert!(created.success && created.stdout.contains("Created production environment"), "{}", output(&created));
    let listed = run(&["list-environments"]).await;
    assert!(listed.success && listed.stdout.contains("production"), "{}", output(&listed));
    let listed = run(&["list-environments", "--output", "json"]).await;
    let environments: Value = serde_json::from_str(&listed.stdout).expect("list-environments --output json");
    assert_eq!(environments["_embedded"]["environments"][0]["production"], true, "{environments}");

    // 1. The consumer publishes.
    let file = std::env::temp_dir().join(format!("pact-cli-{}-Web-Orders.json", std::process::id()));
    std::fs::write(&file, pact("Web", &[1], false).to_string()).unwrap();
    let file_arg = file.display().to_string();
    let published = broker_command(
        &cli,
        &broker,
        &["publish", &file_arg, "--consumer-app-version", "1.0.0", "--branch", "main", "--tag", "dev"],
    )
    .await;
    std::fs::remove_file(&file).ok();
    assert!(published.success, "{}", output(&published));
    // It prints the broker's notices (from the response's `logs`); a field it misses is a
    // warning and its own generic line instead.
    assert!(
        published.stdout.contains("Pact published for Web version 1.0.0 and provider Orders."),
        "{}",
        published.stdout
    );
    assert!(!output(&published).contains("Warning"), "{}", output(&published));
    let pacts = broker.pacts();
    assert_eq!(pacts.len(), 1);
    assert_eq!((pacts[0].branches.clone(), pacts[0].tags.clone()), (vec!["main".into()], vec!["dev".into()]));

    // Tags and describing versions.
    let tagged = run(&["create-version-tag", "--pacticipant", "Web", "--version", "1.0.0", "--tag", "prod"]).await;
    assert!(tagged.success, "{}", output(&tagged));
    assert_eq!(broker.pacts()[0].tags, ["dev", "prod"]);
    let missing = run(&["create-version-tag", "--pacticipant", "Web", "--version", "9.9.9", "--tag", "prod"]).await;
    assert!(!missing.success, "tagging a version that doesn't exist fails: {}", output(&missing));
    let described = run(&["describe-version", "--pacticipant", "Web", "--version", "1.0.0"]).await;
    assert!(described.success && described.stdout.contains("1.0.0"), "{}", output(&described));
    assert!(described.stdout.contains("dev") && described.stdout.contains("prod"), "{}", output(&described));
    let latest = run(&["describe-version", "--pacticipant", "Web", "--output", "json"]).await;
    let version: Value = serde_json::from_str(&latest.stdout).expect("describe-version --output json");
    assert_eq!(version["number"], "1.0.0", "{version}");

    // Nothing verified yet: can-i-deploy and can-i-merge say no.
    const TO_PRODUCTION: &[&str] =
        &["can-i-deploy", "--pacticipant", "Web", "--version", "1.0.0", "--to-environment", "production"];
    let no = run(TO_PRODUCTION).await;
    assert!(!no.success && no.stdout.contains("Computer says no"), "{}", output(&no));
    const MERGE: &[&str] = &["can-i-merge", "--pacticipant", "Web", "--version", "1.0.0"];
    let no = run(MERGE).await;
    assert!(!no.success && no.stdout.contains("Computer says no"), "{}", output(&no));

    // An earlier build of the same provider version failed. The Rust CLI asks the matrix for
    // `latestby=cvpv` (the Ruby CLI for `cvp`): the latest result per consumer and provider
    // version decides, so the success below must outweigh it.
    broker.record_verification(PROVIDER, "2.0.0", "Web", "1.0.0", false, Some("main"), &[]).unwrap();

    // 2. The provider verifies and publishes (pact-runtime), on its main branch.
    let report = verify_with_pact_runtime(
        &broker,
        &[
            ("provider", PROVIDER),
            ("publish", "true"),
            ("provider_version", "2.0.0"),
            ("provider_branch", "main"),
            ("consumer_version_selectors", r#"[{"mainBranch": true}]"#),
        ],
    )
    .await;
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(broker.verification_results().iter().map(|r| r.success).collect::<Vec<_>>(), [false, true]);

    // 3. can-i-deploy the provider, 4. record its deployment, 5. can-i-deploy the consumer.
    const PROVIDER_TO_PRODUCTION: &[&str] =
        &["can-i-deploy", "--pacticipant", PROVIDER, "--version", "2.0.0", "--to-environment", "production"];
    let yes = run(PROVIDER_TO_PRODUCTION).await;
    assert!(yes.success && yes.stdout.contains("Computer says yes"), "{}", output(&yes));
    let deployed =
        run(&["record-deployment", "--pacticipant", PROVIDER, "--version", "2.0.0", "--environment", "production"])
            .await;
    assert!(deployed.success, "{}", output(&deployed));
    assert!(
        deployed.stdout.contains("Recorded deployment of Orders version 2.0.0 to production"),
        "{}",
        deployed.stdout
    );
    let yes = run(TO_PRODUCTION).await;
    assert!(yes.success && yes.stdout.contains("Computer says yes"), "{}", output(&yes));
    assert!(yes.stdout.contains("2.0.0"), "the matrix names the deployed provider version: {}", yes.stdout);
    let mut json_args = TO_PRODUCTION.to_vec();
    json_args.extend(["--output", "json"]);
    let json = broker_command(&cli, &broker, &json_args).await;
    let matrix: Value = serde_json::from_str(&json.stdout).expect("can-i-deploy --output json");
    assert_eq!(matrix["summary"]["deployable"], true, "{matrix}");

    // The consumer's version now merges: the provider's main branch verified it.
    let yes = run(MERGE).await;
    assert!(yes.success && yes.stdout.contains("Computer says yes"), "{}", output(&yes));

    // A version that isn't there is an error, not a yes.
    let unknown =
        run(&["can-i-deploy", "--pacticipant", "Web", "--version", "0.0.1", "--to-environment", "production"]).await;
    assert!(!unknown.success, "{}", output(&unknown));
}

// ==================================================================== pacts for verification

/// Three consumers: Web's main-branch head (never verified: pending), Mobile's deployed version
/// (verified on the provider's main branch: not pending) and its newer main-branch head, and
/// Admin's feature branch (not selected, unverified: WIP), whose pact the provider fails.
fn seed(broker: &BrokerDouble) {
    broker.publish_pact("Web", "1.0.0", Some("main"), &[], pact("Web", &[1], false)).unwrap();
    broker.publish_pact("Mobile", "2.0.0", Some("main"), &[], pact("Mobile", &[2], false)).unwrap();
    broker.record_deployment("Mobile", "2.0.0", "production");
    broker.record_verification(PROVIDER, "1.0.0", "Mobile", "2.0.0", true, Some("main"), &[]).unwrap();
    broker.publish_pact("Mobile", "2.1.0", Some("main"), &[], pact("Mobile", &[2, 3], false)).unwrap();
    broker.publish_pact("Admin", "3.0.0", Some("feat-x"), &[], pact("Admin", &[4], true)).unwrap();
}

/// What a verifier took from the broker and gave back.
#[derive(Debug, PartialEq)]
struct Exchange {
    /// The pact documents it fetched (method and path), sorted.
    pacts_fetched: Vec<String>,
    /// The requests that asked for pacts for verification.
    for_verification: Vec<String>,
    /// The broker's results: consumer, pact content, success, WIP, provider branches and version.
    results: Vec<(String, String, bool, bool, Vec<String>, String)>,
    /// The other requests it made (publishing: the provider, its branch version, the results),
    /// each once, without the index.
    other_requests: BTreeSet<String>,
}

fn exchange(broker: &BrokerDouble) -> Exchange {
    let requests = broker.requests();
    let mut pacts_fetched: Vec<String> = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/pact-version/"))
        .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
        .collect();
    pacts_fetched.sort();
    // Only the POSTs: the Rust verifier GETs the collection first (pact-runtime doesn't), and
    // the double answers that like the real broker, with the default selection.
    let for_verification = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains("for-verification"))
        .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
        .collect();
    let mut results: Vec<_> = broker
        .verification_results()
        .into_iter()
        .map(|r| (r.consumer, r.pact_version_sha, r.success, r.wip, r.provider_branches, r.provider_version))
        .collect();
    results.sort();
    let other_requests = requests
        .iter()
        .filter(|r| !r.path.contains("/pact-version/") || r.path.ends_with("/verification-results"))
        .filter(|r| !r.path.contains("for-verification") && r.path != "/")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    Exchange { pacts_fetched, for_verification, results, other_requests }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_pact_verifier_gets_and_publishes_what_pact_runtime_does() {
    let Some(cli) = PactCli::get() else { return };
    let _serial = SERIAL.lock().await;
    let broker = BrokerDouble::start(BrokerOptions::new()).await.unwrap();

    seed(&broker);
    broker.clear_requests();
    let report = verify_with_pact_runtime(
        &broker,
        &[
            ("provider", PROVIDER),
            ("publish", "true"),
            ("provider_version", "3.0.0"),
            ("provider_branch", "main"),
            ("consumer_version_selectors", r#"[{"mainBranch": true}, {"deployedOrReleased": true}]"#),
            ("enable_pending", "true"),
            ("include_wip_pacts_since", "2020-01-01"),
        ],
    )
    .await;
    assert!(report.is_success(), "WIP and pending failures don't fail the run: {}", report.failure_summary());
    let ours = exchange(&broker);
    // Web 1.0.0, Mobile 2.1.0 (main), Mobile 2.0.0 (deployed), Admin 3.0.0 (WIP).
    assert_eq!(ours.pacts_fetched.len(), 4, "{ours:#?}");
    // One result for each of them, besides the one the seed recorded (Mobile 2.0.0 by 1.0.0).
    assert_eq!(ours.results.iter().filter(|r| r.5 == "3.0.0").count(), 4, "{ours:#?}");
    let wip: Vec<_> = ours.results.iter().filter(|r| r.3).map(|r| (r.0.as_str(), r.2)).collect();
    assert_eq!(wip, [("Admin", false)], "{ours:#?}");
    let our_pending_failures = report.results.iter().filter(|r| r.pending && !r.failures.is_empty()).count();
    assert_eq!(our_pending_failures, 1);

    // The same broker state again, verified by the Rust CLI through StateServer.
    broker.reset();
    seed(&broker);
    broker.clear_requests();
    let states = StateServer::start(PROVIDER).await.unwrap();
    let (app, server) = serve(app()).await;
    let url = broker.url();
    let port = app.port().to_string();
    let verification = cli
        .verify(&[
            "--broker-url",
            &url,
            "--provider-name",
            PROVIDER,
            "--hostname",
            "127.0.0.1",
            "--port",
            &port,
            "--state-change-url",
            states.state_change_url(),
            "--state-change-teardown",
            "--consumer-version-selectors",
            r#"{"mainBranch": true}"#,
            "--consumer-version-selectors",
            r#"{"deployedOrReleased": true}"#,
            "--enable-pending",
            "--include-wip-pacts-since",
            "2020-01-01",
            "--provider-branch",
            "main",
            "--publish",
            "--provider-version",
            "3.0.0",
        ])
        .await;
    server.abort();
    assert!(verification.run.success, "WIP failures don't fail the CLI's run either:\n{}", output(&verification.run));
    assert_eq!(verification.pending_errors, our_pending_failures, "{}", output(&verification.run));
    // The broker's notices about each pact (why it is included, whether it is pending or WIP)
    // reached both verifiers alike.
    assert!(report.notices.iter().any(|n| n.contains("is pending for this version")), "{:#?}", report.notices);
    assert!(report.notices.iter().any(|n| n.contains("work in progress pact")), "{:#?}", report.notices);
    for notice in &report.notices {
        assert!(verification.run.stdout.contains(notice.as_str()), "the CLI did not print {notice:?}");
    }
    let theirs = exchange(&broker);
    assert_eq!(theirs, ours, "the Rust CLI's exchange with the broker (left) differs from pact-runtime's (right)");
    let mut their_verdicts = verification.verdicts;
    let mut our_verdicts: Vec<_> =
        report.results.iter().map(|r| (r.description.clone(), r.failures.is_empty())).collect();
    their_verdicts.sort();
    our_verdicts.sort();
    assert_eq!(their_verdicts, our_verdicts);
}

// ==================================================================== credentials and releases

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_tokens_and_releases_with_the_rust_cli() {
    let Some(cli) = PactCli::get() else { return };
    let file = std::env::temp_dir().join(format!("pact-cli-{}-Mobile-Orders.json", std::process::id()));
    std::fs::write(&file, pact("Mobile", &[5], false).to_string()).unwrap();
    let file_arg = file.display().to_string();
    let publish = ["publish", file_arg.as_str(), "--consumer-app-version", "3.1", "--tag", "beta"];

    // Basic auth: a wrong password is refused and changes nothing; the right one publishes.
    let broker = BrokerDouble::start(BrokerOptions::new().with_basic_auth("ci", "s3cret")).await.unwrap();
    let with_password = |password: &'static str| {
        let mut args = publish.to_vec();
        args.extend(["--broker-username", "ci", "--broker-password", password]);
        args
    };
    let rejected = broker_command(&cli, &broker, &with_password("wrong")).await;
    assert!(!rejected.success, "{}", output(&rejected));
    assert!(!output(&rejected).contains("wrong"), "the password must not be printed: {}", output(&rejected));
    assert!(broker.pacts().is_empty());
    assert!(broker.requests().iter().all(|r| r.status == 401));
    let accepted = broker_command(&cli, &broker, &with_password("s3cret")).await;
    assert!(accepted.success, "{}", output(&accepted));
    assert_eq!(broker.pacts().len(), 1);

    // A bearer token: publish, record a release, describe the version in its environment.
    let broker = BrokerDouble::start(BrokerOptions::new().with_bearer_token("t0ken")).await.unwrap();
    let with_token = |args: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(["--broker-token".to_string(), "t0ken".to_string()]);
        args
    };
    let published = broker_command(&cli, &broker, &with_token(&publish)).await;
    std::fs::remove_file(&file).ok();
    assert!(published.success, "{}", output(&published));
    broker.create_environment("app-store", true);
    let released = broker_command(
        &cli,
        &broker,
        &with_token(&["record-release", "--pacticipant", "Mobile", "--version", "3.1", "--environment", "app-store"]),
    )
    .await;
    assert!(released.success, "{}", output(&released));
    let listed = broker_command(&cli, &broker, &with_token(&["list-environments"])).await;
    assert!(listed.success && listed.stdout.contains("app-store"), "{}", output(&listed));
    let described = broker_command(
        &cli,
        &broker,
        &with_token(&["describe-version", "--pacticipant", "Mobile", "--version", "3.1"]),
    )
    .await;
    assert!(described.success && described.stdout.contains("beta"), "{}", output(&described));
    let no_token = broker_command(&cli, &broker, &["list-environments"]).await;
    assert!(!no_token.success, "no token, no answer: {}", output(&no_token));

    // The released version is what `pact verifier` gets for `deployedOrReleased`, with the token.
    let states = StateServer::start(PROVIDER).await.unwrap();
    let (app, server) = serve(app()).await;
    let (url, port) = (broker.url(), app.port().to_string());
    let _serial = SERIAL.lock().await;
    let verification = cli
        .verify(&[
            "--broker-url",
            &url,
            "--token",
            "t0ken",
            "--provider-name",
            PROVIDER,
            "--hostname",
            "127.0.0.1",
            "--port",
            &port,
            "--state-change-url",
            states.state_change_url(),
            "--consumer-version-selectors",
            r#"{"deployedOrReleased": true}"#,
        ])
        .await;
    server.abort();
    assert!(verification.run.success, "{}", output(&verification.run));
    assert_eq!(verification.verdicts, [("a request for order 5".to_string(), true)]);
}
