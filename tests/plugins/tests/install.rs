//! The real install: builds the vendored plugin (minutes the first time, then a no-op cargo
//! run) and installs it into $PACT_PLUGIN_DIR (target/pact-plugins under cargo).

use std::path::Path;
use std::process::Command;

use pact_test_plugins::{protobuf_plugin, PROTOBUF_PLUGIN_VERSION};

#[test]
fn installs_the_plugin_with_its_version_and_a_working_protoc() {
    let dir = protobuf_plugin().unwrap();
    assert_eq!(dir.file_name().unwrap(), format!("protobuf-{PROTOBUF_PLUGIN_VERSION}").as_str());
    assert!(dir.starts_with(std::env::var_os("PACT_PLUGIN_DIR").unwrap()), "{}", dir.display());

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pact-plugin.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "protobuf");
    assert_eq!(manifest["version"], PROTOBUF_PLUGIN_VERSION);
    assert!(dir.join(manifest["entryPoint"].as_str().unwrap()).is_file());
    assert!(dir.join("protoc/include/google/protobuf/descriptor.proto").is_file());

    // The plugin runs in its directory and takes ./protoc/bin/protoc from there.
    let protoc =
        Command::new(Path::new(".").join("protoc/bin/protoc")).arg("--version").current_dir(&dir).output().unwrap();
    assert!(protoc.status.success(), "{protoc:?}");
    assert!(String::from_utf8_lossy(&protoc.stdout).starts_with("libprotoc "), "{protoc:?}");

    // Memoised: the same answer, without another build.
    assert_eq!(protobuf_plugin().unwrap(), dir);
}

#[test]
fn parallel_installs_wait_for_each_other() {
    let installer = env!("CARGO_BIN_EXE_pact-test-plugins");
    let children: Vec<_> =
        (0..3).map(|_| Command::new(installer).stdout(std::process::Stdio::piped()).spawn().unwrap()).collect();
    let dirs: Vec<String> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{output:?}");
            String::from_utf8(output.stdout).unwrap()
        })
        .collect();
    assert!(dirs.iter().all(|dir| dir == &dirs[0]), "{dirs:?}");
    let dir = Path::new(dirs[0].trim());
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
