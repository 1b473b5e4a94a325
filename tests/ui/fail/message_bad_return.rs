use pact_runtime::message;

#[message("an order created event")]
fn order_created() -> u64 {
    7
}

#[message("an order shipped event")]
fn order_shipped() {}

fn main() {}
