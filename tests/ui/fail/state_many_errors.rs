use pact_runtime::provider_state;

// Every problem is reported in one pass, not just the first.
#[provider_state("user {id", consumer = "Web", teardown = true, provider = 5)]
fn user_exists<T>((a, b): (T, T)) {
    let _ = (a, b);
}

fn main() {}
