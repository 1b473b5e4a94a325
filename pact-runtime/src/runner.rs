//! One verification run, start to finish: load the pacts, check the registry, start the state
//! endpoint, boot the app, verify, and shut everything down.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, LazyLock, PoisonError};

use crate::app::{AppError, ProviderApp};
use crate::broker::{fetch_broker_pacts, fetch_webhook_pact, publish_results, BrokerClient};
use crate::config::{ConfigError, NoPacts, ProviderTestSpec, Settings};
use crate::engine::{
    http_client, load_pacts, Engine, EngineConfig, EngineError, LoadedPact, PactSource, RunChecks, SourceError,
};
use crate::hooks::Hooks;
use crate::message::MessageRegistry;
use crate::registry::StateRegistry;
use crate::report::{InteractionResult, Publication, ReportFiles, VerificationReport};
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
    /// The Pact Broker failed or refused.
    Broker(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Config(error) => write!(f, "configuration error: {error}"),
            RunError::Source(error) => write!(f, "{error}"),
            RunError::NoPacts(message)
            | RunError::AmbiguousStates(message)
            | RunError::Setup(message)
            | RunError::Broker(message) => f.write_str(message),
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
    let (provider, pacts, broker, client) = match load_run(settings).await? {
        LoadedRun::Pacts { provider, pacts, broker, client } => (provider, pacts, broker, client),
        LoadedRun::Nothing { provider, warning } => {
            return Ok(VerificationReport { provider, warnings: vec![warning], ..VerificationReport::default() })
        }
    };
    check_states(&provider)?;

    let registry = StateRegistry::for_provider(&provider);
    let messages = MessageRegistry::for_provider(&provider);
    let endpoint = StateEndpoint::start_with_messages(
        registry.clone(),
        messages.clone(),
        &settings.state_path,
        settings.state_timeout,
    )
    .await
    .map_err(|err| RunError::Setup(format!("cannot start the state endpoint on 127.0.0.1: {err}")))?;
    let mut booted = app.boot().await.map_err(RunError::App)?;
    booted.wait_until_ready(settings.boot_timeout).await.map_err(RunError::App)?;

    let engine = Engine::with_client(
        EngineConfig {
            request_timeout: settings.request_timeout,
            custom_headers: settings.custom_headers.iter().cloned().collect(),
            message_url: Some(endpoint.message_url()),
            ..EngineConfig::new(
                format!("{}{}", booted.base_url(), settings.base_path.as_deref().unwrap_or_default()),
                Some(endpoint.url().to_string()),
            )
        },
        client,
    )?;
    let mut probe = || booted.exit_reason();
    let hooks = Hooks::for_provider(&provider);
    let checks = RunChecks {
        registry: Some(&registry),
        missing_states: settings.missing_states,
        app_exit: Some(&mut probe),
        serial: Some(provider_lock(&provider)),
        hooks: Some(&hooks),
        messages: Some(&messages),
    };
    let mut report = engine.verify_checked(&provider, &pacts, &settings.filter, checks).await;
    drop(booted);
    drop(endpoint);

    if report.results.is_empty() && settings.filter.is_active() {
        return Err(RunError::NoPacts(format!("no interaction matches the filter ({})", settings.filter.describe())));
    }
    report.notices = notices(&pacts, "before_verification");
    publish_and_notify(settings, broker.as_ref(), &pacts, &mut report).await;
    Ok(report)
}

/// What a run has to verify, once its pacts are loaded.
pub(crate) enum LoadedRun {
    /// Pacts for `provider`, with the broker they came from and the client that fetched them.
    Pacts { provider: String, pacts: Vec<LoadedPact>, broker: Option<BrokerClient>, client: reqwest::Client },
    /// No pacts, and `no_pacts = "pass"` says that is fine.
    Nothing { provider: String, warning: String },
}

/// Loads the run's pacts and applies the `no_pacts` policy.
pub(crate) async fn load_run(settings: &Settings) -> Result<LoadedRun, RunError> {
    let client = http_client(settings.request_timeout)?;
    let (pacts, broker) = fetch_pacts(settings, &client).await?;
    let provider = provider_name(settings, &pacts)?;
    if !pacts.is_empty() {
        return Ok(LoadedRun::Pacts { provider, pacts, broker, client });
    }
    let message = no_pacts_message(settings, &provider, &client).await;
    match settings.no_pacts {
        NoPacts::Fail => Err(RunError::NoPacts(format!(
            "{message}; to pass when there are none, set `no_pacts = \"pass\"` or PACT_NO_PACTS=pass"
        ))),
        NoPacts::Pass => {
            Ok(LoadedRun::Nothing { provider, warning: format!("{message}; passing because no_pacts is `pass`") })
        }
    }
}

/// Publishes the result of every pact the report covers whole (never after a filtered or
/// partial run), then adds the broker's after-verification notices. Answers the number of
/// failed publications.
pub(crate) async fn publish_and_notify(
    settings: &Settings,
    broker: Option<&BrokerClient>,
    pacts: &[LoadedPact],
    report: &mut VerificationReport,
) -> u64 {
    let mut failed = 0;
    if let (Some(publish), Some(broker)) = (&settings.publish, broker) {
        if settings.filter.is_active() {
            report.notices.push(format!(
                "verification results were not published: the run was filtered ({})",
                settings.filter.describe()
            ));
        } else {
            for pact in pacts.iter().filter(|pact| pact.broker.is_some()) {
                let results: Vec<&InteractionResult> =
                    report.results.iter().filter(|r| r.pact_source == pact.source).collect();
                let total = pact.pact.interactions().len();
                // A partial run must never look like a verification of the whole pact.
                if results.len() != total {
                    report.notices.push(format!(
                        "verification results for {} were not published: this process verified {} of its {total} interactions",
                        pact.source,
                        results.len()
                    ));
                    continue;
                }
                let outcome = publish_results(broker, publish, pact, &results)
                    .await
                    .map(|outcome| outcome.success)
                    .map_err(|error| error.0);
                failed += u64::from(outcome.is_err());
                report.publications.push(Publication { pact_source: pact.source.clone(), outcome });
            }
        }
    }
    for pact in pacts {
        let Some(context) = &pact.broker else { continue };
        let success = report.results.iter().filter(|r| r.pact_source == pact.source).all(InteractionResult::passed);
        let published = report.publications.iter().any(|p| p.pact_source == pact.source && p.outcome.is_ok());
        let when = format!("after_verification:success_{success}_published_{published}");
        report.notices.extend(context.notices_when(&when).map(|notice| notice.text.clone()));
    }
    failed
}

/// The lock that serialises the interactions of every run for `provider` in this process, so
/// two tests of one provider never interleave their state changes.
pub(crate) fn provider_lock(provider: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: LazyLock<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let mut locks = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    locks.entry(provider.to_string()).or_default().clone()
}

/// Why no pacts were found: where the run looked, and what it found there instead.
async fn no_pacts_message(settings: &Settings, provider: &str, client: &reqwest::Client) -> String {
    let whom = if provider.is_empty() { String::new() } else { format!(" for provider `{provider}`") };
    if let Some(broker) = &settings.broker {
        return format!("no pacts found{whom} in the Pact Broker at {} with the given selectors", broker.base_url);
    }
    let mut places = Vec::new();
    for source in &settings.sources {
        let found = match source {
            PactSource::Dir(_) => match load_pacts(std::slice::from_ref(source), None, client).await {
                Ok(all) if all.is_empty() => " (it holds no *.json pact files)".to_string(),
                Ok(all) => {
                    let providers: BTreeSet<String> =
                        all.iter().map(|loaded| format!("`{}`", loaded.pact.provider().name)).collect();
                    format!(
                        " (it holds {} pact(s), for {}: check `provider` or PACT_PROVIDER_NAME)",
                        all.len(),
                        providers.into_iter().collect::<Vec<_>>().join(", ")
                    )
                }
                Err(_) => String::new(),
            },
            _ => String::new(),
        };
        places.push(format!("{source}{found}"));
    }
    if places.is_empty() {
        return format!("no pacts found{whom}: no pact sources are configured (set `pacts` or PACT_SOURCES)");
    }
    format!("no pacts found{whom} in {}", places.join(", "))
}

/// The pacts to verify, from the first configured place: webhook URL, broker, local sources.
async fn fetch_pacts(
    settings: &Settings,
    client: &reqwest::Client,
) -> Result<(Vec<LoadedPact>, Option<BrokerClient>), RunError> {
    let broker_client = |base_url: &str, auth, ca_bundle| {
        BrokerClient::new(base_url, auth, ca_bundle, settings.request_timeout).map_err(|e| RunError::Broker(e.0))
    };
    if let Some(pact_url) = &settings.pact_url {
        let broker = match &settings.broker {
            Some(broker) => broker_client(&broker.base_url, broker.auth.clone(), broker.ca_bundle.as_deref())?,
            None => broker_client(pact_url, None, None)?,
        };
        let pact = fetch_webhook_pact(&broker, pact_url).await.map_err(|e| RunError::Broker(e.0))?;
        return Ok((vec![pact], Some(broker)));
    }
    if let Some(settings_broker) = &settings.broker {
        let provider = settings.provider.as_deref().ok_or_else(|| {
            RunError::Config(ConfigError(
                "verifying against a Pact Broker needs the provider name: set `provider = \"...\"` or PACT_PROVIDER_NAME".into(),
            ))
        })?;
        let broker =
            BrokerClient::for_settings(settings_broker, settings.request_timeout).map_err(|e| RunError::Broker(e.0))?;
        let pacts = fetch_broker_pacts(&broker, settings_broker, provider).await.map_err(|e| RunError::Broker(e.0))?;
        return Ok((pacts, Some(broker)));
    }
    let pacts = load_pacts(&settings.sources, settings.provider.as_deref(), client).await.map_err(RunError::Source)?;
    Ok((pacts, None))
}

fn provider_name(settings: &Settings, pacts: &[LoadedPact]) -> Result<String, RunError> {
    if let Some(provider) = &settings.provider {
        return Ok(provider.clone());
    }
    let named: BTreeSet<String> = pacts.iter().map(|loaded| loaded.pact.provider().name).collect();
    if named.len() > 1 {
        return Err(RunError::Config(ConfigError(format!(
            "the pacts are for several providers ({}): set `provider = \"...\"` or PACT_PROVIDER_NAME",
            named.into_iter().collect::<Vec<_>>().join(", ")
        ))));
    }
    Ok(named.into_iter().next().unwrap_or_default())
}

pub(crate) fn check_states(provider: &str) -> Result<(), RunError> {
    let message_conflicts = MessageRegistry::for_provider(provider).conflicts();
    if let Some((first, second)) = message_conflicts.first() {
        return Err(RunError::AmbiguousStates(format!(
            "#[message] functions overlap: `{}` ({}) at {} and ({}) at {} produce the same message",
            first.description, first.function, first.location, second.function, second.location
        )));
    }
    let conflicts = StateRegistry::for_provider(provider).conflicts();
    if conflicts.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = conflicts
        .iter()
        .map(|(first, second)| {
            format!(
                "  `{}` ({}) at {} overlaps `{}` ({}) at {}",
                first.pattern, first.function, first.location, second.pattern, second.function, second.location
            )
        })
        .collect();
    Err(RunError::AmbiguousStates(format!(
        "provider state functions overlap, so some states would be served twice:\n{}",
        lines.join("\n")
    )))
}

pub(crate) fn notices(pacts: &[LoadedPact], when: &str) -> Vec<String> {
    pacts
        .iter()
        .filter_map(|pact| pact.broker.as_ref())
        .flat_map(|context| context.notices_when(when).map(|notice| notice.text.clone()))
        .collect()
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
    let files = ReportFiles::from_settings(&settings);
    let written = match &outcome {
        Ok(report) => files.write(report, spec.test_name),
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
