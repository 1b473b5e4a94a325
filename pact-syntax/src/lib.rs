//! The syntax that [`pact-runtime`](https://docs.rs/pact-runtime) and its macros share, so
//! that what the macros check when they expand is exactly what the runtime does:
//!
//! - [`options`]: the table of `#[pact_provider_test]` options and the environment variables
//!   that override them;
//! - [`pattern`]: the grammar of provider-state texts with `{placeholders}`.
//!
//! It depends on `std` only. Users depend on `pact-runtime`, never on this crate.

#![deny(missing_docs)]

pub mod options;
pub mod pattern;
