//! Procedural macros for [`pact-runtime`](https://docs.rs/pact-runtime).
//!
//! Do not depend on this crate directly: depend on `pact-runtime`, which re-exports every
//! attribute and documents it. The expansion logic lives in `pact-macros-core`, on
//! `proc_macro2`, so it can be tested without a compiler; each entry point here only delegates.

use proc_macro::TokenStream;

/// Registers a provider-state function. Documented in `pact_runtime::provider_state`.
#[proc_macro_attribute]
pub fn provider_state(args: TokenStream, item: TokenStream) -> TokenStream {
    pact_macros_core::provider_state(args.into(), item.into()).into()
}

/// Generates a provider verification test. Documented in `pact_runtime::pact_provider_test`.
#[proc_macro_attribute]
pub fn pact_provider_test(args: TokenStream, item: TokenStream) -> TokenStream {
    pact_macros_core::pact_provider_test(args.into(), item.into()).into()
}

/// Runs a function before each interaction. Documented in `pact_runtime::before_each`.
#[proc_macro_attribute]
pub fn before_each(args: TokenStream, item: TokenStream) -> TokenStream {
    pact_macros_core::before_each(args.into(), item.into()).into()
}

/// Runs a function after each interaction. Documented in `pact_runtime::after_each`.
#[proc_macro_attribute]
pub fn after_each(args: TokenStream, item: TokenStream) -> TokenStream {
    pact_macros_core::after_each(args.into(), item.into()).into()
}

/// Changes every request to the provider. Documented in `pact_runtime::request_filter`.
#[proc_macro_attribute]
pub fn request_filter(args: TokenStream, item: TokenStream) -> TokenStream {
    pact_macros_core::request_filter(args.into(), item.into()).into()
}

/// Registers a message producer. Documented in `pact_runtime::message`.
#[proc_macro_attribute]
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    pact_macros_core::message(args.into(), item.into()).into()
}
