//! The plain `#[pact_provider_test]`: one test verifies every interaction, through
//! [`verify_provider`], and fails with a summary naming every failing interaction.

use crate::app::ProviderApp;
use crate::config::{ProviderTestSpec, Settings};
use crate::report::{Progress, VerificationReport};
use crate::session::{load_run, LoadedRun, RunError};

/// Runs a whole verification of `app` with `settings` and returns the report.
///
/// This is what `#[pact_provider_test]` runs; call it yourself to assert on the report.
///
/// It writes the report files the settings name (`junit_report`, `json_report`, `html_report`), as a
/// `#[pact_provider_test]` does; a directory gets a file named after the provider. A file it
/// cannot write is a warning of the returned report (and printed to stderr for a run that
/// could not verify anything), never a failure of the run.
///
/// ```no_run
/// use pact_runtime::{verify_provider, Settings};
///
/// # async fn run() -> Result<(), pact_runtime::RunError> {
/// let settings = Settings::builder().provider("UserService").pacts("pacts").build()?;
/// let report = verify_provider(&settings, || async { axum::Router::new() }).await?;
/// assert!(report.is_success(), "{}", report.failure_summary());
/// # Ok(()) }
/// ```
pub async fn verify_provider<Form, App: ProviderApp<Form>>(
    settings: &Settings,
    app: App,
) -> Result<VerificationReport, RunError> {
    let mut outcome = verify(settings, app, None, None).await;
    let files = settings.report_files();
    if files.is_empty() {
        return outcome;
    }
    let written = match &mut outcome {
        Ok(report) => {
            let written = files.write(report, &report.provider);
            // The hint that reruns the failures points at the report only once it is written.
            if written.is_ok() {
                report.rerun_report = files.json_path(&report.provider);
            }
            written
        }
        Err(error) => {
            let provider = settings.provider.as_deref().unwrap_or_default();
            let name = if provider.is_empty() { "pact-verification" } else { provider };
            files.write_error(name, provider, &error.to_string())
        }
    };
    if let Err(error) = written {
        match &mut outcome {
            Ok(report) => report.warnings.push(error),
            Err(_) => eprintln!("warning: {error}"),
        }
    }
    outcome
}

/// [`verify_provider`], telling `progress` about each interaction as it completes; `name`
/// names the report files (`None`: the provider).
async fn verify<Form, App: ProviderApp<Form>>(
    settings: &Settings,
    app: App,
    progress: Option<&mut Progress>,
    name: Option<&str>,
) -> Result<VerificationReport, RunError> {
    let session = match load_run(settings, name).await? {
        LoadedRun::Pacts(session) => session,
        LoadedRun::Nothing { provider, warning } => {
            return Ok(VerificationReport { provider, warnings: vec![warning], ..VerificationReport::default() })
        }
    };
    let live = session.boot(app.boot()).await?;
    let mut report = live.verify_all(&session, progress).await;
    // Stops the app before publishing.
    drop(live);
    if report.results.is_empty() && settings.filter.is_active() {
        return Err(RunError::NoPacts(format!("no interaction matches the filter ({})", settings.filter.describe())));
    }
    session.finish(&mut report).await;
    Ok(report)
}

/// The body of every `#[pact_provider_test]`: runs [`verify_provider`] on a fresh tokio
/// runtime, prints the report, and panics with the failure summary when verification fails.
pub fn run_provider_test<Form, App: ProviderApp<Form>>(spec: ProviderTestSpec, app: App) {
    let settings = match Settings::resolve(&spec) {
        Ok(settings) => settings,
        Err(error) => panic!("{}: configuration error: {error}", spec.test_name),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("{}: cannot start a tokio runtime: {error}", spec.test_name),
    };
    let mut progress = Progress::new();
    let mut outcome = runtime.block_on(verify(&settings, app, Some(&mut progress), Some(spec.test_name)));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    let files = settings.report_files();
    let written = match &mut outcome {
        Ok(report) => {
            let written = files.write(report, spec.test_name);
            if written.is_ok() {
                report.rerun_report = files.json_path(spec.test_name);
            }
            written
        }
        Err(error) => {
            files.write_error(spec.test_name, settings.provider.as_deref().unwrap_or_default(), &error.to_string())
        }
    };
    if let Ok(report) = &outcome {
        println!("{}", report.console());
    }
    let write_error = match written {
        Ok(paths) => {
            paths.iter().for_each(|path| println!("wrote the report {}", path.display()));
            None
        }
        Err(error) => {
            eprintln!("{}: {error}", spec.test_name);
            Some(error)
        }
    };
    match outcome {
        Ok(report) => {
            if !report.is_success() {
                panic!("{}", report.failure_summary());
            }
            let publish_failures: Vec<String> =
                report.publish_failures().map(|(pact, error)| format!("{pact}: {error}")).collect();
            if !publish_failures.is_empty() {
                panic!(
                    "{}: verification passed, but publishing results failed:\n{}",
                    spec.test_name,
                    publish_failures.join("\n")
                );
            }
        }
        Err(error) => panic!("{}: {error}", spec.test_name),
    }
    if let Some(error) = write_error {
        panic!("{}: verification passed, but {error}", spec.test_name);
    }
}
