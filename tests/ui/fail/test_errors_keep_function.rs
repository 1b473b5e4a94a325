use pact_runtime::pact_provider_test;

// The function survives a bad attribute, so callers report no "cannot find function".
#[pact_provider_test(provider = 5, boot_timeout_ms = "soon")]
async fn app() -> axum::Router {
    axum::Router::new()
}

fn main() {
    let _ = app();
}
