use pact_runtime::{after_each, before_each, request_filter, ProviderRequest};

#[before_each(consumer = "Web")]
fn reset() {}

#[after_each("a user exists")]
fn clean() {}

#[request_filter(provider = 42)]
fn add_auth(request: &mut ProviderRequest) {
    let _ = request;
}

fn main() {}
