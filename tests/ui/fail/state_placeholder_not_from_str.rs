use pact_runtime::provider_state;

struct UserId(u64);

#[provider_state("user {id} exists")]
fn user_exists(id: UserId) {
    let _ = id.0;
}

fn main() {}
