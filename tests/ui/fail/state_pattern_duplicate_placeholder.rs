use pact_runtime::provider_state;

#[provider_state("user {id} follows user {id}")]
fn user_follows(id: u64) {
    let _ = id;
}

fn main() {}
