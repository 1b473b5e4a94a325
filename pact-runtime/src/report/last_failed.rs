//! `last_failed`: the interactions that failed in a previous run's JSON report, to verify
//! only those again (the reference verifier's `--last-failed`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::json::{JsonReport, SCHEMA};

/// The largest report read: a report keeps up to 1 MiB of each text, so a real one of many
/// failing interactions stays well below this.
const MAX_REPORT_BYTES: u64 = 1 << 30;

/// The interactions that failed in a previous run, by consumer and interaction key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastFailures {
    /// The report they were read from.
    pub(crate) path: PathBuf,
    /// `(consumer, key)` of each interaction that failed or pending-failed there.
    pub(crate) keys: BTreeSet<(String, String)>,
    /// `consumer › description` of each, for messages.
    pub(crate) names: BTreeSet<(String, String, String)>,
}

/// Reads the report at `path` (named by `source`, the option or variable) of a run of
/// `provider`. The error says what is wrong with it and what to do.
pub(crate) fn read(path: &Path, source: &str, provider: &str) -> Result<LastFailures, String> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => format!(
            "{source}: there is no report at {shown} to rerun the failures of: run once with json_report \
             (PACT_VERIFIER_JSON_REPORT) set to write it, or give {source} the path of one"
        ),
        _ => format!("{source}: cannot read the report {shown}: {err}"),
    })?;
    if !metadata.is_file() {
        return Err(format!("{source}: {shown} is {}, not a JSON report file", crate::pacts::file_kind(&metadata)));
    }
    if metadata.len() > MAX_REPORT_BYTES {
        return Err(format!(
            "{source}: {shown} holds {} bytes, more than the {MAX_REPORT_BYTES} a JSON report of pact-runtime can: is it one?",
            metadata.len()
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|err| format!("{source}: cannot read the report {shown}: {err}"))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| format!("{source}: {shown} is not JSON ({err}); it must be a report json_report wrote"))?;
    let schema = value.get("schema").and_then(serde_json::Value::as_str).unwrap_or_default();
    if schema != SCHEMA {
        return Err(format!(
            "{source}: {shown} is not a pact-runtime JSON report (its `schema` is `{schema}`, not `{SCHEMA}`); it must be a report json_report wrote"
        ));
    }
    let report: JsonReport = serde_json::from_value(value)
        .map_err(|err| format!("{source}: {shown} is not a pact-runtime JSON report: {err}"))?;
    if !provider.is_empty() && report.provider != provider {
        return Err(format!(
            "{source}: {shown} is the report of provider `{}`, not of `{provider}`: give the report of a run of `{provider}`",
            report.provider
        ));
    }
    if let Some(error) = &report.error {
        return Err(format!(
            "{source}: {shown} is the report of a run that could not verify anything, so it lists no failures to rerun \
             (its error: {}); run without last_failed",
            crate::util::redact::text(error)
        ));
    }
    let failed = report.interactions.iter().filter(|interaction| interaction.result != "passed");
    let (keys, names) = failed
        .map(|interaction| {
            (
                (interaction.consumer.clone(), interaction.key.clone()),
                (interaction.consumer.clone(), interaction.key.clone(), interaction.description.clone()),
            )
        })
        .unzip();
    Ok(LastFailures { path: path.to_path_buf(), keys, names })
}
