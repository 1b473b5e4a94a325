//! The verification engine: our own interaction loop around Pact's building blocks.
//!
//! `pact_verifier::verify_provider_async` builds a new HTTP client for every interaction, which
//! costs milliseconds each. This engine builds one pooled client for the run and, per
//! interaction, uses the same public pieces the Pact verifier uses, so matching stays Pact's:
//! `pact_matching::generate_request` (with the provider-state values), the request and response
//! conversions of `pact_verifier`'s provider client (written again in `http`, to read bodies
//! only up to [`EngineConfig::max_body_bytes`]) and `pact_matching::match_response`.
//!
//! Message interactions (V3 messages, V4 asynchronous and synchronous messages) go through the
//! same loop: their states are set up the same way, then the message is asked of the
//! `#[message]` function in-process ([`EngineConfig::functions`]) or of an endpoint's
//! `/_pact/messages` ([`EngineConfig::message_url`], see [`mod@crate::message`]) with the same
//! pooled client, and matched with `pact_matching::match_message` (or
//! `match_sync_message_response` for a synchronous message's response). Without a message URL,
//! a message interaction fails as [`Failure::Unsupported`]. State changes likewise call the
//! `#[provider_state]` functions in-process, or POST to [`EngineConfig::state_change_url`].
//!
//! Per interaction, in order: every state's setup (stopping at the first failure), the
//! request (only when every setup succeeded), then the teardown of each state that was set up,
//! in reverse order, whatever happened before. With [`RunChecks::hooks`], the `#[before_each]`
//! hooks run first, the `#[request_filter]`s change the request, and the `#[after_each]` hooks
//! run last (see [`crate::hooks`]).
//!
//! [`RunChecks`] adds what only the session knows: states
//! that no function serves fail (or warn) before any state change is sent; once the app's
//! server has stopped, the remaining interactions fail at once with the reason; and a lock
//! keeps two runs for one provider from interleaving their interactions.

mod http;
#[cfg(feature = "plugins")]
pub(crate) mod plugins;

use std::collections::HashMap;
use std::panic::RefUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pact_matching::{match_message, match_response, match_sync_message_response, Mismatch};
use pact_models::bodies::OptionalBody;
use pact_models::content_types::ContentType;
use pact_models::generators::{Generator, GeneratorTestMode};
use pact_models::interaction::Interaction;
use pact_models::pact::Pact;
use pact_models::provider_states::ProviderState;
use pact_models::v4::async_message::AsynchronousMessage;
use pact_models::v4::message_parts::MessageContents;
use pact_verifier::ProviderTransport;
use serde_json::{json, Map, Value};

use crate::functions::ProviderFunctions;
use crate::hooks::{HookContext, HookKind, Hooks};
use crate::message::protocol::message_request;
use crate::message::registry::{MessageRegistry, ProducerFailure};
use crate::message::METADATA_HEADER;
use crate::pacts::{is_message, InteractionFilter, LoadedPact, Plan};
use crate::report::{
    BodyDiff, Exchange, Failure, InteractionResult, MissingState, Progress, SkippedInteraction, VerificationReport,
};
use crate::states::protocol::StateChange;
use crate::states::MissingStates;
use crate::states::{StateAction, StateRegistry};
use crate::util::watch::Watch;

/// How the engine reaches the provider and its state endpoint.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The provider's base URL, e.g. `http://127.0.0.1:3000` or `http://127.0.0.1:3000/api`.
    pub provider_base_url: String,
    /// Where to POST state changes. `None` skips states (and fails interactions that have some).
    pub state_change_url: Option<String>,
    /// Timeout for each request to the provider and each state change.
    pub request_timeout: Duration,
    /// Whether requests to the provider follow `3xx` redirects (`pact_verifier`'s
    /// `follow_redirects`); off, the pact's status is compared with the first response.
    pub follow_redirects: bool,
    /// Headers added to every request to the provider.
    pub custom_headers: HashMap<String, String>,
    /// Where to POST message requests (the generated endpoint's `/_pact/messages`, see
    /// [`mod@crate::message`]). `None` fails message interactions with the reason.
    pub message_url: Option<String>,
    /// The provider's own functions, called in-process for state changes and messages, as a
    /// `#[pact_provider_test]` run does: a function call instead of an HTTP round trip. When
    /// set, `state_change_url` and `message_url` are not used.
    pub functions: Option<ProviderFunctions>,
    /// The largest body read from the provider, the message endpoint or the state endpoint; a
    /// larger one fails its interaction after at most this many bytes were read.
    pub max_body_bytes: u64,
    /// The ports of the provider's other transports, by name (`grpc` for a tonic app), on the
    /// base URL's host. A plugin transport not listed uses the base URL's port.
    pub transport_ports: HashMap<String, u16>,
}

impl EngineConfig {
    /// A configuration with a 30 s request timeout, no custom headers and the default
    /// `max_body_bytes` (16 MiB).
    pub fn new(provider_base_url: impl Into<String>, state_change_url: Option<String>) -> EngineConfig {
        EngineConfig {
            provider_base_url: provider_base_url.into(),
            state_change_url,
            request_timeout: Duration::from_secs(30),
            follow_redirects: false,
            custom_headers: HashMap::new(),
            message_url: None,
            functions: None,
            max_body_bytes: crate::util::DEFAULT_MAX_BODY_BYTES,
            transport_ports: HashMap::new(),
        }
    }
}

/// Answers why the provider app stopped, or `None` while it runs. It must be cheap: the engine
/// calls it before every interaction.
pub type AppProbe<'a> = &'a mut (dyn FnMut() -> Option<String> + Send + Sync);

/// What a run checks besides the HTTP exchanges. The default checks nothing.
#[derive(Default)]
pub struct RunChecks<'a> {
    /// The provider's state functions. A state none of them serves fails its interaction
    /// before any state change is sent, or only warns (see `missing_states`); either way the
    /// report lists it once in [`VerificationReport::missing_states`].
    pub registry: Option<&'a StateRegistry>,
    /// Whether a missing state fails its interaction or only warns.
    pub missing_states: MissingStates,
    /// Whether the app still runs: asked before each interaction and after a failed request.
    /// Once it answers a reason, every remaining interaction fails at once with it.
    pub app_exit: Option<AppProbe<'a>>,
    /// Held for each interaction, from its first setup to its last teardown, so runs that
    /// share it never interleave their state changes.
    pub serial: Option<Arc<tokio::sync::Mutex<()>>>,
    /// `#[before_each]`/`#[after_each]` hooks and `#[request_filter]`s, run around and on each
    /// interaction (see `#[before_each]`).
    pub hooks: Option<&'a Hooks>,
    /// The provider's `#[message]` functions. A message interaction whose description none of
    /// them produces fails with the closest ones and a stub, before any state is set up.
    pub messages: Option<&'a MessageRegistry>,
    /// Live output: each result's line as it completes, and how far a long run is.
    pub progress: Option<&'a mut Progress>,
}

impl std::fmt::Debug for RunChecks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunChecks")
            .field("registry", &self.registry.is_some())
            .field("missing_states", &self.missing_states)
            .field("app_exit", &self.app_exit.is_some())
            .field("serial", &self.serial.is_some())
            .field("hooks", &self.hooks)
            .field("messages", &self.messages.is_some())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// [`RunChecks`] owned, for [`Engine::verify_supervised`]: its runner threads hold them. The
/// default checks nothing.
#[derive(Default, Clone)]
pub struct SupervisedChecks {
    /// As [`RunChecks::registry`].
    pub registry: Option<StateRegistry>,
    /// As [`RunChecks::missing_states`].
    pub missing_states: MissingStates,
    /// As [`RunChecks::app_exit`].
    pub app_exit: Option<Arc<dyn Fn() -> Option<String> + Send + Sync>>,
    /// As [`RunChecks::serial`], held for the whole run.
    pub serial: Option<Arc<tokio::sync::Mutex<()>>>,
    /// As [`RunChecks::hooks`].
    pub hooks: Option<Hooks>,
    /// As [`RunChecks::messages`].
    pub messages: Option<MessageRegistry>,
}

impl std::fmt::Debug for SupervisedChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupervisedChecks")
            .field("registry", &self.registry.is_some())
            .field("missing_states", &self.missing_states)
            .field("app_exit", &self.app_exit.is_some())
            .field("serial", &self.serial.is_some())
            .field("hooks", &self.hooks)
            .field("messages", &self.messages.is_some())
            .finish()
    }
}

/// How often the supervisor of a run looks at its runner, and how long past its bound a
/// function may still return before its runner is abandoned (an async function is cut off at
/// its bound on the runner itself).
const SUPERVISOR_TICK: Duration = Duration::from_millis(20);

/// A supervised run, shared by its supervisor and its runner threads.
struct SupervisedRun {
    engine: Engine,
    provider: String,
    pacts: Arc<Vec<LoadedPact>>,
    /// The interactions to verify, in order.
    plan: Plan,
    checks: SupervisedChecks,
    /// The results so far, in plan order: the result of step `n` is the `n`th (until
    /// `fail_fast` stops the run, after which steps are skipped instead).
    results: std::sync::Mutex<Vec<InteractionResult>>,
    /// The missing states so far, as the last interaction verified left them.
    missing: std::sync::Mutex<Vec<MissingState>>,
    /// The steps `fail_fast` skipped.
    skipped: std::sync::Mutex<Vec<SkippedInteraction>>,
}

impl SupervisedRun {
    /// Verifies the selected interactions from `from` on, on this thread.
    async fn verify_from(&self, engine: &Engine, from: usize, watch: &Watch) {
        let mut missing = lock(&self.missing).clone();
        let app_exit = self.checks.app_exit.clone();
        let mut probe = move || app_exit.as_ref().and_then(|probe| probe());
        let mut checks = RunChecks {
            registry: self.checks.registry.as_ref(),
            missing_states: self.checks.missing_states,
            app_exit: self.checks.app_exit.is_some().then_some(&mut probe as AppProbe<'_>),
            serial: None,
            hooks: self.checks.hooks.as_ref(),
            messages: self.checks.messages.as_ref(),
            progress: None,
        };
        for (position, planned) in self.plan.steps.iter().enumerate().skip(from) {
            let loaded = &self.pacts[planned.pact];
            let index = planned.interaction;
            let interaction = loaded.interactions()[index].as_ref();
            // An earlier step's result is at its position: no step before this one was skipped.
            let original = planned.same_as.and_then(|earlier| lock(&self.results).get(earlier).cloned());
            let result = match original {
                Some(original) => self.engine.shared_result(&self.provider, loaded, index, interaction, &original),
                None => {
                    watch.begin(position);
                    let result = engine
                        .verify_interaction(&self.provider, loaded, index, interaction, &mut checks, &mut missing)
                        .await;
                    if !missing.is_empty() {
                        lock(&self.missing).clone_from(&missing);
                    }
                    result
                }
            };
            let stops = self.plan.fail_fast && result.fails_run();
            lock(&self.results).push(result);
            if stops {
                self.skip_from(position + 1);
                return;
            }
        }
    }

    /// Reports the steps from `from` on as skipped by `fail_fast`.
    fn skip_from(&self, from: usize) {
        let mut skipped = lock(&self.skipped);
        for planned in &self.plan.steps[from..] {
            let loaded = &self.pacts[planned.pact];
            let interaction = loaded.interactions()[planned.interaction].as_ref();
            skipped.push(self.engine.skipped(&self.provider, loaded, planned.interaction, interaction));
        }
    }

    /// Starts a runner thread verifying from `from` on; answers its watch and what tells that it
    /// finished.
    fn start_runner(
        run: &Arc<SupervisedRun>,
        from: usize,
    ) -> std::io::Result<(Arc<Watch>, tokio::sync::oneshot::Receiver<()>)> {
        let runtime = tokio::runtime::Handle::current();
        let watch = Arc::new(Watch::apart_from(runtime.clone()));
        let (done, finished) = tokio::sync::oneshot::channel();
        let (run, runner_watch) = (run.clone(), watch.clone());
        std::thread::Builder::new().name("pact-verification".to_string()).spawn(move || {
            let verify = move |engine: Engine, run: Arc<SupervisedRun>, watch: Arc<Watch>| async move {
                tokio::select! {
                    biased;
                    () = watch.abandoned() => false,
                    () = run.verify_from(&engine, from, &watch) => true,
                }
            };
            // A runtime of its own, and a client whose connections it drives: the app's answer
            // wakes the runtime's one worker, which verifies, instead of a worker of the run's
            // runtime that then wakes the runner. Multi-thread, so that a function may still
            // call `block_in_place`; every thread of it is a runner of this watch.
            let own = {
                let watch = runner_watch.clone();
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("pact-verification")
                    .on_thread_start(move || crate::util::watch::become_runner(watch.clone()))
                    .enable_all()
                    .build()
            };
            let completed = match own.ok().zip(run.engine.with_own_client().ok()) {
                Some((own, engine)) => {
                    let verifying = own.spawn(verify(engine, run.clone(), runner_watch.clone()));
                    // A panic in the run ends it as a thread that ended would.
                    own.block_on(verifying).unwrap_or(false)
                }
                None => {
                    crate::util::watch::become_runner(runner_watch.clone());
                    runtime.block_on(verify(run.engine.clone(), run.clone(), runner_watch.clone()))
                }
            };
            // Before the supervisor hears of it: the run's engine (and its hold on the plugins)
            // goes when the run ends, not some time after.
            drop(run);
            if completed {
                let _ = done.send(());
            }
        })?;
        Ok((watch, finished))
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An engine configuration that cannot work, such as a base URL that is not a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError(pub String);

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EngineError {}

fn mismatch_failure(mismatch: &Mismatch) -> Failure {
    let path = match mismatch {
        Mismatch::QueryMismatch { parameter, .. } => Some(parameter.clone()),
        Mismatch::HeaderMismatch { key, .. } | Mismatch::MetadataMismatch { key, .. } => Some(key.clone()),
        Mismatch::BodyMismatch { path, .. } => Some(path.clone()),
        Mismatch::BodyTypeMismatch { .. } => Some("$".to_string()),
        _ => None,
    };
    let bytes_text = |bytes: Option<&[u8]>| bytes.map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let (expected, actual) = match mismatch {
        Mismatch::MethodMismatch { expected, actual, .. }
        | Mismatch::PathMismatch { expected, actual, .. }
        | Mismatch::QueryMismatch { expected, actual, .. }
        | Mismatch::HeaderMismatch { expected, actual, .. }
        | Mismatch::BodyTypeMismatch { expected, actual, .. }
        | Mismatch::MetadataMismatch { expected, actual, .. } => (Some(expected.clone()), Some(actual.clone())),
        Mismatch::StatusMismatch { expected, actual, .. } => (Some(expected.to_string()), Some(actual.to_string())),
        Mismatch::BodyMismatch { expected, actual, .. } => {
            (bytes_text(expected.as_deref()), bytes_text(actual.as_deref()))
        }
    };
    Failure::Mismatch {
        kind: mismatch.mismatch_type().to_string(),
        path,
        description: mismatch.description(),
        expected,
        actual,
    }
}

/// Whether `generate_request` could change `request`: it has generators (provider-state
/// expressions are `ProviderState` generators), or matching rules that carry some
/// (`arrayContains` variants).
fn has_generators(request: &pact_models::v4::http_parts::HttpRequest) -> bool {
    request.generators.categories.values().any(|generators| !generators.is_empty())
        || request
            .matching_rules
            .rules
            .values()
            .any(|category| category.rules.values().any(|list| list.rules.iter().any(|rule| rule.has_generators())))
}

/// A body as text for reports: UTF-8 as is, anything else as its size.
fn body_text(body: &pact_models::bodies::OptionalBody) -> String {
    match body.value() {
        Some(bytes) => match std::str::from_utf8(&bytes) {
            Ok(text) => text.to_string(),
            Err(_) => format!("({} bytes, not UTF-8)", bytes.len()),
        },
        None => String::new(),
    }
}

/// The HTTP client the engine uses: pooled (idle connections kept for half the state
/// endpoint's `CONNECTION_TIMEOUT`), no redirects, `timeout` per request. Installs the
/// ring rustls provider first, which `pact_verifier`'s reqwest needs even to build a client.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, EngineError> {
    http_client_with(timeout, false)
}

/// [`http_client`], following up to 10 redirects when `follow_redirects` is on (as
/// `pact_verifier`'s client does).
pub fn http_client_with(timeout: Duration, follow_redirects: bool) -> Result<reqwest::Client, EngineError> {
    crate::util::install_crypto_provider();
    let redirects =
        if follow_redirects { reqwest::redirect::Policy::limited(10) } else { reqwest::redirect::Policy::none() };
    reqwest::Client::builder()
        .user_agent(concat!("pact-runtime/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        // Well before the state endpoint closes an idle connection (`CONNECTION_TIMEOUT`), so
        // a pooled connection is never reused just as the endpoint closes it.
        .pool_idle_timeout(crate::endpoint::CONNECTION_TIMEOUT / 2)
        .redirect(redirects)
        .build()
        .map_err(|err| EngineError(format!("cannot build the HTTP client: {err}")))
}

/// Verifies pacts against a running provider with one pooled HTTP client.
///
/// ```ignore
/// use pact_runtime::engine::{load_pacts, Engine, EngineConfig, PactSource};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::new(EngineConfig::new(
///     "http://127.0.0.1:3000",
///     Some("http://127.0.0.1:3001/_pact/provider_states".to_string()),
/// ))?;
/// let pacts = load_pacts(&[PactSource::Dir("pacts".into())], Some("UserService"), engine.client()).await?;
/// let report = engine.verify("UserService", &pacts).await;
/// println!("{report}");
/// assert!(report.is_success(), "{}", report.failure_summary());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    client: reqwest::Client,
    /// How `client` was built (its request timeout, whether it follows redirects), so that a
    /// runner thread can build one of its own (see [`Engine::with_own_client`]).
    client_recipe: (Duration, bool),
    /// Where requests go: the scheme, host, port and path of the provider base URL.
    base_url: String,
    max_body_bytes: u64,
    state_change_url: Option<String>,
    /// Set on every request; `pact_verifier` would only set them as defaults of its own client.
    custom_headers: Vec<(String, String)>,
    message_url: Option<String>,
    functions: Option<ProviderFunctions>,
    /// Where plugin transports reach the provider, and the plugins this engine holds.
    #[cfg(feature = "plugins")]
    plugins: Arc<plugins::PluginTarget>,
    /// Whether each HTTP interaction keeps what it sent and got ([`Exchange`]): only the HTML
    /// report reads it, so other runs build none of it.
    keeps_exchanges: bool,
}

impl Engine {
    /// Builds the engine and its HTTP client.
    pub fn new(config: EngineConfig) -> Result<Engine, EngineError> {
        let client = http_client_with(config.request_timeout, config.follow_redirects)?;
        Self::with_client(config, client)
    }

    /// This engine, keeping each HTTP interaction's request and responses for the HTML report
    /// when `keep` is set.
    pub(crate) fn keeping_exchanges(self, keep: bool) -> Engine {
        Engine { keeps_exchanges: keep, ..self }
    }

    /// Builds the engine around an existing client (clones share its connection pool). The
    /// client's redirect policy must agree with `config.follow_redirects`.
    pub fn with_client(config: EngineConfig, client: reqwest::Client) -> Result<Engine, EngineError> {
        let base = url::Url::parse(&config.provider_base_url).map_err(|err| {
            EngineError(format!("provider base URL `{}` is not a URL: {err}", config.provider_base_url))
        })?;
        let host = base
            .host_str()
            .ok_or_else(|| EngineError(format!("provider base URL `{}` has no host", config.provider_base_url)))?
            .to_string();
        let transport = ProviderTransport {
            transport: "http".to_string(),
            port: base.port_or_known_default(),
            path: Some(base.path().trim_end_matches('/').to_string()),
            scheme: Some(base.scheme().to_string()),
        };
        // As `pact_verifier` makes the base URL of a provider's transport.
        let base_url = transport.base_url(&host);
        let mut custom_headers: Vec<(String, String)> = config.custom_headers.into_iter().collect();
        custom_headers.sort();
        Ok(Engine {
            client,
            client_recipe: (config.request_timeout, config.follow_redirects),
            base_url,
            max_body_bytes: config.max_body_bytes,
            state_change_url: config.state_change_url,
            custom_headers,
            message_url: config.message_url,
            functions: config.functions,
            #[cfg(feature = "plugins")]
            plugins: Arc::new(plugins::PluginTarget::new(
                &host,
                base.port_or_known_default(),
                config.transport_ports,
                config.request_timeout,
            )),
            keeps_exchanges: false,
        })
    }

    /// This engine with a client of its own, built as its client was: its connections belong to
    /// the runtime that first uses them.
    fn with_own_client(&self) -> Result<Engine, EngineError> {
        let (timeout, follow_redirects) = self.client_recipe;
        Ok(Engine { client: http_client_with(timeout, follow_redirects)?, ..self.clone() })
    }

    /// The pooled client, reused for every request of the run (and usable to fetch pacts).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Verifies the interactions `filter` selects, in pact order, with the run's `checks`.
    pub async fn verify(
        &self,
        provider: &str,
        pacts: &[LoadedPact],
        filter: &InteractionFilter,
        checks: RunChecks<'_>,
    ) -> VerificationReport {
        let plan = Plan::selected_by(pacts, |_, consumer, interaction| filter.selects(consumer, interaction));
        self.verify_plan(provider, pacts, &plan, checks).await
    }

    /// Verifies the interactions of `plan`, in its order, with the run's `checks`: an
    /// interaction identical to one verified before gets a copy of that result, and with
    /// `fail_fast` the first one that fails the run skips the rest.
    pub(crate) async fn verify_plan(
        &self,
        provider: &str,
        pacts: &[LoadedPact],
        plan: &Plan,
        mut checks: RunChecks<'_>,
    ) -> VerificationReport {
        let started = Instant::now();
        let mut results: Vec<InteractionResult> = Vec::new();
        let mut skipped = Vec::new();
        let mut missing = Vec::new();
        // Where each planned interaction's result is in `results`, once it has one.
        let mut done: Vec<Option<usize>> = vec![None; plan.steps.len()];
        if let Some(progress) = checks.progress.as_deref_mut() {
            progress.start(plan.steps.len());
        }
        let mut stopped = false;
        for (step, planned) in plan.steps.iter().enumerate() {
            let loaded = &pacts[planned.pact];
            let interaction = loaded.interactions()[planned.interaction].as_ref();
            if stopped {
                skipped.push(self.skipped(provider, loaded, planned.interaction, interaction));
                continue;
            }
            let original = planned.same_as.and_then(|earlier| done[earlier]).map(|at| &results[at]);
            let result = match original {
                Some(original) => self.shared_result(provider, loaded, planned.interaction, interaction, original),
                None => {
                    self.verify_interaction(
                        provider,
                        loaded,
                        planned.interaction,
                        interaction,
                        &mut checks,
                        &mut missing,
                    )
                    .await
                }
            };
            if let Some(progress) = checks.progress.as_deref_mut() {
                progress.completed(&result);
            }
            stopped = plan.fail_fast && result.fails_run();
            done[step] = Some(results.len());
            results.push(result);
        }
        VerificationReport {
            provider: provider.to_string(),
            results,
            missing_states: missing,
            duration: started.elapsed(),
            skipped,
            ..VerificationReport::default()
        }
    }

    /// The result of `interaction` of `loaded` copied from `original`, the verification of an
    /// identical interaction of another pact: its own pact, index, comments and pending status,
    /// the original's outcome.
    pub(crate) fn shared_result(
        &self,
        provider: &str,
        loaded: &LoadedPact,
        index: usize,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
        original: &InteractionResult,
    ) -> InteractionResult {
        InteractionResult {
            index,
            failures: original.failures.clone(),
            warnings: original.warnings.clone(),
            body_diff: original.body_diff.clone(),
            exchange: original.exchange.clone(),
            duration: original.duration,
            shared_from: Some(original.pact_source.clone()),
            ..self.result(provider, loaded, interaction, Instant::now())
        }
    }

    /// `interaction` as `fail_fast` skipped it.
    pub(crate) fn skipped(
        &self,
        provider: &str,
        loaded: &LoadedPact,
        index: usize,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
    ) -> SkippedInteraction {
        SkippedInteraction {
            consumer: loaded.pact.consumer().name,
            provider: provider.to_string(),
            description: interaction.description(),
            states: interaction.provider_states().into_iter().map(|state| state.name).collect(),
            interaction_key: crate::pacts::interaction_key(interaction),
            index,
            pact_source: loaded.source.clone(),
        }
    }

    /// [`Engine::verify`], with the provider's state, hook and message functions called on the
    /// run's own thread instead of being handed to another thread each: this future supervises a
    /// runner thread that verifies the interactions. A function that overruns its bound on the
    /// runner fails its interaction; when it blocks the runner (a synchronous `fn` that never
    /// returns), the supervisor fails that interaction, leaves the runner, and carries the run on
    /// from the next interaction on a fresh runner thread. A function left behind runs on until it
    /// returns, and its runner thread then ends without going on.
    ///
    /// A runner is a runtime of its own with one worker, with a client of its own built as the
    /// engine's: the app's answer wakes the runner itself, not a worker of this runtime that then
    /// wakes it. The provider's functions are polled in this future's runtime, so what they spawn,
    /// and their timers and sockets, outlive the runner as they would in the test's own code.
    ///
    /// `checks.serial` is held for the whole run; `progress` hears about results every
    /// [`SUPERVISOR_TICK`]. An abandoned interaction's states are not torn down, and its
    /// `#[after_each]` hooks do not run.
    pub async fn verify_supervised(
        &self,
        provider: &str,
        pacts: Arc<Vec<LoadedPact>>,
        filter: &InteractionFilter,
        checks: SupervisedChecks,
        progress: Option<&mut Progress>,
    ) -> VerificationReport {
        let plan = Plan::selected_by(&pacts, |_, consumer, interaction| filter.selects(consumer, interaction));
        self.verify_plan_supervised(provider, pacts, plan, checks, progress).await
    }

    /// [`Engine::verify_plan`] on supervised runner threads, as [`Engine::verify_supervised`].
    pub(crate) async fn verify_plan_supervised(
        &self,
        provider: &str,
        pacts: Arc<Vec<LoadedPact>>,
        plan: Plan,
        checks: SupervisedChecks,
        mut progress: Option<&mut Progress>,
    ) -> VerificationReport {
        let started = Instant::now();
        if let Some(progress) = progress.as_deref_mut() {
            progress.start(plan.steps.len());
        }
        let _serial = match &checks.serial {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let run = Arc::new(SupervisedRun {
            engine: self.clone(),
            provider: provider.to_string(),
            pacts,
            plan,
            checks,
            results: std::sync::Mutex::new(Vec::new()),
            missing: std::sync::Mutex::new(Vec::new()),
            skipped: std::sync::Mutex::new(Vec::new()),
        });
        let mut errors = Vec::new();
        let mut reported = 0;
        let mut runner = SupervisedRun::start_runner(&run, 0);
        loop {
            let (watch, finished) = match &mut runner {
                Ok(runner) => (&runner.0, &mut runner.1),
                Err(error) => {
                    // No thread to run on: verify the rest here, each function handed off.
                    let error = std::mem::replace(error, std::io::Error::other(""));
                    let from = lock(&run.results).len();
                    let note = format!("cannot start a thread for the run ({error}): it went on without one");
                    run.verify_from(self, from, &Watch::default()).await;
                    errors.push(note);
                    break;
                }
            };
            let ended = tokio::select! {
                ended = finished => Some(ended.is_ok()),
                () = tokio::time::sleep(SUPERVISOR_TICK) => None,
            };
            if let Some(progress) = progress.as_deref_mut() {
                for result in &lock(&run.results)[reported..] {
                    progress.completed(result);
                }
            }
            reported = lock(&run.results).len();
            match ended {
                Some(true) => break,
                Some(false) => {
                    errors.push(format!(
                        "the run's thread ended before its end, after {reported} of {} interactions",
                        run.plan.steps.len()
                    ));
                    break;
                }
                None => {}
            }
            if let Some(overdue) = watch.abandon_if_overdue(SUPERVISOR_TICK) {
                let planned = run.plan.steps[overdue.position];
                let loaded = &run.pacts[planned.pact];
                let interaction = loaded.interactions()[planned.interaction].as_ref();
                let mut result = self.result(provider, loaded, interaction, overdue.started);
                result.index = planned.interaction;
                result.failures.push(overdue.failure);
                let stops = run.plan.fail_fast && result.fails_run();
                lock(&run.results).push(result);
                if stops {
                    run.skip_from(overdue.position + 1);
                    break;
                }
                runner = SupervisedRun::start_runner(&run, overdue.position + 1);
            }
        }
        if let Some(progress) = progress {
            for result in &lock(&run.results)[reported..] {
                progress.completed(result);
            }
        }
        let results = std::mem::take(&mut *lock(&run.results));
        let missing_states = lock(&run.missing).clone();
        let skipped = std::mem::take(&mut *lock(&run.skipped));
        VerificationReport {
            provider: provider.to_string(),
            results,
            missing_states,
            errors,
            skipped,
            duration: started.elapsed(),
            ..VerificationReport::default()
        }
    }

    /// Verifies one interaction of `loaded`, the one at `index` in its interactions, with the
    /// run's `checks`, adding the states no function serves to `missing`. Once the app has
    /// stopped, the interaction fails at once with the reason; a request that failed because the
    /// app stopped says so.
    pub async fn verify_interaction(
        &self,
        provider: &str,
        loaded: &LoadedPact,
        index: usize,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
        checks: &mut RunChecks<'_>,
        missing: &mut Vec<MissingState>,
    ) -> InteractionResult {
        if let Some(reason) = checks.app_exit.as_mut().and_then(|probe| probe()) {
            let mut result = self.result(provider, loaded, interaction, Instant::now());
            result.index = index;
            result.failures.push(Failure::AppStopped { reason });
            return result;
        }
        if let Some(why) = loaded.unsupported(index) {
            let mut result = self.result(provider, loaded, interaction, Instant::now());
            result.index = index;
            result.failures.push(Failure::Unsupported { message: why.to_string() });
            return result;
        }
        let serial = match &checks.serial {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let mut result = self.run_interaction(provider, loaded, index, interaction, checks, missing).await;
        drop(serial);
        result.index = index;
        if result.failures.iter().any(|failure| matches!(failure, Failure::Request { .. })) {
            if let Some(reason) = checks.app_exit.as_mut().and_then(|probe| probe()) {
                for failure in &mut result.failures {
                    if let Failure::Request { message } = failure {
                        message.push_str(&format!(" ({reason})"));
                    }
                }
            }
        }
        result
    }

    /// A result for `interaction` with no failures yet.
    fn result(
        &self,
        provider: &str,
        loaded: &LoadedPact,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
        started: Instant,
    ) -> InteractionResult {
        // Only V4 interactions have comments; `as_v4` would copy a V3 one whole to find none.
        let comments =
            interaction.is_v4().then(|| interaction.as_v4()).flatten().map(|v4| v4.comments()).unwrap_or_default();
        InteractionResult {
            consumer: loaded.pact.consumer().name,
            provider: provider.to_string(),
            description: interaction.description(),
            states: interaction.provider_states().iter().map(|state| state.name.clone()).collect(),
            interaction_id: interaction.id(),
            interaction_key: crate::pacts::interaction_key(interaction),
            index: 0,
            comments: comments.get("text").and_then(Value::as_array).map_or_else(Vec::new, |texts| {
                texts.iter().map(|text| text.as_str().map_or_else(|| text.to_string(), str::to_string)).collect()
            }),
            test_name: comments.get("testname").and_then(Value::as_str).map(str::to_string),
            pending: interaction.pending() || loaded.broker.as_ref().is_some_and(|context| context.pending),
            wip: loaded.broker.as_ref().is_some_and(|context| context.wip),
            pact_source: loaded.source.clone(),
            failures: Vec::new(),
            warnings: Vec::new(),
            duration: started.elapsed(),
            body_diff: None,
            shared_from: None,
            exchange: None,
        }
    }

    /// The states, hooks, request and teardowns of one interaction.
    async fn run_interaction(
        &self,
        provider: &str,
        loaded: &LoadedPact,
        index: usize,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
        checks: &RunChecks<'_>,
        missing: &mut Vec<MissingState>,
    ) -> InteractionResult {
        let started = Instant::now();
        let states = interaction.provider_states();
        let mut failures = Vec::new();
        let mut warnings = Vec::new();
        // What `fromProviderState` expressions read, each source over the one before: the
        // placeholders the states' patterns matched, the params, the values functions returned.
        let mut placeholders: HashMap<String, Value> = HashMap::new();
        let mut params: HashMap<String, Value> = HashMap::new();
        let mut returned: HashMap<String, Value> = HashMap::new();
        for state in &states {
            params.extend(state.params.iter().map(|(key, value)| (key.clone(), value.clone())));
        }

        let consumer = loaded.pact.consumer().name;
        let description = interaction.description();
        let hook_context = HookContext {
            provider: provider.to_string(),
            consumer: consumer.clone(),
            description: description.clone(),
            states: states.iter().map(|state| state.name.clone()).collect(),
            interaction_id: interaction.id(),
        };
        if let Some(hooks) = checks.hooks {
            failures.extend(hooks.run(HookKind::BeforeEach, &hook_context).await);
        }
        let mut skipped = Vec::new();
        for state in &states {
            let Some(registry) = checks.registry else { break };
            let params: Map<String, Value> = state.params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let Some(help) = registry.missing(&state.name, &params) else {
                continue;
            };
            let used_by = format!("{consumer} › {description}");
            match missing.iter_mut().find(|known| known.state == state.name) {
                Some(known) if !known.used_by.contains(&used_by) => known.used_by.push(used_by),
                Some(_) => {}
                None => missing.push(MissingState {
                    state: state.name.clone(),
                    used_by: vec![used_by],
                    stub: help.stub.clone(),
                }),
            }
            let needed = format!(
                "no provider state function serves `{}`, which interaction `{description}` of consumer `{consumer}` needs",
                state.name
            );
            match checks.missing_states {
                MissingStates::Fail => failures
                    .push(Failure::MissingState { state: state.name.clone(), message: format!("{needed}\n{help}") }),
                MissingStates::Warn => {
                    let suggestions = match help.suggestions.as_slice() {
                        [] => String::new(),
                        [only] => format!("\ndid you mean {only}?"),
                        several => format!("\ndid you mean one of these?\n  {}", several.join("\n  ")),
                    };
                    warnings.push(format!(
                        "{needed}; the request was sent without it (missing_states = \"warn\"){suggestions}"
                    ));
                    skipped.push(state.name.clone());
                }
            }
        }

        if let Some(messages) = checks.messages.filter(|_| is_message(interaction)) {
            if let Some(help) = messages.missing(&description) {
                failures.push(Failure::MissingMessage {
                    description: description.clone(),
                    message: format!(
                        "no #[message] function produces `{description}`, which consumer `{consumer}` expects\n{help}"
                    ),
                });
            }
        }

        #[cfg(feature = "plugins")]
        if let Some(needed) = loaded.plugins_for(index).filter(|_| failures.is_empty()) {
            if let Err(message) = self.plugins.ensure_loaded(loaded, needed).await {
                failures.push(Failure::Plugin { plugin: String::new(), message });
            }
        }

        let mut set_up = Vec::new();
        let to_set_up = if failures.is_empty() { states.as_slice() } else { &[] };
        for state in to_set_up.iter().filter(|state| !skipped.contains(&state.name)) {
            match self.change_state(state, StateAction::Setup).await {
                Ok(changed) => {
                    placeholders.extend(changed.placeholders);
                    returned.extend(changed.returned);
                    set_up.push(state);
                }
                Err(message) => {
                    failures.push(Failure::StateSetup { state: state.name.clone(), message });
                    break;
                }
            }
        }

        let mut context = placeholders;
        context.extend(params);
        context.extend(returned);
        if failures.is_empty() {
            if let Some(failure) = unresolved_state_values(interaction, &states, &context) {
                failures.push(failure);
            }
        }

        let mut body_diff = None;
        let mut exchange = None;
        if failures.is_empty() {
            let seen = (&mut body_diff, &mut exchange);
            failures.extend(self.exchange(loaded, index, interaction, &context, checks.hooks, seen).await);
        }

        for state in set_up.into_iter().rev() {
            if let Err(message) = self.change_state(state, StateAction::Teardown).await {
                failures.push(Failure::StateTeardown { state: state.name.clone(), message });
            }
        }
        if let Some(hooks) = checks.hooks {
            failures.extend(hooks.run(HookKind::AfterEach, &hook_context).await);
        }

        InteractionResult {
            failures,
            warnings,
            body_diff,
            exchange,
            ..self.result(provider, loaded, interaction, started)
        }
    }

    /// Sends the generated request, through the request filters of `hooks`, and matches the
    /// response. Empty when it matched; on a body mismatch, `body_diff` gets both bodies. An
    /// HTTP interaction's request and responses go to `exchange`, for the HTML report.
    async fn exchange(
        &self,
        loaded: &LoadedPact,
        index: usize,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
        context: &HashMap<String, Value>,
        hooks: Option<&Hooks>,
        (body_diff, exchange): (&mut Option<BodyDiff>, &mut Option<Box<Exchange>>),
    ) -> Vec<Failure> {
        let pact = &loaded.pact;
        #[cfg(feature = "plugins")]
        if loaded.plugins_for(index).is_some() {
            if let Some(failures) =
                self.plugins.exchange(loaded, interaction, context, &self.custom_headers, hooks).await
            {
                return failures;
            }
            // A message whose contents a plugin matches: Pact's message matching asks the
            // plugin, bounded like a request.
            return self
                .plugins
                .bounded_matching(interaction, self.message_exchange(pact, interaction, body_diff))
                .await;
        }
        #[cfg(not(feature = "plugins"))]
        let _ = index;
        if is_message(interaction) {
            return self.message_exchange(pact, interaction, body_diff).await;
        }
        let Some(http) = interaction.as_v4_http() else {
            return vec![Failure::Unsupported {
                message: format!(
                    "`{}` is a {} interaction; this engine verifies HTTP interactions",
                    interaction.description(),
                    interaction.type_of()
                ),
            }];
        };
        let mut request = if has_generators(&http.request) {
            let generator_context: HashMap<&str, Value> =
                context.iter().map(|(key, value)| (key.as_str(), value.clone())).collect();
            pact_matching::generate_request(&http.request, &GeneratorTestMode::Provider, &generator_context).await
        } else {
            // What `generate_request` answers for a request it has nothing to generate in.
            http.request.clone()
        };
        for (name, value) in &self.custom_headers {
            let headers = request.headers.get_or_insert_with(HashMap::new);
            headers.retain(|key, _| !key.eq_ignore_ascii_case(name));
            headers.insert(name.clone(), vec![value.clone()]);
        }
        let request = match hooks {
            Some(hooks) => match hooks.filter_request(request).await {
                Ok(request) => request,
                Err(failure) => return vec![failure],
            },
            None => request,
        };
        let mut seen =
            self.keeps_exchanges.then(|| exchange.insert(Box::new(self.exchange_record(&request, &http.response))));
        let actual = match self.send(&request).await {
            Ok(actual) => actual,
            Err(message) => {
                return vec![Failure::Request { message: format!("{} {}: {message}", request.method, request.path) }]
            }
        };
        if let Some(seen) = seen.as_deref_mut() {
            seen.actual_status = Some(actual.status);
            seen.actual_headers = self.header_list(actual.headers.as_ref());
            seen.actual_body = Exchange::body(&body_text(&actual.body));
        }
        // Bodies are reference-counted bytes: keeping them for a diff copies nothing.
        let actual_body = actual.body.clone();
        let expected_body = http.response.body.clone();
        let content_type = pact_models::http_parts::HttpPart::content_type(&http.response);
        match match_response(http.response, actual, pact, &interaction.boxed()).await {
            Ok(mismatches) => {
                if let (true, Some(seen)) = (mismatches.is_empty(), seen) {
                    // The HTML report shows a passing interaction's request and statuses only.
                    seen.actual_headers = Vec::new();
                    (seen.expected_body, seen.actual_body) = (String::new(), String::new());
                }
                if mismatches
                    .iter()
                    .any(|m| matches!(m, Mismatch::BodyMismatch { .. } | Mismatch::BodyTypeMismatch { .. }))
                {
                    *body_diff = Some(BodyDiff {
                        content_type: content_type.map(|content_type| content_type.to_string()),
                        expected: body_text(&expected_body),
                        actual: body_text(&actual_body),
                    });
                }
                mismatches.iter().map(mismatch_failure).collect()
            }
            Err(err) => vec![Failure::Request { message: format!("matching the response failed: {err:#}") }],
        }
    }

    /// Asks the message endpoint for the message of `interaction`, in the protocol Pact's
    /// verifiers use, and matches it with Pact's message matching: `match_message` for V3
    /// messages and V4 asynchronous messages, `match_sync_message_response` for the response
    /// of a V4 synchronous message.
    #[allow(clippy::borrowed_box)] // `match_message` takes `&Box<dyn Pact>`
    async fn message_exchange(
        &self,
        pact: &Box<dyn Pact + Send + Sync + RefUnwindSafe>,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
        body_diff: &mut Option<BodyDiff>,
    ) -> Vec<Failure> {
        let description = interaction.description();
        if self.functions.is_none() && self.message_url.is_none() {
            return vec![Failure::Unsupported {
                message: format!("`{description}` is a message interaction, but no message endpoint is configured"),
            }];
        }
        let sync = interaction.as_v4_sync_message();
        if sync.as_ref().is_some_and(|sync| sync.response.len() > 1) {
            return vec![Failure::Unsupported {
                message: format!(
                    "`{description}` is a synchronous message with several responses; Pact's matching compares one response, and a #[message] function produces one"
                ),
            }];
        }
        let mut body = json!({ "description": description });
        let states = interaction.provider_states();
        if !states.is_empty() {
            body["providerStates"] = Value::Array(states.iter().map(ProviderState::to_json).collect());
        }
        if let Some(sync) = &sync {
            body["request"] = sync.request.to_json();
        }
        let produced = match &self.functions {
            Some(functions) => produce_in_process(functions, body).await,
            None => self.produce_over_http(&description, &body).await,
        };
        let ProducedMessage { bytes, content_type, metadata: extra } = match produced {
            Ok(produced) => produced,
            Err(failure) => return vec![failure],
        };
        // As pact_verifier reads a message: `contentType` from the header, then the metadata.
        let mut metadata: HashMap<String, Value> = HashMap::new();
        metadata.insert("contentType".to_string(), Value::String(content_type.clone().unwrap_or_default()));
        metadata.extend(extra);
        let contents = MessageContents {
            contents: OptionalBody::Present(
                bytes.clone(),
                content_type.as_deref().and_then(|text| ContentType::parse(text).ok()),
                None,
            ),
            metadata,
            ..MessageContents::default()
        };
        let (mismatches, expected) = match &sync {
            Some(sync) => {
                let actual = vec![contents];
                let mismatches = match_sync_message_response(sync, &sync.response, &actual, pact).await;
                (mismatches, sync.response.first().cloned().unwrap_or_default())
            }
            None => {
                let actual = AsynchronousMessage { contents, ..AsynchronousMessage::default() };
                let mismatches = match_message(&interaction.boxed(), &actual.boxed(), pact).await;
                let expected = interaction.as_v4_async_message().map(|message| message.contents).unwrap_or_default();
                (mismatches, expected)
            }
        };
        if mismatches.iter().any(|m| matches!(m, Mismatch::BodyMismatch { .. } | Mismatch::BodyTypeMismatch { .. })) {
            *body_diff = Some(BodyDiff {
                content_type: expected.message_content_type().map(|content_type| content_type.to_string()),
                expected: body_text(&expected.contents),
                actual: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        mismatches.iter().map(mismatch_failure).collect()
    }

    /// The request as sent and the response the pact expects, for the HTML report.
    fn exchange_record(
        &self,
        request: &pact_models::v4::http_parts::HttpRequest,
        expected: &pact_models::v4::http_parts::HttpResponse,
    ) -> Exchange {
        let mut path = request.path.clone();
        if let Some(query) = &request.query {
            let mut pairs: Vec<String> = query
                .iter()
                .flat_map(|(name, values)| values.iter().map(move |value| (name, value.clone().unwrap_or_default())))
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            pairs.sort();
            path = format!("{path}?{}", pairs.join("&"));
        }
        Exchange {
            method: request.method.clone(),
            path: crate::util::redact::text(&path),
            request_headers: self.header_list(request.headers.as_ref()),
            request_body: Exchange::body(&body_text(&request.body)),
            expected_status: expected.status,
            expected_headers: self.header_list(expected.headers.as_ref()),
            expected_body: Exchange::body(&body_text(&expected.body)),
            ..Exchange::default()
        }
    }

    /// Headers sorted by name, credentials and custom header values hidden.
    fn header_list(&self, headers: Option<&HashMap<String, Vec<String>>>) -> Vec<(String, String)> {
        let custom: Vec<String> = self.custom_headers.iter().map(|(name, _)| name.clone()).collect();
        let mut list: Vec<(String, String)> = headers
            .into_iter()
            .flatten()
            .map(|(name, values)| (name.clone(), Exchange::header_value(name, &values.join(", "), &custom)))
            .collect();
        list.sort();
        list
    }

    /// Sends `request` to the provider and reads its response, the body up to
    /// `max_body_bytes`; the error says what failed, with its cause.
    async fn send(
        &self,
        request: &pact_models::v4::http_parts::HttpRequest,
    ) -> Result<pact_models::v4::http_parts::HttpResponse, String> {
        let native = http::native_request(&self.client, &self.base_url, request)?;
        let response =
            crate::util::watch::app_answer(native.send()).await.map_err(|err| crate::util::redact::error(&err))?;
        http::pact_response(response, self.max_body_bytes).await.map_err(|error| error.describe("the response body"))
    }

    /// POSTs a message request to the message endpoint, in the protocol Pact's verifiers use.
    async fn produce_over_http(&self, description: &str, body: &Value) -> Result<ProducedMessage, Failure> {
        let url = self.message_url.as_deref().unwrap_or_default();
        let response = self.client.post(url).json(body).send().await.map_err(|err| Failure::Request {
            message: format!(
                "message `{description}`: the message endpoint did not answer: {}",
                crate::util::redact::error(&err)
            ),
        })?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let encoded_metadata =
            response.headers().get(METADATA_HEADER).and_then(|value| value.to_str().ok()).map(str::to_string);
        let bytes = http::read_body(response, self.max_body_bytes).await.map_err(|error| Failure::Request {
            message: format!("message `{description}`: {}", error.describe("the message body")),
        })?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|value| value.get("error").and_then(Value::as_str).map(str::to_string))
                .unwrap_or(text);
            return Err(Failure::Request { message: format!("{message} (message endpoint answered {status})") });
        }
        let metadata = match encoded_metadata {
            Some(encoded) => {
                use base64::Engine as _;
                let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).unwrap_or_default();
                serde_json::from_slice(&decoded).unwrap_or_default()
            }
            None => HashMap::new(),
        };
        Ok(ProducedMessage { bytes, content_type, metadata })
    }

    /// Runs one state change, in-process or through the state endpoint, and answers the values
    /// its function returned and, in-process, its placeholders' values (the endpoint answers
    /// both merged with the params, in lookup order).
    async fn change_state(&self, state: &ProviderState, action: StateAction) -> Result<ChangedState, String> {
        if let Some(functions) = &self.functions {
            let params = state.params.iter().map(|(key, value)| (key.clone(), value.clone())).collect();
            let change = StateChange { state: state.name.clone(), params, action };
            return match functions.change_state(change).await {
                Ok(changed) => Ok(ChangedState {
                    returned: changed.returned.into_iter().collect(),
                    placeholders: changed.placeholders.into_iter().collect(),
                }),
                Err(error) => Err(error.message),
            };
        }
        let Some(url) = &self.state_change_url else {
            return match action {
                StateAction::Setup => {
                    Err(format!("state `{}` cannot be set up: no state endpoint is configured", state.name))
                }
                StateAction::Teardown => Ok(ChangedState::default()),
            };
        };
        let body = json!({ "state": state.name, "params": state.params, "action": action.as_str() });
        let response = self.client.post(url).json(&body).send().await.map_err(|err| {
            format!(
                "{action} of state `{}`: the state endpoint did not answer: {}",
                state.name,
                crate::util::redact::error(&err)
            )
        })?;
        let status = response.status();
        let body = http::read_body(response, self.max_body_bytes).await.map_err(|error| {
            format!("{action} of state `{}`: {}", state.name, error.describe("the state endpoint's answer"))
        })?;
        let text = String::from_utf8_lossy(&body).into_owned();
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let message = parsed
                .as_ref()
                .and_then(|value| value.get("error"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or(text);
            return Err(format!("{message} (state endpoint answered {status})"));
        }
        let returned = match parsed {
            Some(Value::Object(values)) => values.into_iter().collect(),
            _ => HashMap::new(),
        };
        Ok(ChangedState { returned, placeholders: HashMap::new() })
    }
}

/// What one state change gave `fromProviderState` expressions.
#[derive(Default)]
struct ChangedState {
    /// The values the state function returned (through the endpoint: its whole answer).
    returned: HashMap<String, Value>,
    /// Its placeholders' values, typed as its arguments took them.
    placeholders: HashMap<String, Value>,
}

/// A failure naming each `${name}` of the request's `fromProviderState` expressions that no
/// returned value, param or placeholder provides. Pact's generator would keep the consumer's
/// example value instead, and the request would quietly ask for something else.
fn unresolved_state_values(
    interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
    states: &[ProviderState],
    context: &HashMap<String, Value>,
) -> Option<Failure> {
    /// Answers every name (so parsing goes on past a missing one) and notes the missing ones.
    struct Noting<'a> {
        context: &'a HashMap<String, Value>,
        missing: std::cell::RefCell<Vec<String>>,
    }
    impl pact_models::expression_parser::ValueResolver<Value> for Noting<'_> {
        fn resolve_value(&self, name: &str) -> Option<Value> {
            if !self.context.contains_key(name) {
                self.missing.borrow_mut().push(name.to_string());
            }
            Some(self.context.get(name).cloned().unwrap_or(Value::Null))
        }
    }
    let http = interaction.as_v4_http()?;
    // Each missing name with the expressions that use it, sorted so the message is stable.
    let mut unresolved: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for generator in http.request.generators.categories.values().flat_map(|generators| generators.values()) {
        let Generator::ProviderStateGenerator(expression, _) = generator else { continue };
        let noting = Noting { context, missing: Default::default() };
        let _ = pact_models::expression_parser::parse_expression(expression, &noting);
        for name in noting.missing.into_inner() {
            unresolved.entry(name).or_default().insert(expression.clone());
        }
    }
    let first = unresolved.keys().next()?.clone();
    let names: Vec<String> = unresolved
        .iter()
        .map(|(name, expressions)| {
            let expressions: Vec<String> = expressions.iter().map(|expression| format!("`{expression}`")).collect();
            format!("`{name}` (in {})", expressions.join(", "))
        })
        .collect();
    let from = match states {
        [] => "the interaction has no provider state".to_string(),
        states => format!(
            "no value a #[provider_state] function returned, no param and no placeholder of {} has that name",
            states.iter().map(|state| format!("`{}`", state.name)).collect::<Vec<_>>().join(", ")
        ),
    };
    Some(Failure::StateSetup {
        state: states.first().map(|state| state.name.clone()).unwrap_or_default(),
        message: format!(
            "the request's `fromProviderState` expressions need {}, but {from}; return it from the state function (a map or `StateValues`), give it as a param, or name it as a placeholder in the state's pattern, such as `{{{first}}}`",
            names.join(", ")
        ),
    })
}

/// A message as its `#[message]` function produced it.
struct ProducedMessage {
    bytes: axum::body::Bytes,
    content_type: Option<String>,
    /// The function's metadata, without `contentType`.
    metadata: HashMap<String, Value>,
}

/// Asks the provider's functions for a message directly, with the request the endpoint would
/// have read from `body`.
async fn produce_in_process(functions: &ProviderFunctions, body: Value) -> Result<ProducedMessage, Failure> {
    let request = message_request(body).map_err(|error| Failure::Request { message: error.message })?;
    let message = functions.produce_message(request).await.map_err(|error| match error.producer {
        // The function ran and failed: the provider's code, not a request, is at fault.
        Some(ProducerFailure { function, description, message }) => {
            Failure::Producer { description, function: function.to_string(), message }
        }
        None => Failure::Request { message: error.endpoint.message },
    })?;
    Ok(ProducedMessage {
        bytes: axum::body::Bytes::copy_from_slice(message.contents()),
        content_type: Some(message.content_type().to_string()),
        metadata: message.metadata().iter().map(|(key, value)| (key.clone(), value.clone())).collect(),
    })
}
