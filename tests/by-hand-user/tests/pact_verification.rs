//! Verifies the item service against its consumer's pact by driving `pact_verifier` by hand:
//! serve the app on a free port, set provider states through a `ProviderStateExecutor`, run
//! `verify_provider_async` and check its result.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use by_hand_user::{app, Item, ItemStore};
use pact_models::provider_states::ProviderState;
use pact_verifier::callback_executors::{NullRequestFilterExecutor, ProviderStateExecutor};
use pact_verifier::{FilterInfo, PactSource, ProviderInfo, ProviderTransport, VerificationOptions};
use serde_json::Value;

/// The store the app under test reads and the states change.
static STORE: LazyLock<ItemStore> = LazyLock::new(ItemStore::default);

/// Sets up the pact's provider states in-process: the state text decides what to insert.
#[derive(Debug)]
struct States;

#[async_trait::async_trait]
impl ProviderStateExecutor for States {
    async fn call(
        self: Arc<Self>,
        _interaction_id: Option<String>,
        state: &ProviderState,
        setup: bool,
        _client: Option<&reqwest::Client>,
    ) -> anyhow::Result<HashMap<String, Value>> {
        if !setup {
            return Ok(HashMap::new());
        }
        if let Some(id) = state.name.strip_prefix("item ").and_then(|rest| rest.strip_suffix(" exists")) {
            STORE.insert(Item { id: id.parse()?, name: "Teapot".into(), price: 2500 });
        } else if state.name == "an item on sale" {
            let param = |name: &str| state.params.get(name).cloned().unwrap_or(Value::Null);
            STORE.insert(Item {
                id: param("id").as_u64().unwrap_or_default(),
                name: param("name").as_str().unwrap_or_default().to_string(),
                price: param("price").as_u64().unwrap_or_default(),
            });
        } else {
            anyhow::bail!("no provider state `{}`", state.name);
        }
        Ok(HashMap::new())
    }

    fn teardown(&self) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_service_honours_its_pacts() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("the app binds");
    let port = listener.local_addr().expect("its address").port();
    let server = tokio::spawn(async move { axum::serve(listener, app(STORE.clone())).await });
    let provider = ProviderInfo {
        name: "ItemService".to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![ProviderTransport {
            transport: "http".to_string(),
            port: Some(port),
            path: None,
            scheme: Some("http".to_string()),
        }],
        ..ProviderInfo::default()
    };
    let pacts = concat!(env!("CARGO_MANIFEST_DIR"), "/pacts");
    let result = pact_verifier::verify_provider_async(
        provider,
        vec![PactSource::Dir(pacts.to_string())],
        FilterInfo::None,
        vec![],
        &VerificationOptions::<NullRequestFilterExecutor>::default(),
        None,
        &Arc::new(States),
        None,
    )
    .await
    .expect("pact_verifier ran");
    server.abort();
    assert_eq!(result.interaction_results.len(), 2, "{}", result.output.join("\n"));
    assert!(result.result, "{}", result.output.join("\n"));
}
