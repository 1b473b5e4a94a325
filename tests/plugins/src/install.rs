//! Building and installing the vendored protobuf plugin: shared by the build script (which
//! installs it when this crate builds, so no test waits on a plugin build) and the library.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The version of the vendored protobuf plugin (its `Cargo.toml`); the installed manifest says
/// this version, which is the one the pacts it writes name.
pub const PROTOBUF_PLUGIN_VERSION: &str = "0.7.1";

/// The plugin's name in its manifest and in pact files.
pub const PROTOBUF_PLUGIN_NAME: &str = "protobuf";

/// Builds (if needed) and installs (if changed) the vendored protobuf plugin into
/// `$PACT_PLUGIN_DIR/protobuf-0.7.1/` and returns that directory.
///
/// The first call in a process does the work and blocks: a cold build of the plugin takes
/// minutes, a warm one is cargo finding nothing to do. Later calls return the first call's
/// answer. Parallel processes (test binaries) are serialised by a lock file in
/// `$PACT_PLUGIN_DIR`, and each installed file is replaced by a rename, so a running plugin
/// never sees a half-written file.
///
/// The plugin is built with `cargo build --locked` (debug profile, no debug info) into
/// `target/pact-protobuf-plugin` of the workspace (`$PACT_TEST_PLUGINS_TARGET_DIR` replaces
/// `target/`).
pub fn protobuf_plugin() -> Result<PathBuf, String> {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED.get_or_init(|| install_protobuf_plugin(std::env::var_os("PACT_PLUGIN_DIR"))).clone()
}

/// The protobuf plugin's directory when it is installed (its manifest and binary are there).
pub fn installed_protobuf_plugin() -> Option<PathBuf> {
    let root = std::env::var_os("PACT_PLUGIN_DIR").filter(|dir| !dir.is_empty())?;
    let dir = std::path::absolute(PathBuf::from(root))
        .ok()?
        .join(format!("{PROTOBUF_PLUGIN_NAME}-{PROTOBUF_PLUGIN_VERSION}"));
    let binary = dir.join(format!("pact-protobuf-plugin{}", std::env::consts::EXE_SUFFIX));
    (dir.join("pact-plugin.json").is_file() && binary.is_file()).then_some(dir)
}

fn workspace_root() -> PathBuf {
    // This crate is tests/plugins/ in the workspace.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vendored_plugin_dir() -> PathBuf {
    workspace_root().join("vendor/pact-protobuf-plugin")
}

/// `$PACT_TEST_PLUGINS_TARGET_DIR` (a plugin build to reuse, as CI's fresh clone does), else
/// the workspace's `target/`. Not `$CARGO_TARGET_DIR`: builds in other target dirs (trybuild's,
/// a clone's) would each build the plugin's ~450 crates again.
fn target_dir() -> PathBuf {
    match std::env::var_os("PACT_TEST_PLUGINS_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target"),
    }
}

fn install_protobuf_plugin(plugin_root: Option<OsString>) -> Result<PathBuf, String> {
    let plugin_root = plugin_root.filter(|dir| !dir.is_empty()).ok_or_else(|| {
        "PACT_PLUGIN_DIR is not set: the protobuf plugin is installed only under $PACT_PLUGIN_DIR, \
         never in the home directory (the workspace's .cargo/config.toml sets it for cargo runs)"
            .to_string()
    })?;
    let plugin_root = std::path::absolute(PathBuf::from(plugin_root))
        .map_err(|err| format!("cannot make PACT_PLUGIN_DIR absolute: {err}"))?;
    fs::create_dir_all(&plugin_root).map_err(|err| io_error("create", &plugin_root, err))?;

    let lock_path = plugin_root.join(format!(".{PROTOBUF_PLUGIN_NAME}-{PROTOBUF_PLUGIN_VERSION}.lock"));
    let lock = File::create(&lock_path).map_err(|err| io_error("create", &lock_path, err))?;
    lock.lock().map_err(|err| io_error("lock", &lock_path, err))?;

    let binary = build_protobuf_plugin(&vendored_plugin_dir(), &target_dir().join("pact-protobuf-plugin"))?;
    let dir = plugin_root.join(format!("{PROTOBUF_PLUGIN_NAME}-{PROTOBUF_PLUGIN_VERSION}"));
    install_files(&binary, &vendored_plugin_dir().join("pact-plugin.json"), &dir)?;
    // The lock is released when `lock` is dropped (and by the OS if the process dies).
    drop(lock);
    Ok(dir)
}

/// Environment variables that cargo sets for the test binary or its build scripts, or that
/// point a build at another target or profile: none of them is meant for the nested build.
fn is_inherited_build_var(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "OUT_DIR",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
    ];
    EXACT.contains(&name) || name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_PROFILE_")
}

/// `cargo build --locked` of the plugin; returns the path of its binary.
fn build_protobuf_plugin(source: &Path, target_dir: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .arg("build")
        .arg("--locked")
        .arg("--manifest-path")
        .arg(source.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(source);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_inherited_build_var) {
            command.env_remove(name);
        }
    }
    // Debug info of the plugin's ~450 dependencies would cost GBs and link time, and nobody
    // debugs the plugin here.
    command.env("CARGO_PROFILE_DEV_DEBUG", "false");

    let described = format!(
        "`{} build --locked --manifest-path {}/Cargo.toml --target-dir {}` (CARGO_PROFILE_DEV_DEBUG=false)",
        Path::new(&cargo).display(),
        source.display(),
        target_dir.display()
    );
    let output = command.output().map_err(|err| format!("cannot run {described}: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "building the protobuf plugin failed: {described} exited with {}; the end of its stderr:\n{}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr), 40)
        ));
    }
    let binary = target_dir.join("debug").join(format!("pact-protobuf-plugin{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        return Err(format!("{described} succeeded but left no binary at {}", binary.display()));
    }
    Ok(binary)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Installs the plugin directory: the binary, the manifest (with the plugin's real version) and
/// `protoc/` (the binary, where the plugin looks first, and the well-known types' `.proto` files).
fn install_files(binary: &Path, vendored_manifest: &Path, dir: &Path) -> Result<(), String> {
    let entry_point = format!("pact-protobuf-plugin{}", std::env::consts::EXE_SUFFIX);
    copy_if_changed(binary, &dir.join(&entry_point), true)?;

    let manifest = fs::read_to_string(vendored_manifest).map_err(|err| io_error("read", vendored_manifest, err))?;
    let manifest = installed_manifest(&manifest, PROTOBUF_PLUGIN_VERSION)
        .map_err(|err| format!("{}: {err}", vendored_manifest.display()))?;
    write_if_changed(manifest.as_bytes(), &dir.join("pact-plugin.json"), false)?;

    let protoc = protoc_bin_vendored::protoc_bin_path().map_err(|err| err.to_string())?;
    let protoc_name = format!("protoc{}", std::env::consts::EXE_SUFFIX);
    copy_if_changed(&protoc, &dir.join("protoc/bin").join(protoc_name), true)?;
    let include = protoc_bin_vendored::include_path().map_err(|err| err.to_string())?;
    copy_tree(&include, &dir.join("protoc/include"))
}

/// The vendored `pact-plugin.json` with `version` set: the repository's manifest says an older
/// version (pactflow's release script sets it), and the driver matches the version pacts name.
fn installed_manifest(vendored: &str, version: &str) -> Result<String, String> {
    let mut manifest: serde_json::Value =
        serde_json::from_str(vendored).map_err(|err| format!("not a JSON plugin manifest: {err}"))?;
    let object = manifest.as_object_mut().ok_or("the plugin manifest is not a JSON object")?;
    if !object.contains_key("version") {
        return Err("the plugin manifest has no version".into());
    }
    object.insert("version".into(), version.into());
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|err| err.to_string())?;
    text.push('\n');
    Ok(text)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let entries = fs::read_dir(from).map_err(|err| io_error("read directory", from, err))?;
    for entry in entries {
        let entry = entry.map_err(|err| io_error("read directory", from, err))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|err| io_error("stat", &path, err))?;
        if file_type.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()))?;
        } else {
            copy_if_changed(&path, &to.join(entry.file_name()), false)?;
        }
    }
    Ok(())
}

/// Copies `from` to `to` unless `to` already has the same length and modification time (the
/// copy is given `from`'s), so a warm install reads no big binary.
fn copy_if_changed(from: &Path, to: &Path, executable: bool) -> Result<(), String> {
    let source = fs::metadata(from).map_err(|err| io_error("stat", from, err))?;
    let modified = source.modified().map_err(|err| io_error("stat", from, err))?;
    match fs::metadata(to) {
        Ok(installed) if installed.len() == source.len() && installed.modified().ok() == Some(modified) => {
            return Ok(());
        }
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(io_error("stat", to, err)),
    }
    replace(to, executable, |temp| {
        let mut reader = File::open(from).map_err(|err| io_error("open", from, err))?;
        let mut writer = File::create(temp).map_err(|err| io_error("create", temp, err))?;
        std::io::copy(&mut reader, &mut writer)
            .map_err(|err| format!("cannot copy {} to {}: {err}", from.display(), temp.display()))?;
        writer.set_modified(modified).map_err(|err| io_error("set the modification time of", temp, err))
    })
}

/// Writes `contents` to `to` unless it already holds exactly that.
fn write_if_changed(contents: &[u8], to: &Path, executable: bool) -> Result<(), String> {
    match fs::read(to) {
        Ok(installed) if installed == contents => return Ok(()),
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(io_error("read", to, err)),
    }
    replace(to, executable, |temp| fs::write(temp, contents).map_err(|err| io_error("write", temp, err)))
}

/// Fills a temporary file beside `to` with `fill`, then renames it to `to`: whoever opens `to`
/// sees the old file or the new one, never a part (and a running plugin keeps its old binary).
fn replace(to: &Path, executable: bool, fill: impl FnOnce(&Path) -> Result<(), String>) -> Result<(), String> {
    let parent = to.parent().ok_or_else(|| format!("{} has no parent directory", to.display()))?;
    fs::create_dir_all(parent).map_err(|err| io_error("create", parent, err))?;
    let name = to.file_name().ok_or_else(|| format!("{} has no file name", to.display()))?;
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = parent.join(temp_name);
    let result = fill(&temp).and_then(|()| set_executable(&temp, executable)).and_then(|()| {
        fs::rename(&temp, to).map_err(|err| format!("cannot rename {} to {}: {err}", temp.display(), to.display()))
    });
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|err| io_error("set the permissions of", path, err))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path, _executable: bool) -> Result<(), String> {
    Ok(())
}

fn io_error(action: &str, path: &Path, err: std::io::Error) -> String {
    format!("cannot {action} {}: {err}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pact-test-plugins-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_installed_manifest_is_the_vendored_one_with_the_real_version() {
        let vendored = fs::read_to_string(vendored_plugin_dir().join("pact-plugin.json")).unwrap();
        let installed: serde_json::Value =
            serde_json::from_str(&installed_manifest(&vendored, PROTOBUF_PLUGIN_VERSION).unwrap()).unwrap();
        let mut expected: serde_json::Value = serde_json::from_str(&vendored).unwrap();
        expected["version"] = PROTOBUF_PLUGIN_VERSION.into();
        assert_eq!(installed, expected);
        assert_eq!(installed["name"], PROTOBUF_PLUGIN_NAME);
        assert_eq!(installed["entryPoint"], "pact-protobuf-plugin");
    }

    #[test]
    fn a_manifest_without_a_version_is_refused() {
        assert!(installed_manifest(r#"{"name": "protobuf"}"#, "1.0.0").unwrap_err().contains("no version"));
        assert!(installed_manifest("[]", "1.0.0").is_err());
    }

    #[test]
    fn the_version_is_the_vendored_crates() {
        let cargo_toml = fs::read_to_string(vendored_plugin_dir().join("Cargo.toml")).unwrap();
        assert!(cargo_toml.contains(&format!("\nversion = \"{PROTOBUF_PLUGIN_VERSION}\"\n")));
    }

    #[test]
    fn no_plugin_dir_is_an_error_naming_pact_plugin_dir() {
        assert!(install_protobuf_plugin(None).unwrap_err().contains("PACT_PLUGIN_DIR is not set"));
        assert!(install_protobuf_plugin(Some(OsString::new())).unwrap_err().contains("PACT_PLUGIN_DIR is not set"));
    }

    #[test]
    fn files_are_copied_only_when_changed() {
        let dir = scratch_dir("copy");
        let source = dir.join("source");
        let installed = dir.join("sub/installed");
        fs::write(&source, "one").unwrap();

        copy_if_changed(&source, &installed, true).unwrap();
        assert_eq!(fs::read_to_string(&installed).unwrap(), "one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&installed).unwrap().permissions().mode() & 0o777, 0o755);
        }

        // Unchanged: the installed file is not replaced (a rename would give it a new inode).
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let inode = fs::metadata(&installed).unwrap().ino();
            copy_if_changed(&source, &installed, true).unwrap();
            assert_eq!(fs::metadata(&installed).unwrap().ino(), inode);
        }

        // Changed: replaced, and no temporary file is left behind.
        fs::write(&source, "two!").unwrap();
        copy_if_changed(&source, &installed, true).unwrap();
        assert_eq!(fs::read_to_string(&installed).unwrap(), "two!");
        let names: Vec<_> = fs::read_dir(dir.join("sub")).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, ["installed"]);

        write_if_changed(b"{}", &dir.join("manifest.json"), false).unwrap();
        write_if_changed(b"{}", &dir.join("manifest.json"), false).unwrap();
        assert_eq!(fs::read(dir.join("manifest.json")).unwrap(), b"{}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_build_names_the_command_and_the_end_of_its_stderr() {
        let dir = scratch_dir("failed-build");
        // A directory without a Cargo.toml.
        fs::create_dir(dir.join("no-such-plugin")).unwrap();
        let err = build_protobuf_plugin(&dir.join("no-such-plugin"), &dir.join("target")).unwrap_err();
        assert!(err.starts_with("building the protobuf plugin failed: `"), "{err}");
        assert!(err.contains("build --locked --manifest-path"), "{err}");
        assert!(err.contains("no-such-plugin/Cargo.toml"), "{err}");
        // cargo's own complaint, from its stderr.
        assert!(err.contains("does not exist"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nested_builds_get_no_target_dir_or_package_variables() {
        for name in ["CARGO_TARGET_DIR", "CARGO_PKG_NAME", "CARGO_MANIFEST_DIR", "CARGO_PROFILE_DEV_DEBUG", "OUT_DIR"] {
            assert!(is_inherited_build_var(name), "{name}");
        }
        for name in ["CARGO_HOME", "CARGO", "PATH", "RUSTUP_TOOLCHAIN", "PACT_PLUGIN_DIR"] {
            assert!(!is_inherited_build_var(name), "{name}");
        }
    }
}
