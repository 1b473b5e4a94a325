use pact_runtime::pact_provider_test;

#[pact_provider_test(harness = true, provider = "UserService")]
async fn verify() -> axum::Router {
    axum::Router::new()
}

fn main() {}
