use pact_runtime::{message, Message};

#[message]
fn no_description() -> Message {
    Message::text("")
}

#[message("   ", provider = "")]
fn empty_description() -> Message {
    Message::text("")
}

#[message("an order created event", "a second text")]
fn generic<T>() -> Message {
    Message::text("")
}

#[message("an order updated event")]
fn destructured((a, b): (u8, u8)) -> Message {
    Message::text(format!("{a}{b}"))
}

fn main() {
    // The functions are kept as written, so the rest of the crate still type-checks.
    let _ = no_description();
    let _ = empty_description();
}
