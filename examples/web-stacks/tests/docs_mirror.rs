//! Keeps the `ignore`d hyper and actix snippets in pact-runtime's "App adapters" docs true to
//! the tested examples: each snippet names its example file on its first line, and its other
//! lines must be that file's lines, in order, with only whole lines left out.

use std::path::Path;

#[test]
fn app_adapter_snippets_mirror_the_tested_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let docs = std::fs::read_to_string(root.join("pact-runtime/src/lib.rs")).expect("pact-runtime/src/lib.rs");
    let doc_lines: Vec<&str> = docs
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    let mut doc_lines = doc_lines.into_iter();
    let mut mirrored = Vec::new();
    while let Some(line) = doc_lines.next() {
        if line != "```ignore" {
            continue;
        }
        let snippet: Vec<&str> = doc_lines.by_ref().take_while(|line| *line != "```").collect();
        let Some(file) = snippet.first().and_then(|line| line.strip_prefix("// ")) else { continue };
        if !file.starts_with("examples/web-stacks/") {
            continue;
        }
        let source = std::fs::read_to_string(root.join(file)).unwrap_or_else(|err| panic!("{file}: {err}"));
        let mut source_lines = source.lines();
        for wanted in &snippet[1..] {
            assert!(
                source_lines.any(|line| line == *wanted),
                "the snippet of {file} in pact-runtime's docs has `{wanted}`, which {file} does not have there"
            );
        }
        mirrored.push(file);
    }
    assert_eq!(
        mirrored,
        ["examples/web-stacks/tests/hyper_listener.rs", "examples/web-stacks/tests/actix.rs"],
        "pact-runtime's App adapters docs should mirror these examples"
    );
}
