use pact_runtime::provider_state;

#[provider_state("a user exists", consumer = "Web")]
fn a_user_exists() {}

fn main() {}
