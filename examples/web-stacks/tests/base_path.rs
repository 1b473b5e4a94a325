//! A base path: the API is mounted under `/api`, and `base_path = "/api"` prefixes every
//! request path in the pact with it (`PACT_PROVIDER_BASE_PATH` overrides it).

mod common;

use common::STORE;
use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "GreetingService", pacts = "pacts", base_path = "/api")]
async fn api_under_base_path_honours_the_pact() -> axum::Router {
    axum::Router::new().nest("/api", web_stacks::app(STORE.clone()))
}
