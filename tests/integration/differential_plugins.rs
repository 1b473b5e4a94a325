//! Differential test through Pact plugins: the gRPC example's pacts (a gRPC call through the
//! protobuf plugin built from `vendor/`, and a protobuf message) verified by our run
//! (`verify_provider`, states in-process) and by `pact_verifier` with its `plugins` feature
//! (states through `StateServer`, the gRPC call to the same tonic app), against the faithful and
//! the broken service: the verdict of every interaction must be the same.
//!
//! A binary of its own: `pact_verifier` shuts every plugin of the process down when a run ends,
//! so no other run may share the process with these.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use grpc_provider::{app, broken_app, UserStore};
use pact_runtime::{message, provider_state, verify_provider, Message, Settings, StateServer};
use pact_verifier::callback_executors::{HttpRequestProviderStateExecutor, NullRequestFilterExecutor};
use pact_verifier::{FilterInfo, ProviderInfo, ProviderTransport, VerificationOptions};

const PROVIDER: &str = "UserService";
const TIMEOUT: Duration = Duration::from_secs(20);

static STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);
static BROKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    grpc_provider::user_exists(&STORE, id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    grpc_provider::user_does_not_exist(&STORE, id);
}

/// The event the service publishes when a user is created; the broken service leaves out
/// the creation time.
#[message("a UserCreated event for user 42")]
fn user_created() -> Message {
    let created_at =
        if BROKEN.load(std::sync::atomic::Ordering::SeqCst) { "yesterday" } else { "2026-01-01T00:00:00Z" };
    Message::bytes(
        grpc_provider::USER_CREATED_CONTENT_TYPE,
        grpc_provider::user_created_event(grpc_provider::ada_lovelace(42), created_at),
    )
}

type Verdicts = BTreeMap<(String, String), bool>;

fn pacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/grpc-provider/pacts")
}

fn pact_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(pacts_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    files.sort();
    files
}

async fn ours(broken: bool) -> Verdicts {
    BROKEN.store(broken, std::sync::atomic::Ordering::SeqCst);
    let mut builder = Settings::builder().provider(PROVIDER).request_timeout(TIMEOUT);
    for file in pact_files() {
        builder = builder.pacts(file);
    }
    let settings = builder.build().expect("valid settings");
    let report = if broken {
        verify_provider(&settings, || async { broken_app(STORE.clone()) }).await
    } else {
        verify_provider(&settings, || async { app(STORE.clone()) }).await
    }
    .expect("our run starts");
    println!("{report}");
    report
        .results
        .into_iter()
        .map(|result| ((result.consumer, result.description), result.failures.is_empty()))
        .collect()
}

async fn pact_verifiers(broken: bool) -> Verdicts {
    BROKEN.store(broken, std::sync::atomic::Ordering::SeqCst);
    let endpoint = StateServer::start(PROVIDER).await.expect("the state endpoint starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = if broken { broken_app(STORE.clone()) } else { app(STORE.clone()) };
    let server = tokio::spawn(router.serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)));
    let transport = |name: &str, port: u16, path: Option<String>| ProviderTransport {
        transport: name.to_string(),
        port: Some(port),
        path,
        scheme: Some("http".to_string()),
    };
    let provider = ProviderInfo {
        name: PROVIDER.to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![
            transport("grpc", port, None),
            transport(
                "message",
                endpoint.port(),
                Some(reqwest::Url::parse(&endpoint.message_url()).unwrap().path().to_string()),
            ),
        ],
        ..ProviderInfo::default()
    };
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        request_timeout: TIMEOUT.as_millis() as u64,
        coloured_output: false,
        ..VerificationOptions::default()
    };
    let executor = Arc::new(HttpRequestProviderStateExecutor {
        state_change_url: Some(endpoint.state_change_url().to_string()),
        state_change_teardown: true,
        state_change_body: true,
        retries: 0,
    });
    let sources = pact_files().iter().map(|file| pact_verifier::PactSource::File(file.display().to_string())).collect();
    let result = pact_verifier::verify_provider_async(
        provider,
        sources,
        FilterInfo::None,
        vec![],
        &options,
        None,
        &executor,
        None,
    )
    .await
    .expect("pact_verifier runs");
    server.abort();
    for line in &result.output {
        println!("{line}");
    }
    result
        .interaction_results
        .into_iter()
        .map(|interaction| ((interaction.consumer, interaction.interaction_description), interaction.result.is_ok()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_and_pact_verifier_agree_on_grpc_and_protobuf_verdicts() {
    pact_test_plugins::protobuf_plugin().expect("the protobuf plugin builds and installs");
    for broken in [false, true] {
        // Ours first: its plugins are shut down when its run ends, before pact_verifier loads them.
        let ours = ours(broken).await;
        let theirs = pact_verifiers(broken).await;
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "verdicts differ (broken: {broken})");
        assert!(
            ours.values().all(|passed| *passed != broken),
            "every interaction passes when faithful and fails when broken: {ours:?}"
        );
    }
}
