//! Test support, never published: installs the Pact plugins that this workspace's tests and
//! examples use into `$PACT_PLUGIN_DIR` (the workspace's `.cargo/config.toml` sets it to
//! `target/pact-plugins`), never into the user's `~/.pact/plugins`.
//!
//! [`protobuf_plugin`] builds the vendored `vendor/pact-protobuf-plugin` (pactflow's
//! pact-protobuf-plugin) with cargo and installs it, with a `protoc` from the
//! `protoc-bin-vendored` crate, as `$PACT_PLUGIN_DIR/protobuf-<version>/`.

mod install;

pub use install::{PROTOBUF_PLUGIN_NAME, PROTOBUF_PLUGIN_VERSION};

/// The protobuf plugin's directory in `$PACT_PLUGIN_DIR`. This crate's build script built and
/// installed it (it reinstalls when the vendored source changes or the binary goes); when it is
/// not there, it is built and installed now (a cold build takes minutes).
pub fn protobuf_plugin() -> Result<std::path::PathBuf, String> {
    match install::installed_protobuf_plugin() {
        Some(dir) => Ok(dir),
        None => install::protobuf_plugin(),
    }
}
