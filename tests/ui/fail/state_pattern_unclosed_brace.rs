use pact_runtime::provider_state;

#[provider_state("user {id exists")]
fn user_exists(id: u64) {
    let _ = id;
}

fn main() {}
