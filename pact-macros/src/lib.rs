//! Procedural macros for [`pact-runtime`](https://docs.rs/pact-runtime).
//!
//! Do not depend on this crate directly: depend on `pact-runtime`, which re-exports
//! `#[provider_state]` and `#[pact_provider_test]` and documents them.

use proc_macro::TokenStream;

mod args;
mod expand;
mod hooks;
mod message;
mod provider_state;
mod provider_test;

/// Registers a provider-state function. Documented in `pact_runtime::provider_state`.
#[proc_macro_attribute]
pub fn provider_state(args: TokenStream, item: TokenStream) -> TokenStream {
    provider_state::expand(args.into(), item.into()).into()
}

/// Generates a provider verification test. Documented in `pact_runtime::pact_provider_test`.
#[proc_macro_attribute]
pub fn pact_provider_test(args: TokenStream, item: TokenStream) -> TokenStream {
    provider_test::expand(args.into(), item.into()).into()
}

/// Runs a function before each interaction. Documented in `pact_runtime::before_each`.
#[proc_macro_attribute]
pub fn before_each(args: TokenStream, item: TokenStream) -> TokenStream {
    hooks::expand(hooks::Kind::BeforeEach, args.into(), item.into()).into()
}

/// Runs a function after each interaction. Documented in `pact_runtime::after_each`.
#[proc_macro_attribute]
pub fn after_each(args: TokenStream, item: TokenStream) -> TokenStream {
    hooks::expand(hooks::Kind::AfterEach, args.into(), item.into()).into()
}

/// Changes every request to the provider. Documented in `pact_runtime::request_filter`.
#[proc_macro_attribute]
pub fn request_filter(args: TokenStream, item: TokenStream) -> TokenStream {
    hooks::expand(hooks::Kind::RequestFilter, args.into(), item.into()).into()
}

/// Registers a message producer. Documented in `pact_runtime::message`.
#[proc_macro_attribute]
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    message::expand(args.into(), item.into()).into()
}
