use pact_runtime::provider_state;

#[provider_state("user {id} has {count} orders")]
fn user_has_orders(id: u64) {
    let _ = id;
}

fn main() {}
