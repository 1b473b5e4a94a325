use pact_runtime::provider_state;

#[provider_state("  ")]
fn nothing() {}

fn main() {}
