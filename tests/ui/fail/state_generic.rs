use pact_runtime::provider_state;

#[provider_state("user {id} exists")]
fn user_exists<T: std::str::FromStr>(id: T) {
    let _ = id;
}

fn main() {}
