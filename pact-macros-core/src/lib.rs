//! The expansion logic of `pact-runtime`'s attributes, on `proc_macro2` token streams, so it can
//! be unit-tested without a compiler. `pact-macros` is only the `#[proc_macro_attribute]` entry
//! points that call these functions.
//!
//! Do not depend on this crate: depend on `pact-runtime`, which re-exports the attributes and
//! documents them.
//!
//! Every function here answers a token stream, never an error: on a mistake it emits the
//! function as written beside a `compile_error!` for each mistake found, so one build reports
//! them all and the rest of the crate keeps type-checking.
#![deny(missing_docs)]

use proc_macro2::TokenStream;

mod args;
mod expand;
mod hooks;
mod message;
mod provider_state;
mod provider_test;
mod registering;

#[cfg(test)]
mod tests;

/// `#[provider_state("...")]`: registers a provider-state function. Documented in
/// `pact_runtime::provider_state`.
pub fn provider_state(args: TokenStream, item: TokenStream) -> TokenStream {
    registering::expand::<provider_state::ProviderState>(args, item)
}

/// `#[pact_provider_test]`: generates a provider verification test. Documented in
/// `pact_runtime::pact_provider_test`.
pub fn pact_provider_test(args: TokenStream, item: TokenStream) -> TokenStream {
    provider_test::expand(args, item)
}

/// `#[before_each]`: runs a function before each interaction. Documented in
/// `pact_runtime::before_each`.
pub fn before_each(args: TokenStream, item: TokenStream) -> TokenStream {
    registering::expand::<hooks::BeforeEach>(args, item)
}

/// `#[after_each]`: runs a function after each interaction. Documented in
/// `pact_runtime::after_each`.
pub fn after_each(args: TokenStream, item: TokenStream) -> TokenStream {
    registering::expand::<hooks::AfterEach>(args, item)
}

/// `#[request_filter]`: changes every request to the provider. Documented in
/// `pact_runtime::request_filter`.
pub fn request_filter(args: TokenStream, item: TokenStream) -> TokenStream {
    registering::expand::<hooks::RequestFilter>(args, item)
}

/// `#[message("...")]`: registers a message producer. Documented in `pact_runtime::message`.
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    registering::expand::<message::Message>(args, item)
}
