use pact_runtime::provider_state;

#[provider_state("a user exists", crate = "my pact")]
fn a_user_exists() {}

fn main() {}
