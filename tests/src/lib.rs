//! Shared helpers for pact-runtime's integration tests and benchmarks.
