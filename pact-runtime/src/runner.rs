//! One verification run, start to finish: load the pacts, check the registry, start the state
//! endpoint, boot the app, verify, and shut everything down.

use std::collections::BTreeSet;
use std::fmt;

use crate::app::{AppError, ProviderApp};
use crate::config::{ConfigError, ProviderTestSpec, Settings};
use crate::engine::{http_client, load_pacts, Engine, EngineConfig, EngineError, SourceError};
use crate::registry::StateRegistry;
use crate::report::VerificationReport;
use crate::state_endpoint::StateEndpoint;

/// Why a run could not verify anything. Interaction failures are in the report instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// A configuration value is unusable.
    Config(ConfigError),
    /// A pact source could not be read.
    Source(SourceError),
    /// No pacts were found for the provider.
    NoPacts(String),
    /// Two state functions serve the same state.
    AmbiguousStates(String),
    /// The app did not boot.
    App(AppError),
    /// The engine or the state endpoint could not start.
    Setup(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Config(error) => write!(f, "configuration error: {error}"),
            RunError::Source(error) => write!(f, "{error}"),
            RunError::NoPacts(message) | RunError::AmbiguousStates(message) | RunError::Setup(message) => {
                f.write_str(message)
            }
            RunError::App(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<EngineError> for RunError {
    fn from(error: EngineError) -> Self {
        RunError::Setup(error.0)
    }
}

/// Runs a whole verification of `app` with `settings` and returns the report.
///
/// This is what `#[pact_provider_test]` runs; call it yourself to assert on the report.
///
/// ```no_run
/// use pact_runtime::{engine::PactSource, verify_provider, Settings};
///
/// # async fn run() -> Result<(), pact_runtime::RunError> {
/// let settings = Settings::new(vec![PactSource::Dir("pacts".into())]).provider("UserService");
/// let report = verify_provider(&settings, || async { axum::Router::new() }).await?;
/// assert!(report.is_success(), "{}", report.failure_summary());
/// # Ok(()) }
/// ```
pub async fn verify_provider<Form, App: ProviderApp<Form>>(
    settings: &Settings,
    app: App,
) -> Result<VerificationReport, RunError> {
    let client = http_client(settings.request_timeout)?;
    let pacts = load_pacts(&settings.sources, settings.provider.as_deref(), &client).await.map_err(RunError::Source)?;
    let sources: Vec<String> = settings.sources.iter().map(ToString::to_string).collect();
    let provider = match &settings.provider {
        Some(provider) => provider.clone(),
        None => {
            let named: BTreeSet<String> = pacts.iter().map(|loaded| loaded.pact.provider().name).collect();
            match named.len() {
                1 => named.into_iter().next().unwrap_or_default(),
                0 => String::new(),
                _ => {
                    return Err(RunError::Config(ConfigError(format!(
                        "the pacts are for several providers ({}): set `provider = \"...\"` or PACT_PROVIDER_NAME",
                        named.into_iter().collect::<Vec<_>>().join(", ")
                    ))))
                }
            }
        }
    };
    if pacts.is_empty() {
        let whom = if provider.is_empty() { String::new() } else { format!(" for provider `{provider}`") };
        return Err(RunError::NoPacts(format!("no pacts found{whom} in {}", sources.join(", "))));
    }

    let registry = StateRegistry::for_provider(&provider);
    let conflicts = registry.conflicts();
    if !conflicts.is_empty() {
        let lines: Vec<String> = conflicts
            .iter()
            .map(|(first, second)| {
                format!(
                    "  `{}` ({}) at {} overlaps `{}` ({}) at {}",
                    first.pattern, first.function, first.location, second.pattern, second.function, second.location
                )
            })
            .collect();
        return Err(RunError::AmbiguousStates(format!(
            "provider state functions overlap, so some states would be served twice:\n{}",
            lines.join("\n")
        )));
    }

    let endpoint = StateEndpoint::start(registry, &settings.state_path, settings.state_timeout)
        .await
        .map_err(|err| RunError::Setup(format!("cannot start the state endpoint on 127.0.0.1: {err}")))?;
    let mut booted = app.boot().await.map_err(RunError::App)?;
    booted.wait_until_ready(settings.boot_timeout).await.map_err(RunError::App)?;

    let engine = Engine::with_client(
        EngineConfig {
            request_timeout: settings.request_timeout,
            ..EngineConfig::new(booted.base_url(), Some(endpoint.url().to_string()))
        },
        client,
    )?;
    let report = engine.verify(&provider, &pacts).await;
    drop(booted);
    drop(endpoint);
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
    let outcome = runtime.block_on(verify_provider(&settings, app));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(report) => {
            println!("{report}");
            if !report.is_success() {
                panic!("{}", report.failure_summary());
            }
        }
        Err(error) => panic!("{}: {error}", spec.test_name),
    }
}
