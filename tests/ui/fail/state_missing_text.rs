use pact_runtime::provider_state;

#[provider_state(provider = "UserService")]
fn a_user_exists() {}

fn main() {}
