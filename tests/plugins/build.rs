//! Builds and installs the vendored protobuf plugin when this crate builds, so that every test
//! and example that depends on it finds the plugin in `$PACT_PLUGIN_DIR` from its first line,
//! and no test (nor a provider app's boot timeout) waits minutes on a cold plugin build.

#[allow(dead_code)] // the library's memoised entry point and its helpers for tests
#[path = "src/install.rs"]
mod install;

fn main() {
    let vendored = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vendor/pact-protobuf-plugin");
    for source in ["src", "Cargo.toml", "Cargo.lock", "build.rs", "pact-plugin.json"] {
        println!("cargo:rerun-if-changed={}", vendored.join(source).display());
    }
    println!("cargo:rerun-if-changed=src/install.rs");
    for variable in ["PACT_PLUGIN_DIR", "PACT_TEST_PLUGINS_TARGET_DIR"] {
        println!("cargo:rerun-if-env-changed={variable}");
    }
    match install::protobuf_plugin() {
        // Installed again when the installed binary goes (a deleted plugin directory).
        Ok(dir) => println!("cargo:rerun-if-changed={}", dir.join("pact-protobuf-plugin").display()),
        Err(error) => panic!("cannot build and install the vendored protobuf plugin: {error}"),
    }
}
