use pact_runtime::{message, Message};

#[message("an order created event", topic = "orders")]
fn order_created() -> Message {
    Message::text("created")
}

fn main() {}
