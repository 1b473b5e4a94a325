use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService", unused_states = "ignore")]
async fn verify() -> axum::Router {
    axum::Router::new()
}

fn main() {}
