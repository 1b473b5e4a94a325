use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService", state_path = "_pact/provider_states")]
async fn verify() -> axum::Router {
    axum::Router::new()
}

fn main() {}
