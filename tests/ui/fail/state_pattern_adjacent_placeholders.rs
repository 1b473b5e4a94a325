use pact_runtime::provider_state;

#[provider_state("order {first}{last} exists")]
fn order_exists(first: String, last: String) {
    let _ = (first, last);
}

fn main() {}
