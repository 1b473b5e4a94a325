use pact_runtime::provider_state;

#[provider_state("user id} exists")]
fn user_exists() {}

fn main() {}
