//! The provider states every web-stack example shares. Each test file is its own binary with
//! its own `STORE`, so the states need no `provider = ...` scope.

use std::sync::LazyLock;

use pact_runtime::provider_state;
use web_stacks::Greetings;

/// The greetings the app under test reads and the states change.
pub static STORE: LazyLock<Greetings> = LazyLock::new(Greetings::default);

#[provider_state("a greeting for {name} exists")]
fn a_greeting_exists(name: String) {
    STORE.add(&name);
}

#[provider_state("no greeting for {name} exists")]
fn no_greeting_exists(name: String) {
    STORE.remove(&name);
}
