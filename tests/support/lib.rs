//! Shared helpers for pact-runtime's integration tests and benchmarks.

pub mod users;
