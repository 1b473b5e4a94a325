use pact_runtime::provider_state;

#[provider_state("user {1x} exists")]
fn user_exists() {}

fn main() {}
