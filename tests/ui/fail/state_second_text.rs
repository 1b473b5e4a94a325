use pact_runtime::provider_state;

#[provider_state("a user exists", "an admin exists")]
fn a_user_exists() {}

fn main() {}
