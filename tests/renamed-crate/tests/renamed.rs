//! `pact-runtime` is a dependency named `my_pact` here, and `pact_runtime` does not exist.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::routing::get;
use my_pact::{after_each, before_each, pact_provider_test, provider_state, request_filter};

static SETUPS: AtomicU32 = AtomicU32::new(0);

#[provider_state("the counter is {value}", crate = "my_pact")]
fn counter_is(value: u32) {
    SETUPS.store(value, Ordering::SeqCst);
}

#[before_each(crate = "my_pact")]
fn before() {}

#[after_each(crate = "my_pact")]
fn after() {}

#[request_filter(crate = "my_pact")]
fn filter(request: &mut my_pact::ProviderRequest) {
    let _ = request;
}

#[pact_provider_test(provider = "CounterService", pacts = "pacts", crate = "my_pact")]
async fn counter_service() -> axum::Router {
    axum::Router::new().route("/counter", get(|| async { SETUPS.load(Ordering::SeqCst).to_string() }))
}
