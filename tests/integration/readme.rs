//! The README is not compiled, so these tests keep it true: its quickstart and its gRPC section
//! are the examples' code, and its configuration table lists every option the runtime knows.

use std::path::Path;

use pact_runtime::__private::OPTIONS;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The text of the first fenced block of `language` after `heading`.
fn block_after(text: &str, heading: &str, language: &str) -> String {
    let section = &text[text.find(heading).unwrap_or_else(|| panic!("no `{heading}` in the README"))..];
    let fence = format!("```{language}\n");
    let start =
        section.find(&fence).unwrap_or_else(|| panic!("no ```{language} block after `{heading}`")) + fence.len();
    let end = section[start..].find("```").expect("an unclosed block") + start;
    section[start..end].to_string()
}

#[test]
fn the_quickstart_is_the_example_that_runs() {
    let readme = read("README.md");
    let quickstart = block_after(&readme, "## Quickstart", "rust");
    let example = read("examples/user-provider/tests/pact_verification.rs");
    assert!(
        example.contains(&quickstart),
        "the README's quickstart differs from examples/user-provider/tests/pact_verification.rs:\n{quickstart}"
    );
}

#[test]
fn the_grpc_section_is_the_example_that_runs() {
    let readme = read("README.md");
    let section = block_after(&readme, "## gRPC, protobuf and Pact plugins", "rust");
    let example = read("examples/grpc-provider/tests/pact_verification.rs");
    assert!(
        example.contains(&section),
        "the README's gRPC example differs from examples/grpc-provider/tests/pact_verification.rs:\n{section}"
    );
}

#[test]
fn the_configuration_table_lists_every_option_and_variable() {
    let readme = read("README.md");
    let start = readme.find("## Configuration").expect("a Configuration section");
    let end = readme[start + 1..].find("\n## ").map_or(readme.len(), |end| end + start + 1);
    let table = &readme[start..end];
    for option in OPTIONS {
        if let Some(attribute) = option.attribute {
            assert!(table.contains(&format!("`{attribute}`")), "the README's table lacks option `{attribute}`");
        }
        for variable in option.env {
            assert!(table.contains(variable), "the README's table lacks {variable}");
        }
    }
}
