use pact_runtime::provider_state;

#[provider_state("a user exists")]
fn a_user_exists() -> i32 {
    42
}

fn main() {}
