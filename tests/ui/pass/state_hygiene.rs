//! Local names that shadow what the expansion uses must not break it.
#![allow(non_snake_case, non_camel_case_types, unused_macros, dead_code)]

use ::pact_runtime::{pact_provider_test, provider_state};

mod std {}
mod core {}
mod tokio {}
mod pact_runtime {}
mod inventory {}
mod serde_json {}
mod pact_runtime_private {}

struct Option;
struct Some;
struct None;
struct Result;
struct Ok;
struct Err;
struct String;
struct Vec;
struct Box;
enum __private {}

fn file() {}
fn line() {}
fn column() {}
fn stringify() {}
fn concat() {}
fn env() {}
fn module_path() {}

macro_rules! stringify {
    ($($t:tt)*) => {
        "shadowed"
    };
}
macro_rules! file {
    () => {
        "shadowed"
    };
}
macro_rules! submit {
    ($($t:tt)*) => {};
}

// Names the expansion binds itself must not collide with the user's argument names.
#[provider_state("user {call} has {__pact_call} and {__pact_argument_0}")]
async fn user_state(call: u64, __pact_call: u32, __pact_argument_0: u8) {
    let _ = (call, __pact_call, __pact_argument_0);
}

// Functions named like the expansion's handler items must still be the ones called.
#[provider_state("a handler state")]
fn __pact_state_handler(__pact_argument_1: ::serde_json::Map<::std::string::String, ::serde_json::Value>) {
    let _ = __pact_argument_1;
}

#[provider_state("state x")]
fn x() {}

#[provider_state("state handler x")]
fn __pact_state_handler_x() {}

#[provider_state("a raw identifier state")]
fn r#type() {}

#[pact_provider_test(provider = "UserService")]
async fn verify() -> axum::Router {
    axum::Router::new()
}

fn main() {}
