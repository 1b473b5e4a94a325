use pact_runtime::provider_state;

#[provider_state("a user exists", teardown = "x")]
fn remove_user() {}

fn main() {}
