use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService", pact_dir = "pacts")]
async fn verify() -> axum::Router {
    axum::Router::new()
}

fn main() {}
