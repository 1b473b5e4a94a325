use pact_runtime::provider_state;

#[provider_state("a user exists")]
struct User;

fn main() {}
