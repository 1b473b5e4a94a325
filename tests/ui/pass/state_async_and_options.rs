//! Sync and async functions, and every option.

use pact_runtime::provider_state;
use serde_json::{Map, Value};

#[provider_state("a user {id} exists")]
async fn async_setup(id: u64) -> Result<(), String> {
    tokio::task::yield_now().await;
    let _ = id;
    Ok(())
}

#[provider_state("a user {id} exists", provider = "UserService")]
fn scoped_setup(id: u64) {
    let _ = id;
}

#[provider_state("a user {id} exists", teardown)]
async fn async_teardown(id: u64) {
    let _ = id;
}

#[provider_state("a user {id} exists", provider = "UserService", teardown)]
fn scoped_teardown(id: u64, params: Map<String, Value>) {
    let _ = (id, params);
}

/// Existing docs stay, with the state appended.
#[provider_state("a `quoted` state with {{literal}} braces", provider = "UserService",)]
#[rustfmt::skip] // keeps the trailing comma
pub(crate) async fn trailing_comma_and_docs() {}

mod nested {
    #[pact_runtime::provider_state("a nested state")]
    pub fn in_a_module() {}
}

fn main() {
    // The annotated functions stay callable as written.
    scoped_setup(1);
    nested::in_a_module();
    let _ = async_setup(1);
    let _ = trailing_comma_and_docs();
}
