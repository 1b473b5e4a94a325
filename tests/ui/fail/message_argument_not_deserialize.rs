use pact_runtime::{message, Message};

struct NotDeserialize;

#[message("an order created event")]
fn order_created(params: NotDeserialize) -> Message {
    let _ = params;
    Message::text("")
}

fn main() {}
