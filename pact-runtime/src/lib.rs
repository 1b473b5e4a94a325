//! Pact provider verification for Rust web apps.
//!
//! Annotate provider-state functions with [`provider_state`], write one
//! [`pact_provider_test`], and `cargo test` boots your app, serves a provider-state endpoint,
//! and verifies the app against your pacts with a fast engine built from Pact's own matching.
//!
//! # Quickstart
//!
//! ```no_run
//! use pact_runtime::{pact_provider_test, provider_state};
//!
//! #[provider_state("user {id} exists")]
//! async fn user_exists(id: u64) {
//!     // insert user `id` into the store the app reads
//! # let _ = id;
//! }
//!
//! #[provider_state("user {id} doesn't exist")]
//! fn user_missing(id: u64) {
//!     // make sure user `id` is absent
//! # let _ = id;
//! }
//!
//! #[pact_provider_test(provider = "UserService", pacts = "pacts")]
//! async fn verify_user_service() -> axum::Router {
//!     axum::Router::new() // your app
//! }
//! ```
//!
//! # How a run goes
//!
//! 1. [`config`]: attribute options, overridden by environment variables.
//! 2. [`engine::sources`]: pacts are read from files, directories or URLs.
//! 3. [`registry`]: the `#[provider_state]` functions for the provider are collected and
//!    checked for overlaps.
//! 4. [`state_endpoint`]: a loopback HTTP server serves the standard state-change protocol.
//! 5. [`app`]: the provider boots on an ephemeral port.
//! 6. [`engine`]: every interaction is verified with one pooled client.
//! 7. [`report`]: a line per interaction, and a failure summary naming every failure.

#![deny(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]

pub mod app;
pub mod broker;
pub mod config;
pub mod engine;
pub(crate) mod redact;
pub mod registry;
pub mod report;
mod runner;
pub mod state_endpoint;

pub use config::{ProviderTestSpec, Settings};
pub use registry::StateValues;
pub use report::{Failure, InteractionResult, VerificationReport};
pub use runner::{run_provider_test, verify_provider, RunError};

/// Registers a provider-state function.
///
/// The attribute takes the state text as the pact writes it, with optional `{placeholders}`,
/// and these options:
///
/// | option | meaning |
/// |---|---|
/// | `provider = "Name"` | serve this state only when verifying provider `Name` (unscoped states serve every provider; a scoped state wins over an unscoped one) |
/// | `teardown` | run after the interaction instead of before it |
/// | `crate = "path"` | where `pact_runtime` is, if you renamed it |
///
/// # Arguments
///
/// The runtime resolves each argument by its name and type; the macro does not look at types:
///
/// - an argument named like a `{placeholder}` is parsed from the captured text with `FromStr`;
/// - any other argument is deserialised from the state's params object: a
///   `serde_json::Map<String, Value>`, a `HashMap<String, Value>`, or your own
///   `#[derive(Deserialize)]` struct.
///
/// # Matching rules
///
/// - `user {id} exists` serves the state `user 42 exists` (`id` = `"42"`). Each placeholder
///   captures at least one character; `{{` and `}}` are literal braces.
/// - It also serves the V3 state `user exists` with params `{"id": 42}`: the pattern's text
///   with its placeholders taken out, when the params hold every placeholder.
/// - An empty state text is a no-op. A teardown with no function is a no-op.
/// - Two functions that serve the same state for the same provider are an error before any
///   interaction runs, listing both locations.
///
/// # Return values
///
/// `()`, `Result<T, E: Display>` (an `Err` fails the interaction with its message),
/// `Option<T>`, or values for `fromProviderState` generators: a `serde_json::Map`, a
/// `HashMap<String, _>`, or [`StateValues`] around any `Serialize` struct. Returned values are
/// merged over the params.
///
/// ```
/// use pact_runtime::{provider_state, StateValues};
/// use serde_json::{Map, Value};
///
/// #[provider_state("a user exists")]
/// async fn a_user_exists(params: Map<String, Value>) -> Result<(), String> {
///     params.get("name").map(|_| ()).ok_or_else(|| "no name given".to_string())
/// }
///
/// #[derive(serde::Serialize)]
/// struct Created { id: u64 }
///
/// #[provider_state("an order {order} exists", provider = "OrderService")]
/// fn an_order_exists(order: u32) -> StateValues<Created> {
///     StateValues(Created { id: u64::from(order) })
/// }
///
/// #[provider_state("an order {order} exists", teardown)]
/// fn remove_order(order: u32) {
/// # let _ = order;
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use pact_macros::provider_state;

/// Generates a `#[test]` that boots the provider and verifies it against pacts.
///
/// It goes on an `async fn` that builds the provider, in one of these forms (see [`app`]):
///
/// - `async fn() -> axum::Router`: the router is served on an ephemeral loopback port;
/// - `async fn(tokio::net::TcpListener)`: serve on the listener (any tokio server);
/// - `async fn() -> String`: the base URL of a server that is already running.
///
/// Options (every one can be overridden by an environment variable, see [`config`]):
///
/// | option | meaning |
/// |---|---|
/// | `provider = "Name"` | the provider to verify (default: the one the pacts name) |
/// | `pacts = "..."` | a pact file, a directory or an `http(s)://` URL; repeat for more (default: `pacts`) |
/// | `state_path = "/..."` | path of the state endpoint (default: `/_pact/provider_states`) |
/// | `boot_timeout_ms = N` | how long the app may take to accept connections (default: 10000) |
/// | `crate = "path"` | where `pact_runtime` is, if you renamed it |
///
/// The test prints a report with a line per interaction and fails with a summary naming every
/// failing interaction: consumer, description, states and mismatches.
///
/// ```no_run
/// use pact_runtime::pact_provider_test;
///
/// #[pact_provider_test(provider = "UserService", pacts = "pacts/consumer-UserService.json")]
/// async fn serves_on_listener(listener: tokio::net::TcpListener) -> std::io::Result<()> {
///     axum::serve(listener, axum::Router::new()).await
/// }
///
/// #[pact_provider_test(provider = "UserService")]
/// async fn already_running() -> String {
///     "http://127.0.0.1:8080".to_string()
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use pact_macros::pact_provider_test;

/// Installs ring as the process-wide rustls crypto provider, unless one is installed already.
/// `pact_verifier`'s reqwest is built without a provider and panics without one.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// What the macros expand to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::config::ProviderTestSpec;
    pub use crate::registry::arguments::{params_argument, placeholder_argument};
    pub use crate::registry::{
        IntoStateValues, SourceLocation, StateAction, StateCall, StateFuture, StateRegistration,
    };
    pub use crate::runner::run_provider_test;

    /// Type-checks a `#[pact_provider_test]` function in every build, not only under `cargo test`.
    pub fn assert_provider_app<Form, App: crate::app::ProviderApp<Form>>(_app: App) {}
    pub use inventory;
}
