//! Verifies the user service against its consumer's pact, offline.

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

#[pact_provider_test(provider = "UserService", pacts = "pacts")]
async fn user_service_honours_its_pacts() -> axum::Router {
    app(STORE.clone())
}
