//! Shared helpers for pact-runtime's integration tests and benchmarks.

pub mod broker;
pub mod compat;
pub mod users;
