use pact_runtime::provider_state;

#[provider_state("a user exists", provider = 5)]
fn a_user_exists() {}

fn main() {}
