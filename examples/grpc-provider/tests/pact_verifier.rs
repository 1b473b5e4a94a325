//! The gRPC pact checked against the real server with `pact_verifier` (the reference verifier)
//! and the protobuf plugin, before pact-runtime verifies it: it must pass against `app` and fail
//! against `broken_app` with the plugin's mismatch.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use grpc_provider::{app, broken_app, user_does_not_exist, user_exists, UserStore, USER_CREATED_CONTENT_TYPE};
use pact_models::provider_states::ProviderState;
use pact_verifier::callback_executors::ProviderStateExecutor;
use pact_verifier::{
    verify_provider_async, FilterInfo, NullRequestFilterExecutor, PactSource, ProviderInfo, ProviderTransport,
    VerificationOptions,
};
use serde_json::Value;
use tonic::transport::server::{Router, TcpIncoming};

const PACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/pacts");

/// One verification at a time: the plugin driver's plugins are process-wide, and the verifier
/// shuts them all down when it finishes.
static VERIFYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The provider states of the pact, set on the store the app reads.
#[derive(Debug)]
struct StoreStates(UserStore);

#[async_trait]
impl ProviderStateExecutor for StoreStates {
    async fn call(
        self: Arc<Self>,
        _interaction_id: Option<String>,
        provider_state: &ProviderState,
        setup: bool,
        _client: Option<&reqwest::Client>,
    ) -> anyhow::Result<HashMap<String, Value>> {
        if setup {
            set_state(&self.0, &provider_state.name)?;
        }
        Ok(HashMap::new())
    }

    fn teardown(&self) -> bool {
        false
    }
}

/// "user {id} exists" and "user {id} doesn't exist".
fn set_state(store: &UserStore, state: &str) -> anyhow::Result<()> {
    let id = |rest: &str| rest.parse::<u64>().map_err(|err| anyhow::anyhow!("state {state:?}: {err}"));
    let user = state.strip_prefix("user ").ok_or_else(|| anyhow::anyhow!("unknown provider state {state:?}"))?;
    if let Some(rest) = user.strip_suffix(" exists") {
        user_exists(store, id(rest)?);
    } else if let Some(rest) = user.strip_suffix(" doesn't exist") {
        user_does_not_exist(store, id(rest)?);
    } else {
        anyhow::bail!("unknown provider state {state:?}");
    }
    Ok(())
}

async fn serve(router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        router.serve_with_incoming(TcpIncoming::from(listener)).await.unwrap();
    });
    (address, server)
}

/// Verifies the UserWebApp pact against `router` (whose store is `store`); returns whether it
/// passed and the verifier's output.
async fn verify(store: UserStore, router: Router) -> (bool, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    pact_test_plugins::protobuf_plugin().expect("install the protobuf plugin");
    let _one_at_a_time = VERIFYING.lock().await;

    let (address, server) = serve(router).await;
    let provider = ProviderInfo {
        name: "UserService".to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![ProviderTransport {
            transport: "grpc".to_string(),
            port: Some(address.port()),
            path: None,
            scheme: None,
        }],
        ..ProviderInfo::default()
    };
    let options = VerificationOptions::<NullRequestFilterExecutor> { coloured_output: false, ..Default::default() };
    let result = verify_provider_async(
        provider,
        vec![PactSource::File(format!("{PACTS}/UserWebApp-UserService.json"))],
        FilterInfo::None,
        vec![],
        &options,
        None,
        &Arc::new(StoreStates(store)),
        None,
    )
    .await;
    // The verifier shuts the plugins down when it finishes; this covers its early returns.
    pact_plugin_driver::plugin_manager::shutdown_plugins();
    server.abort();

    let result = result.expect("the verification ran");
    (result.result, result.output.join("\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_honours_the_grpc_pact() {
    let store = UserStore::default();
    let (passed, output) = verify(store.clone(), app(store)).await;
    assert!(passed, "{output}");
    assert!(output.contains("a request for user 42"), "{output}");
    assert!(output.contains("a request for user 7"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broken_app_fails_with_the_plugins_mismatches() {
    let store = UserStore::default();
    let (passed, output) = verify(store.clone(), broken_app(store)).await;
    assert!(!passed, "{output}");
    assert!(output.contains("expected NOT_FOUND but received PERMISSION_DENIED"), "{output}");
    assert!(output.contains("$.email"), "{output}");
}

fn pact(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{PACTS}/{name}")).unwrap()).unwrap()
}

/// Plugin 0.7.1 checks a matcher on grpc-status against the numeric code, so a pact with one
/// fails against every server: the expected status must stay a plain value.
#[test]
fn the_grpc_pact_has_no_matcher_on_the_status() {
    let pact = pact("UserWebApp-UserService.json");
    for interaction in pact["interactions"].as_array().unwrap() {
        for response in interaction["response"].as_array().unwrap() {
            assert!(response["matchingRules"]["metadata"].get("grpc-status").is_none(), "{interaction:#}");
        }
    }
}

#[test]
fn the_message_pact_names_the_content_type_the_lib_uses() {
    let pact = pact("UserEventsConsumer-UserService.json");
    let message = &pact["interactions"][0];
    assert_eq!(message["contents"]["contentType"], USER_CREATED_CONTENT_TYPE);
    assert_eq!(message["metadata"]["contentType"], USER_CREATED_CONTENT_TYPE);
}
