//! Shared helpers for pact-runtime's integration tests and benchmarks.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use pact_runtime::VerificationReport;

pub mod things;
pub mod users;

/// Writes `pact` as `name` in a directory of its own under the system's temp directory and
/// answers the file's path.
pub fn write_pact(name: &str, pact: &serde_json::Value) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pact-tests-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join(name);
    std::fs::write(&file, pact.to_string()).expect("the pact is written");
    file
}

/// Each result's failures on one line, joined with ` | ` (empty for a pass), in report order.
pub fn failure_lines(report: &VerificationReport) -> Vec<String> {
    report
        .results
        .iter()
        .map(|result| result.failures.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | "))
        .collect()
}
