//! The same verification as `pact_verification.rs`, with a test per interaction:
//!
//! ```sh
//! cargo test -p user-provider --test pact_interactions -- --list
//! cargo test -p user-provider --test pact_interactions -- "doesn't exist"
//! cargo nextest run -p user-provider --test pact_interactions
//! ```
//!
//! `harness = false` in `Cargo.toml` lets `#[pact_provider_test(harness)]` write this target's
//! `fn main`.

use std::sync::LazyLock;

use pact_runtime::{pact_provider_test, provider_state};
use user_provider::{app, verna_hampton, UserStore};

/// The store the app under test reads and the states change.
static STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    STORE.insert(verna_hampton(id));
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    STORE.remove(id);
}

#[pact_provider_test(harness, provider = "UserService", pacts = "pacts")]
async fn user_service() -> axum::Router {
    app(STORE.clone())
}
