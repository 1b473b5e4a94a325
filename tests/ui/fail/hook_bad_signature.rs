use pact_runtime::{before_each, HookContext};

#[before_each]
fn two_arguments(interaction: HookContext, extra: u32) {
    let _ = (interaction, extra);
}

#[before_each]
fn generic<T: Default>() {}

struct Store;

impl Store {
    #[pact_runtime::after_each]
    fn method(&self) {}
}

fn main() {}
