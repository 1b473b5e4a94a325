//! Every form of `#[before_each]`, `#[after_each]` and `#[request_filter]`.

use pact_runtime::{after_each, before_each, request_filter, HookContext, ProviderRequest};

#[before_each]
fn sync_without_context() {}

#[before_each(provider = "UserService")]
async fn async_with_context(interaction: HookContext) -> Result<(), String> {
    tokio::task::yield_now().await;
    let _ = interaction;
    Ok(())
}

#[after_each(provider = "UserService", crate = "pact_runtime")]
fn sync_result() -> Result<(), std::io::Error> {
    Ok(())
}

#[after_each]
async fn async_unit(_: HookContext) {}

/// Two functions of one name, in two modules.
mod other {
    #[pact_runtime::before_each]
    pub fn sync_without_context() {}
}

#[request_filter]
fn add_auth(request: &mut ProviderRequest) {
    request.set_header("Authorization", "Bearer token");
}

#[request_filter(provider = "UserService")]
async fn async_filter(request: &mut ProviderRequest) -> Result<(), String> {
    tokio::task::yield_now().await;
    request.add_query("signed", "yes");
    Ok(())
}

fn main() {
    other::sync_without_context();
    sync_without_context();
}
