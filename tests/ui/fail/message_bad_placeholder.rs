use pact_runtime::{message, Message};

#[message("a {topic} created event")]
fn created() -> Message {
    Message::text("")
}

#[message("a {topic event")]
fn unclosed() -> Message {
    Message::text("")
}

fn main() {}
