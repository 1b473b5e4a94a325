use pact_runtime::provider_state;

// The function survives a bad attribute, so callers report no "cannot find function".
#[provider_state("user {id} exists", bogus)]
fn user_exists(id: u64) -> u64 {
    id
}

#[provider_state]
fn no_text() -> u64 {
    1
}

fn main() {
    let _ = user_exists(1) + no_text();
}
