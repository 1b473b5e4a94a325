//! `crate = "..."` points the expansion at a renamed `pact_runtime`.

use pact_runtime as my_pact;

#[my_pact::provider_state("a user {id} exists", crate = "my_pact")]
fn user_exists(id: u64) -> my_pact::StateValues<std::collections::BTreeMap<String, u64>> {
    my_pact::StateValues(std::collections::BTreeMap::from([("id".to_string(), id)]))
}

mod deep {
    pub mod path {
        pub use pact_runtime as runtime;
    }
}

#[deep::path::runtime::provider_state("a deep user exists", crate = "deep::path::runtime")]
fn deep_user() {}

#[my_pact::pact_provider_test(provider = "UserService", crate = "my_pact")]
async fn verify_renamed() -> axum::Router {
    axum::Router::new()
}

fn main() {}
