//! axum: the test returns the app's `Router`, and pact-runtime serves it on an ephemeral
//! loopback port. `examples/user-provider` verifies its app the same way.

mod common;

use common::STORE;
use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
async fn axum_router_honours_the_pact() -> axum::Router {
    web_stacks::app(STORE.clone())
}
