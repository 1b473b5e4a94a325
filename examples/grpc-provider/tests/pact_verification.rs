//! The user service verified against its consumers' pacts through the Pact protobuf plugin: the
//! gRPC calls against the tonic app, and the `UserCreated` event from its `#[message]` function.
//!
//! `pact-runtime`'s `plugins` feature verifies them; the plugin is found in `$PACT_PLUGIN_DIR`
//! (this workspace's `.cargo/config.toml` points it at `target/pact-plugins`, where the
//! `pact-test-plugins` dev-dependency installs the vendored plugin when it builds; a provider's
//! CI installs it with `pact-plugin-cli install protobuf`).

use std::sync::LazyLock;

use grpc_provider::{app, user_created_event, UserStore, USER_CREATED_CONTENT_TYPE};
use pact_runtime::{message, pact_provider_test, provider_state, Message};

/// The store the app under test reads and the states change.
static STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    grpc_provider::user_exists(&STORE, id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    grpc_provider::user_does_not_exist(&STORE, id);
}

/// The event the service publishes for a stored user, protobuf-encoded.
#[message("a UserCreated event for user {id}")]
fn user_created(id: u64) -> Result<Message, String> {
    let user = STORE.get(id).ok_or_else(|| format!("no user {id} in the store"))?;
    Ok(Message::bytes(USER_CREATED_CONTENT_TYPE, user_created_event(user, "2026-01-01T00:00:00Z")))
}

#[pact_provider_test(provider = "UserService", pacts = "pacts")]
async fn user_service_honours_its_pacts() -> tonic::transport::server::Router {
    app(STORE.clone())
}
