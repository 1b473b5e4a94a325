//! Writing the JUnit, JSON and HTML report files a run was asked for.

use std::path::{Path, PathBuf};

use super::{html, json::JsonReport, junit, VerificationReport};

pub(crate) use html::RunFacts;

/// The report files a run writes: `junit_report`/`PACT_VERIFIER_JUNIT_REPORT`,
/// `json_report`/`PACT_VERIFIER_JSON_REPORT` and `html_report`/`PACT_VERIFIER_HTML_REPORT`. A
/// path that is a directory, or ends with `/`, gets a file named after the test, so several
/// tests can share one setting.
///
/// ```ignore
/// use pact_runtime::report::ReportFiles;
/// use pact_runtime::VerificationReport;
///
/// let files = ReportFiles { junit: Some("target/pact/".into()), json: Some("target/pact.json".into()), ..Default::default() };
/// let written = files.write(&VerificationReport::default(), "my_test").unwrap();
/// assert_eq!(written.len(), 2); // target/pact/my_test.xml and target/pact.json
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFiles {
    /// Where the JUnit XML report goes.
    pub junit: Option<PathBuf>,
    /// Where the JSON report goes.
    pub json: Option<PathBuf>,
    /// Where the HTML report goes.
    pub html: Option<PathBuf>,
    /// The provider version and shard the HTML report names.
    pub facts: RunFacts,
}

impl ReportFiles {
    /// True when no report file is asked for.
    pub fn is_empty(&self) -> bool {
        self.junit.is_none() && self.json.is_none() && self.html.is_none()
    }

    /// Writes the report files for `report` of the test `name`, creating parent directories,
    /// and answers the paths written.
    pub fn write(&self, report: &VerificationReport, name: &str) -> Result<Vec<PathBuf>, String> {
        self.write_texts(
            name,
            || report.to_junit_xml(name),
            || report.to_json(name),
            || html::page(report, name, &self.facts),
        )
    }

    /// The file the JSON report of the test `name` goes to, when one is asked for.
    pub(crate) fn json_path(&self, name: &str) -> Option<PathBuf> {
        self.json.as_deref().map(|path| file_path(path, name, "json"))
    }

    /// Writes the report files for a run of `name` that could not verify anything.
    pub fn write_error(&self, name: &str, provider: &str, error: &str) -> Result<Vec<PathBuf>, String> {
        self.write_texts(
            name,
            || junit::run_error_xml(name, provider, error),
            || JsonReport::for_error(name, provider, error),
            || html::error_page(name, provider, error),
        )
    }

    fn write_texts(
        &self,
        name: &str,
        junit: impl FnOnce() -> String,
        json: impl FnOnce() -> JsonReport,
        html: impl FnOnce() -> String,
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
        if let Some(path) = &self.html {
            let path = file_path(path, name, "html");
            write(&path, &html(), "HTML")?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Why `path` cannot take a report: it is there and not a regular file.
fn check_kind(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => Err(format!(
            "it is {}, not a regular file; give a file path, or a directory for a file per test",
            crate::pacts::file_kind(&metadata)
        )),
        _ => Ok(()),
    }
}

/// Checks a `junit_report`, `json_report` or `html_report` setting before a run: a regular file, a directory
/// or a path with nothing there yet. The error names the path.
pub(crate) fn check_report_path(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => check_kind(path).map_err(|kind| format!("{} {}", path.display(), kind.replacen("it is", "is", 1))),
        Err(_) => Ok(()),
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
    // Opening a FIFO for writing blocks until someone reads it: check before opening.
    check_kind(path).map_err(|kind| format!("cannot write the {what} report to {}: {kind}", path.display()))?;
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {} for the {what} report: {err}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|err| format!("cannot write the {what} report to {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report path that is a FIFO nobody reads made the test never end (opening it for
    /// writing blocks): it is refused, naming the path. Bound: 5 s.
    #[cfg(unix)]
    #[test]
    fn a_report_path_that_is_not_a_regular_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("pact-report-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("report.json");
        let _ = std::fs::remove_file(&fifo);
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(status.success());
        let files = ReportFiles { json: Some(fifo.clone()), ..ReportFiles::default() };
        let (done, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(files.write(&VerificationReport::default(), "t")));
        let error =
            outcome.recv_timeout(std::time::Duration::from_secs(5)).expect("writing finished within 5 s").unwrap_err();
        assert_eq!(
            error,
            format!(
                "cannot write the JSON report to {}: it is a FIFO, not a regular file; give a file path, or a directory for a file per test",
                fifo.display()
            )
        );
        // A new file, and a file that is there, are written.
        let file = dir.join("new.json");
        let _ = std::fs::remove_file(&file);
        for _ in 0..2 {
            let files = ReportFiles { json: Some(file.clone()), ..ReportFiles::default() };
            assert_eq!(files.write(&VerificationReport::default(), "t"), Ok(vec![file.clone()]));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
