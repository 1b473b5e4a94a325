//! The public API is a promise: this test fails when an item becomes reachable (or stops being
//! reachable) without `public-api.txt` saying so. It documents the crate with rustdoc and
//! compares the list of every documented item (`all.html`) with the file.
//!
//! After a deliberate change: `PACT_UPDATE_PUBLIC_API=1 cargo test -p pact-runtime --test public_api`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn documented_items(target: &Path) -> Vec<String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate sits in the workspace");
    let output = Command::new(env!("CARGO"))
        .args(["doc", "--no-deps", "--offline", "-p", "pact-runtime", "--target-dir"])
        .arg(target)
        .current_dir(workspace)
        .env_remove("RUSTDOCFLAGS")
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo doc failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let all = std::fs::read_to_string(target.join("doc/pact_runtime/all.html")).expect("rustdoc wrote all.html");
    // Each item is `<li><a href="struct.Settings.html">Settings</a></li>` under its kind.
    let mut items: Vec<String> = all
        .split("<li><a href=\"")
        .skip(1)
        .filter_map(|entry| {
            let (href, rest) = entry.split_once("\">")?;
            if href.starts_with('#') {
                return None; // the page's own table of contents
            }
            let (name, _) = rest.split_once("</a>")?;
            let file = href.rsplit('/').next()?;
            let kind = file.split('.').next()?;
            Some(format!("{kind} {}", name.replace("&amp;", "&")))
        })
        .collect();
    items.sort();
    items
}

#[test]
fn the_public_api_is_the_one_written_down() {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("..");
    let actual = documented_items(&target);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/public-api.txt");
    if std::env::var_os("PACT_UPDATE_PUBLIC_API").is_some() {
        std::fs::write(&file, actual.join("\n") + "\n").expect("public-api.txt written");
        return;
    }
    let expected: Vec<String> = std::fs::read_to_string(&file)
        .expect("tests/public-api.txt exists")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect();
    let added: Vec<&String> = actual.iter().filter(|item| !expected.contains(item)).collect();
    let removed: Vec<&String> = expected.iter().filter(|item| !actual.contains(item)).collect();
    assert!(
        added.is_empty() && removed.is_empty(),
        "the public API changed.\n  now public: {added:?}\n  no longer public: {removed:?}\n\
         Every public item is a semver promise: make an internal item private (or put it in \
         `__private`), or, if the change is meant, run \
         `PACT_UPDATE_PUBLIC_API=1 cargo test -p pact-runtime --test public_api` and commit the file."
    );
}
