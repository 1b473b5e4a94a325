use pact_runtime::message;

#[message("an order created event")]
struct OrderCreated;

fn main() {}
