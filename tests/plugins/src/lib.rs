//! Test support, never published: installs the Pact plugins that this workspace's tests and
//! examples use into `$PACT_PLUGIN_DIR` (the workspace's `.cargo/config.toml` sets it to
//! `target/pact-plugins`), never into the user's `~/.pact/plugins`.
//!
//! [`protobuf_plugin`] builds the vendored `vendor/pact-protobuf-plugin` (pactflow's
//! pact-protobuf-plugin) with cargo and installs it, with a `protoc` from the
//! `protoc-bin-vendored` crate, as `$PACT_PLUGIN_DIR/protobuf-<version>/`.

mod install;

pub use install::{protobuf_plugin, PROTOBUF_PLUGIN_NAME, PROTOBUF_PLUGIN_VERSION};
