use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService", custom_headers = "Authorization Bearer token")]
async fn verify() -> axum::Router {
    axum::Router::new()
}

fn main() {}
