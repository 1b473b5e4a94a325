//! Writing the JUnit and JSON report files a run was asked for.

use std::path::{Path, PathBuf};

use super::{json::JsonReport, junit, VerificationReport};

/// The report files a run writes: `junit_report`/`PACT_VERIFIER_JUNIT_REPORT` and
/// `json_report`/`PACT_VERIFIER_JSON_REPORT`. A path that is a directory, or ends with `/`,
/// gets a file named after the test, so several tests can share one setting.
///
/// ```ignore
/// use pact_runtime::report::ReportFiles;
/// use pact_runtime::VerificationReport;
///
/// let files = ReportFiles { junit: Some("target/pact/".into()), json: Some("target/pact.json".into()) };
/// let written = files.write(&VerificationReport::default(), "my_test").unwrap();
/// assert_eq!(written.len(), 2); // target/pact/my_test.xml and target/pact.json
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFiles {
    /// Where the JUnit XML report goes.
    pub junit: Option<PathBuf>,
    /// Where the JSON report goes.
    pub json: Option<PathBuf>,
}

impl ReportFiles {
    /// Writes the report files for `report` of the test `name`, creating parent directories,
    /// and answers the paths written.
    pub fn write(&self, report: &VerificationReport, name: &str) -> Result<Vec<PathBuf>, String> {
        self.write_texts(name, || report.to_junit_xml(name), || report.to_json(name))
    }

    /// Writes the report files for a run of `name` that could not verify anything.
    pub fn write_error(&self, name: &str, provider: &str, error: &str) -> Result<Vec<PathBuf>, String> {
        self.write_texts(
            name,
            || junit::run_error_xml(name, provider, error),
            || JsonReport::for_error(name, provider, error),
        )
    }

    fn write_texts(
        &self,
        name: &str,
        junit: impl FnOnce() -> String,
        json: impl FnOnce() -> JsonReport,
    ) -> Result<Vec<PathBuf>, String> {
        let mut written = Vec::new();
        if let Some(path) = &self.junit {
            let path = file_path(path, name, "xml");
            write(&path, &junit(), "JUnit")?;
            written.push(path);
        }
        if let Some(path) = &self.json {
            let path = file_path(path, name, "json");
            let text =
                serde_json::to_string_pretty(&json()).map_err(|err| format!("cannot encode the JSON report: {err}"))?;
            write(&path, &text, "JSON")?;
            written.push(path);
        }
        Ok(written)
    }
}

/// `path`, or for a directory a file in it named after the test.
fn file_path(path: &Path, name: &str, extension: &str) -> PathBuf {
    let text = path.to_string_lossy();
    if path.is_dir() || text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) {
        let stem: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
        path.join(format!("{stem}.{extension}"))
    } else {
        path.to_path_buf()
    }
}

fn write(path: &Path, text: &str, what: &str) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {} for the {what} report: {err}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|err| format!("cannot write the {what} report to {}: {err}", path.display()))
}
