//! One verification session, what the plain test and the per-interaction harness share: load
//! the pacts (webhook URL, broker or local sources, with the `no_pacts` policy), check the
//! registrations, boot (the app, and the engine that calls the provider's functions in-process:
//! [`Session::boot`] is the one boot path), and after the interactions publish the results with the broker's notices.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::app::{AppError, BootedApp};
use crate::broker::{fetch_broker_pacts, fetch_webhook_pact, publish_results, BrokerClient};
use crate::config::{ConfigError, LastFailed, NoPacts, Settings};
use crate::engine::{http_client_with, Engine, EngineConfig, EngineError, RunChecks, SupervisedChecks};
use crate::functions::ProviderFunctions;
use crate::hooks::Hooks;
use crate::message::registry::{MessageRegistration, MessageRegistry};
use crate::pacts::{
    interaction_key, load_pacts, load_pacts_warning, InteractionFilter, LoadedPact, PactSource, Plan, Shard,
    SourceError,
};
use crate::report::last_failed::LastFailures;
use crate::report::{InteractionResult, Progress, Publication, VerificationReport};
use crate::states::{StateAction, StateRegistration, StateRegistry, UnusedStates};

/// Why a run could not verify anything. Interaction failures are in the report instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The engine could not start.
    Setup(String),
    /// The Pact Broker failed or refused.
    Broker(String),
}

/// So that `Settings::builder()...build()?` works in a function returning a `RunError`.
impl From<ConfigError> for RunError {
    fn from(error: ConfigError) -> RunError {
        RunError::Config(error)
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            RunError::Config(error) => format!("configuration error: {error}"),
            RunError::Source(error) => error.to_string(),
            RunError::NoPacts(message)
            | RunError::AmbiguousStates(message)
            | RunError::Setup(message)
            | RunError::Broker(message) => message.clone(),
            RunError::App(error) => error.to_string(),
        };
        // Every message masks its URLs where it is made; this catches one that did not.
        f.write_str(&crate::util::redact::url(&text))
    }
}

impl std::error::Error for RunError {}

impl From<EngineError> for RunError {
    fn from(error: EngineError) -> Self {
        RunError::Setup(error.0)
    }
}

/// A run whose pacts are loaded: the settings, the provider, its pacts, the broker they came
/// from and the client that fetched them.
pub(crate) struct Session {
    pub(crate) settings: Settings,
    pub(crate) provider: String,
    pub(crate) pacts: Arc<Vec<LoadedPact>>,
    pub(crate) broker: Option<BrokerClient>,
    pub(crate) client: reqwest::Client,
    /// What loading skipped or found suspicious: the report warns with it.
    pub(crate) warnings: Vec<String>,
    /// `last_failed`: only these interactions are verified.
    pub(crate) last_failed: Option<LastFailures>,
}

/// The running app and the engine that verifies it, calling the provider's state and message
/// functions in-process (no state endpoint: nothing else on the machine can run them).
pub(crate) struct Live {
    pub(crate) engine: Engine,
    registry: StateRegistry,
    messages: MessageRegistry,
    hooks: Hooks,
    booted: Arc<Mutex<BootedApp>>,
    serial: Arc<tokio::sync::Mutex<()>>,
    /// The app's own runtime; after `booted`, so the app's tasks are aborted before it goes.
    _app_runtime: AppRuntime,
}

/// The runtime the provider app runs on, apart from the run's: an app that blocks its threads
/// (a blocking call in a handler, a lock a hung state function holds) cannot starve the run's
/// timers, client and engine. Shut down without waiting for those threads.
struct AppRuntime(Option<tokio::runtime::Runtime>);

impl AppRuntime {
    fn start() -> Result<AppRuntime, RunError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pact-provider-app")
            .enable_all()
            .build()
            .map(|runtime| AppRuntime(Some(runtime)))
            .map_err(|err| RunError::Setup(format!("cannot start a runtime for the provider app: {err}")))
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("the app runtime runs until dropped").handle()
    }
}

impl Drop for AppRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Session {
    /// Checks the registrations, boots the app with `boot`, waits until it answers, and builds
    /// the engine against it and the provider's functions.
    pub(crate) async fn boot(
        &self,
        boot: impl Future<Output = Result<BootedApp, AppError>> + Send + 'static,
    ) -> Result<Live, RunError> {
        check_states(&self.provider)?;
        let settings = &self.settings;
        let registry = StateRegistry::for_provider(&self.provider);
        let messages = MessageRegistry::for_provider(&self.provider).with_max_body_bytes(settings.max_body_bytes);
        let functions = ProviderFunctions::new(registry.clone(), messages.clone(), settings.state_timeout);
        let app_runtime = AppRuntime::start()?;
        let mut booted = boot_within(app_runtime.handle(), boot, settings.boot_timeout).await.map_err(RunError::App)?;
        booted.wait_until_ready(settings.boot_timeout).await.map_err(RunError::App)?;
        let engine = Engine::with_client(
            EngineConfig {
                request_timeout: settings.request_timeout,
                follow_redirects: settings.follow_redirects,
                custom_headers: settings.custom_headers.iter().cloned().collect(),
                functions: Some(functions),
                max_body_bytes: settings.max_body_bytes,
                transport_ports: booted.transports().iter().cloned().collect(),
                ..EngineConfig::new(
                    format!("{}{}", booted.base_url(), settings.base_path.as_deref().unwrap_or_default()),
                    None,
                )
            },
            self.client.clone(),
        )?
        .keeping_exchanges(settings.html_report.is_some());
        Ok(Live {
            engine,
            registry,
            messages,
            hooks: Hooks::for_provider(&self.provider).with_timeout(settings.state_timeout),
            booted: Arc::new(Mutex::new(booted)),
            serial: provider_lock(&self.provider),
            _app_runtime: app_runtime,
        })
    }

    /// After the interactions: the broker's notices, and the results of every pact the report
    /// covers whole published. Answers the number of failed publications.
    pub(crate) async fn finish(&self, report: &mut VerificationReport) -> u64 {
        report.warnings.extend(settings_warnings(&self.settings));
        let unused = self.unused_functions(report);
        if !unused.is_empty() {
            let text = format!(
                "{} #[provider_state]/#[message] function(s) of provider `{}` served no interaction of this complete run; \
                 delete them if their consumers dropped those interactions (a binary that verifies several providers \
                 should scope each function with `provider = \"...\"`):\n  - {}",
                unused.len(),
                self.provider,
                unused.join("\n  - ")
            );
            match self.settings.unused_states {
                UnusedStates::Warn => report.warnings.push(format!(
                    "{text}\n(set unused_states = \"fail\" or PACT_UNUSED_STATES=fail to fail the run on this)"
                )),
                UnusedStates::Fail => {
                    report.errors.push(format!("{text}\n(this fails the run because unused_states is `fail`)"))
                }
            }
        }
        report.notices = notices(&self.pacts, "before_verification");
        report.warnings.extend(self.warnings.iter().cloned());
        publish_and_notify(&self.settings, self.broker.as_ref(), &self.pacts, report).await
    }
}

impl Session {
    /// The interactions this run verifies: those the filter selects (and, with `last_failed`,
    /// that failed last time), identical ones once (`dedupe_interactions`), stopping at the
    /// first failure with `fail_fast`.
    pub(crate) fn plan(&self) -> Plan {
        let plan = Plan::selected_by(&self.pacts, |_, consumer, interaction| self.selects(consumer, interaction));
        let plan = if self.settings.dedupe_interactions { plan.dedupe(&self.pacts) } else { plan };
        Plan { fail_fast: self.settings.fail_fast, ..plan }
    }

    /// Whether the run verifies `interaction` of `consumer`'s pact.
    pub(crate) fn selects(&self, consumer: &str, interaction: &crate::pacts::Interaction<'_>) -> bool {
        self.settings.filter.selects(consumer, interaction)
            && self
                .last_failed
                .as_ref()
                .is_none_or(|last| last.keys.contains(&(consumer.to_string(), interaction_key(interaction))))
    }
}

impl Session {
    /// The `#[provider_state]` and `#[message]` functions of the provider that no interaction
    /// of its pacts uses, with their locations: only after a run that verified every
    /// interaction unfiltered, since a partial run cannot tell.
    fn unused_functions(&self, report: &VerificationReport) -> Vec<String> {
        let all: Vec<_> = self.pacts.iter().flat_map(|loaded| loaded.interactions()).collect();
        if all.is_empty() || self.settings.filter.is_active() || report.results.len() != all.len() {
            return Vec::new();
        }
        let states = StateRegistry::for_provider(&self.provider);
        let messages = MessageRegistry::for_provider(&self.provider);
        // By address: a registration is a `&'static` item of the binary.
        let mut used_states: HashSet<*const StateRegistration> = HashSet::new();
        let mut used_messages: HashSet<*const MessageRegistration> = HashSet::new();
        for interaction in &all {
            for state in interaction.provider_states() {
                let params: serde_json::Map<String, serde_json::Value> = state.params.into_iter().collect();
                for action in [StateAction::Setup, StateAction::Teardown] {
                    if let Ok(found) = states.lookup(&state.name, &params, action) {
                        used_states.insert(found.registration);
                    }
                }
            }
            if crate::pacts::is_message(interaction.as_ref()) {
                if let Ok(producer) = messages.lookup(&interaction.description()) {
                    used_messages.insert(producer);
                }
            }
        }
        let mut unused: Vec<String> = states
            .registrations()
            .filter(|registration| !used_states.contains(&std::ptr::from_ref(*registration)))
            .map(|registration| {
                let teardown = if registration.action == StateAction::Teardown { ", teardown" } else { "" };
                format!(
                    "`{}`: #[provider_state(\"{}\"{teardown})] at {}",
                    registration.function, registration.pattern, registration.location
                )
            })
            .collect();
        unused.extend(
            messages
                .registrations()
                .filter(|registration| !used_messages.contains(&std::ptr::from_ref(*registration)))
                .map(|registration| {
                    format!(
                        "`{}`: #[message(\"{}\")] at {}",
                        registration.function, registration.description, registration.location
                    )
                }),
        );
        unused
    }
}

impl Live {
    /// Verifies one interaction: its states, hooks and request, holding the provider's lock,
    /// and failing at once when the app has stopped.
    pub(crate) async fn verify(
        &self,
        session: &Session,
        loaded: &LoadedPact,
        index: usize,
        interaction: &(dyn pact_models::interaction::Interaction + Send + Sync + std::panic::RefUnwindSafe),
        missing: &mut Vec<crate::report::MissingState>,
    ) -> InteractionResult {
        let mut probe = || self.exit_reason();
        let mut checks = self.checks(session, &mut probe);
        self.engine.verify_interaction(&session.provider, loaded, index, interaction, &mut checks, missing).await
    }

    /// Verifies the interactions of the session's [plan](Session::plan), in pact order, telling
    /// `progress` about each result as it completes.
    pub(crate) async fn verify_all(&self, session: &Session, progress: Option<&mut Progress>) -> VerificationReport {
        // Weak: a runner thread abandoned with a blocked function must not keep the app running.
        let booted = Arc::downgrade(&self.booted);
        let app_exit = move || booted.upgrade().and_then(|booted| lock(&booted).exit_reason());
        let checks = SupervisedChecks {
            registry: Some(self.registry.clone()),
            missing_states: session.settings.missing_states,
            app_exit: Some(Arc::new(app_exit)),
            serial: Some(self.serial.clone()),
            hooks: Some(self.hooks.clone()),
            messages: Some(self.messages.clone()),
        };
        let pacts = session.pacts.clone();
        self.engine.verify_plan_supervised(&session.provider, pacts, session.plan(), checks, progress).await
    }

    fn checks<'a>(
        &'a self,
        session: &Session,
        probe: &'a mut (dyn FnMut() -> Option<String> + Send + Sync),
    ) -> RunChecks<'a> {
        RunChecks {
            registry: Some(&self.registry),
            missing_states: session.settings.missing_states,
            app_exit: Some(probe),
            serial: Some(self.serial.clone()),
            hooks: Some(&self.hooks),
            messages: Some(&self.messages),
            progress: None,
        }
    }

    /// Why the app stopped, if it has.
    fn exit_reason(&self) -> Option<String> {
        lock(&self.booted).exit_reason()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the app function on the app's runtime (`app`), so what it starts runs there, within
/// `timeout` measured on the run's (its readiness gets its own `timeout` after), and reports its
/// panic as the listener form's server task does.
async fn boot_within(
    app: &tokio::runtime::Handle,
    boot: impl Future<Output = Result<BootedApp, AppError>> + Send + 'static,
    timeout: std::time::Duration,
) -> Result<BootedApp, AppError> {
    let task = app.spawn(boot);
    let abort = task.abort_handle();
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(booted)) => booted,
        Ok(Err(join)) if join.is_panic() => Err(AppError(format!(
            "the provider app panicked: {}",
            crate::util::panic_message(join.into_panic().as_ref())
        ))),
        Ok(Err(_)) => Err(AppError("the provider app function was cancelled".to_string())),
        Err(_) => Err({
            abort.abort();
            AppError(format!(
            "the provider app function did not return within {timeout:?}: does it await something that never comes? (raise `boot_timeout_ms` or PACT_APP_BOOT_TIMEOUT_MS if it boots slowly)"
        ))
        }),
    }
}

/// What a run has to verify, once its pacts are loaded.
pub(crate) enum LoadedRun {
    /// Pacts to verify.
    Pacts(Box<Session>),
    /// No pacts, and `no_pacts = "pass"` says that is fine.
    Nothing { provider: String, warning: String },
}

/// Loads the run's pacts and applies the `no_pacts` policy and `last_failed`. `run_name` names
/// the run's report files (the test's name; `None`: the provider's), for `last_failed = true`.
pub(crate) async fn load_run(settings: &Settings, run_name: Option<&str>) -> Result<LoadedRun, RunError> {
    let client = http_client_with(settings.request_timeout, settings.follow_redirects)?;
    let mut warnings = Vec::new();
    let (pacts, broker) = fetch_pacts(settings, &client, &mut warnings).await?;
    let provider = provider_name(settings, &pacts)?;
    if !pacts.is_empty() {
        let pacts = match settings.shard {
            Some(shard) => match take_shard(shard, &settings.filter, pacts) {
                Ok(mine) => mine,
                Err(note) => return Ok(LoadedRun::Nothing { provider, warning: note }),
            },
            None => pacts,
        };
        let last_failed = match &settings.last_failed {
            None => None,
            Some(last_failed) => {
                let last = read_last_failed(settings, last_failed, &provider, run_name)?;
                if let Some(note) = check_last_failed(&last, &pacts, &settings.filter, &mut warnings) {
                    return Ok(LoadedRun::Nothing { provider, warning: note });
                }
                Some(last)
            }
        };
        let session = Session {
            settings: settings.clone(),
            provider,
            pacts: Arc::new(pacts),
            broker,
            client,
            warnings,
            last_failed,
        };
        return Ok(LoadedRun::Pacts(Box::new(session)));
    }
    let mut message = no_pacts_message(settings, &provider, &client).await;
    for warning in settings_warnings(settings) {
        message.push_str(&format!("; {warning}"));
    }
    match settings.no_pacts {
        NoPacts::Fail => Err(RunError::NoPacts(format!(
            "{message}; to pass when there are none, set `no_pacts = \"pass\"` or PACT_NO_PACTS=pass"
        ))),
        NoPacts::Pass => {
            Ok(LoadedRun::Nothing { provider, warning: format!("{message}; passing because no_pacts is `pass`") })
        }
    }
}

/// The previous report `last_failed` names: its path, or `json_report`'s for this run.
fn read_last_failed(
    settings: &Settings,
    last_failed: &LastFailed,
    provider: &str,
    run_name: Option<&str>,
) -> Result<LastFailures, RunError> {
    let (path, source) = match last_failed {
        LastFailed::Report { path, source } => (path.clone(), source.as_str()),
        LastFailed::JsonReport { source } => {
            let name = run_name.unwrap_or(if provider.is_empty() { "pact-verification" } else { provider });
            let path = settings.report_files().json_path(name).ok_or_else(|| {
                RunError::Config(ConfigError(format!("{source} is `true`, but json_report is not set")))
            })?;
            (path, source.as_str())
        }
    };
    crate::report::last_failed::read(&path, source, provider).map_err(|message| RunError::Config(ConfigError(message)))
}

/// Warns of the failures of `last` that are no longer in `pacts` (or that the filter leaves
/// out). When none is left to verify, answers the note the run passes with.
fn check_last_failed(
    last: &LastFailures,
    pacts: &[LoadedPact],
    filter: &InteractionFilter,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let shown = last.path.display();
    if last.keys.is_empty() {
        return Some(format!("last_failed: no interaction failed in {shown}, so there is nothing to rerun; passing"));
    }
    let mut present = BTreeSet::new();
    for loaded in pacts {
        let consumer = loaded.pact.consumer().name;
        for interaction in loaded.interactions() {
            if filter.selects(&consumer, interaction.as_ref()) {
                present.insert((consumer.clone(), interaction_key(interaction.as_ref())));
            }
        }
    }
    let gone: Vec<String> = last
        .names
        .iter()
        .filter(|(consumer, key, _)| !present.contains(&(consumer.clone(), key.clone())))
        .map(|(consumer, _, description)| format!("{consumer} › {description}"))
        .collect();
    if gone.is_empty() {
        return None;
    }
    let text = format!(
        "last_failed: {} interaction(s) that failed in {shown} are not in this run's pacts (changed, removed, filtered out or in another shard), so they are not verified:\n  - {}",
        gone.len(),
        gone.join("\n  - ")
    );
    if gone.len() == last.names.len() {
        return Some(format!("{text}\nnothing is left to rerun; passing"));
    }
    warnings.push(text);
    None
}

/// Settings that are valid but will not do what they say.
fn settings_warnings(settings: &Settings) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(broker) = settings.broker.as_ref().filter(|broker| broker.include_wip_pacts_since.is_some()) {
        if broker.provider_branch.is_none() && broker.provider_tags.is_empty() {
            warnings.push(
                "include_wip_pacts_since is set but no provider branch or tags are, so the Pact Broker includes no WIP pacts: \
                 set `provider_branch` (PACT_PROVIDER_BRANCH or GIT_BRANCH) or `provider_tags` (PACT_PROVIDER_TAGS)"
                    .to_string(),
            );
        }
    }
    warnings
}

/// The pacts of `shard`, balanced by the interactions `filter` selects. When the other shards
/// got every selected interaction, answers the note an empty shard passes with.
fn take_shard(shard: Shard, filter: &InteractionFilter, pacts: Vec<LoadedPact>) -> Result<Vec<LoadedPact>, String> {
    let sized: Vec<(String, usize)> = pacts
        .iter()
        .map(|loaded| {
            let (consumer, provider) = (loaded.pact.consumer().name, loaded.pact.provider().name);
            let selected = loaded
                .interactions()
                .iter()
                .filter(|interaction| filter.selects(&consumer, interaction.as_ref()))
                .count();
            (format!("{consumer}\n{provider}\n{}", loaded.source), selected)
        })
        .collect();
    let total: usize = sized.iter().map(|(_, size)| size).sum();
    let mine = shard.assign(&sized);
    let selected: usize = sized.iter().zip(&mine).filter(|(_, mine)| **mine).map(|((_, size), _)| size).sum();
    if total > 0 && selected == 0 {
        return Err(format!(
            "shard {shard} has nothing to verify: the {} pact(s) with the {total} selected interaction(s) went to the other shards; passing",
            sized.iter().filter(|(_, size)| *size > 0).count()
        ));
    }
    Ok(pacts.into_iter().zip(mine).filter_map(|(pact, mine)| mine.then_some(pact)).collect())
}

/// Publishes the result of every pact the report covers whole (never after a filtered or
/// partial run), then adds the broker's after-verification notices. Answers the number of
/// failed publications.
async fn publish_and_notify(
    settings: &Settings,
    broker: Option<&BrokerClient>,
    pacts: &[LoadedPact],
    report: &mut VerificationReport,
) -> u64 {
    let mut failed = 0;
    if let (Some(publish), Some(broker)) = (&settings.publish, broker) {
        if settings.fail_fast {
            report.notices.push(
                "verification results were not published: fail_fast is on, and a fail-fast run never publishes (it may stop before verifying everything)"
                    .to_string(),
            );
        } else if settings.last_failed.is_some() {
            report.notices.push(
                "verification results were not published: last_failed is on, and a run of only the last failures never publishes"
                    .to_string(),
            );
        } else if settings.filter.is_active() {
            report.notices.push(format!(
                "verification results were not published: the run was filtered ({})",
                settings.filter.describe()
            ));
        } else {
            for pact in pacts.iter().filter(|pact| pact.broker.is_some()) {
                let results: Vec<&InteractionResult> =
                    report.results.iter().filter(|r| r.pact_source == pact.source).collect();
                let total = pact.interactions().len();
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
fn provider_lock(provider: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);
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
    warnings: &mut Vec<String>,
) -> Result<(Vec<LoadedPact>, Option<BrokerClient>), RunError> {
    let broker_client = |base_url: &str, auth, ca_bundle| {
        BrokerClient::new(base_url, auth, ca_bundle, settings.request_timeout).map_err(|e| RunError::Broker(e.0))
    };
    if let Some(pact_url) = &settings.pact_url {
        let broker = match &settings.broker {
            Some(broker) => broker_client(&broker.base_url, broker.auth.clone(), broker.ca_bundle.as_deref())?,
            None => broker_client(pact_url, None, None)?,
        };
        let pacts = vec![fetch_webhook_pact(&broker, pact_url).await.map_err(|e| RunError::Broker(e.0))?];
        crate::pacts::warn_empty(&pacts, warnings);
        return Ok((pacts, Some(broker)));
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
        crate::pacts::warn_empty(&pacts, warnings);
        return Ok((pacts, Some(broker)));
    }
    let pacts = load_pacts_warning(&settings.sources, settings.provider.as_deref(), client, warnings)
        .await
        .map_err(RunError::Source)?;
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

fn notices(pacts: &[LoadedPact], when: &str) -> Vec<String> {
    pacts
        .iter()
        .filter_map(|pact| pact.broker.as_ref())
        .flat_map(|context| context.notices_when(when).map(|notice| notice.text.clone()))
        .collect()
}
