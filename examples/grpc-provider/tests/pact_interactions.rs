//! The same verification as `pact_verification.rs`, with a test per interaction, gRPC calls and
//! the protobuf event alike:
//!
//! ```sh
//! cargo test -p grpc-provider --test pact_interactions -- --list
//! cargo test -p grpc-provider --test pact_interactions -- "user 7"
//! cargo nextest run -p grpc-provider --test pact_interactions
//! ```
//!
//! `harness = false` in `Cargo.toml` lets `#[pact_provider_test(harness)]` write this target's
//! `fn main`.

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

#[message("a UserCreated event for user {id}")]
fn user_created(id: u64) -> Result<Message, String> {
    let user = STORE.get(id).ok_or_else(|| format!("no user {id} in the store"))?;
    Ok(Message::bytes(USER_CREATED_CONTENT_TYPE, user_created_event(user, "2026-01-01T00:00:00Z")))
}

#[pact_provider_test(harness, provider = "UserService", pacts = "pacts")]
async fn user_service() -> tonic::transport::server::Router {
    app(STORE.clone())
}
