//! A `pact_runtime::harness` test binary for tests/integration/harness_cli.rs: the user service of
//! `pact_tests::users`, a test per interaction of `tests/fixtures/harness/`.
//!
//! - `FIXTURE_BROKEN=1` answers users' names as numbers, so "user exists" interactions fail
//!   with a body mismatch;
//! - `FIXTURE_BOOT_LOG=path` appends a line to `path` each time the app boots.
//!
//! Every pact-runtime variable works as usual (`PACT_SOURCES`, `PACT_DESCRIPTION`, report
//! files, broker settings...).

use std::io::Write as _;

use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{harness, provider_state};
use pact_tests::users::{add_user, remove_user};

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    add_user(id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    remove_user(id);
}

async fn app() -> axum::Router {
    if let Ok(path) = std::env::var("FIXTURE_BOOT_LOG") {
        let mut log = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("the boot log opens");
        writeln!(log, "boot").expect("the boot log is writable");
    }
    pact_tests::users::app(std::env::var("FIXTURE_BROKEN").is_ok_and(|value| value == "1"))
}

fn main() -> std::process::ExitCode {
    let spec = ProviderTestSpec {
        test_name: "harness-fixture",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("provider", "UserService"), ("pacts", "fixtures/harness")],
    };
    harness::run(spec, app)
}
