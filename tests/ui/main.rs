//! Compile-time behaviour of `#[provider_state]` and `#[pact_provider_test]`: every rejected
//! input has a pinned diagnostic, and every supported form compiles.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/pass/*.rs");
}
