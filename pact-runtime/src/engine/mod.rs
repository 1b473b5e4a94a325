//! The verification engine: our own interaction loop around Pact's building blocks.
//!
//! `pact_verifier::verify_provider_async` builds a new HTTP client for every interaction, which
//! costs milliseconds each. This engine builds one pooled client for the run and, per
//! interaction, uses the same public pieces the Pact verifier uses, so matching stays Pact's:
//! `pact_matching::generate_request` (with the provider-state values),
//! `pact_verifier::provider_client::make_provider_request` and `pact_matching::match_response`.
//!
//! Per interaction, in order: every state's setup (stopping at the first failure), the
//! request (only when every setup succeeded), then the teardown of each state that was set up,
//! in reverse order, whatever happened before.

pub mod filter;
pub mod sources;

use std::collections::HashMap;
use std::panic::RefUnwindSafe;
use std::time::{Duration, Instant};

use pact_matching::{match_response, Mismatch};
use pact_models::generators::GeneratorTestMode;
use pact_models::interaction::Interaction;
use pact_models::pact::Pact;
use pact_models::provider_states::ProviderState;
use pact_verifier::callback_executors::NullRequestFilterExecutor;
use pact_verifier::provider_client::make_provider_request;
use pact_verifier::{ProviderInfo, ProviderTransport, VerificationOptions};
use serde_json::{json, Map, Value};

use crate::registry::StateAction;
use crate::report::{Failure, InteractionResult, VerificationReport};
pub use filter::InteractionFilter;
pub use sources::{load_pacts, LoadedPact, PactSource, SourceError};

/// How the engine reaches the provider and its state endpoint.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The provider's base URL, e.g. `http://127.0.0.1:3000` or `http://127.0.0.1:3000/api`.
    pub provider_base_url: String,
    /// Where to POST state changes. `None` skips states (and fails interactions that have some).
    pub state_change_url: Option<String>,
    /// Timeout for each request to the provider and each state change.
    pub request_timeout: Duration,
    /// Headers added to every request to the provider.
    pub custom_headers: HashMap<String, String>,
}

impl EngineConfig {
    /// A configuration with a 30 s request timeout and no custom headers.
    pub fn new(provider_base_url: impl Into<String>, state_change_url: Option<String>) -> EngineConfig {
        EngineConfig {
            provider_base_url: provider_base_url.into(),
            state_change_url,
            request_timeout: Duration::from_secs(30),
            custom_headers: HashMap::new(),
        }
    }
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
    Failure::Mismatch { kind: mismatch.mismatch_type().to_string(), path, description: mismatch.description() }
}

/// The HTTP client the engine uses: pooled, no redirects, `timeout` per request. Installs the
/// ring rustls provider first, which `pact_verifier`'s reqwest needs even to build a client.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, EngineError> {
    crate::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("pact-runtime/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| EngineError(format!("cannot build the HTTP client: {err}")))
}

/// Verifies pacts against a running provider with one pooled HTTP client.
///
/// ```no_run
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
#[derive(Debug)]
pub struct Engine {
    client: reqwest::Client,
    provider: ProviderInfo,
    transport: ProviderTransport,
    options: VerificationOptions<NullRequestFilterExecutor>,
    state_change_url: Option<String>,
}

impl Engine {
    /// Builds the engine and its HTTP client.
    pub fn new(config: EngineConfig) -> Result<Engine, EngineError> {
        let client = http_client(config.request_timeout)?;
        Self::with_client(config, client)
    }

    /// Builds the engine around an existing client (clones share its connection pool).
    pub fn with_client(config: EngineConfig, client: reqwest::Client) -> Result<Engine, EngineError> {
        pact_matching::matchingrules::configure_core_catalogue();
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
        let options = VerificationOptions {
            request_timeout: config.request_timeout.as_millis() as u64,
            custom_headers: config.custom_headers,
            coloured_output: false,
            follow_redirects: false,
            ..VerificationOptions::default()
        };
        let provider = ProviderInfo { host, transports: vec![transport.clone()], ..ProviderInfo::default() };
        Ok(Engine { client, provider, transport, options, state_change_url: config.state_change_url })
    }

    /// The pooled client, reused for every request of the run (and usable to fetch pacts).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Verifies every interaction of every pact, in order.
    pub async fn verify(&self, provider: &str, pacts: &[LoadedPact]) -> VerificationReport {
        self.verify_filtered(provider, pacts, &InteractionFilter::default()).await
    }

    /// Verifies the interactions `filter` selects, in pact order.
    pub async fn verify_filtered(
        &self,
        provider: &str,
        pacts: &[LoadedPact],
        filter: &InteractionFilter,
    ) -> VerificationReport {
        let started = Instant::now();
        let mut results = Vec::new();
        for loaded in pacts {
            let consumer = loaded.pact.consumer().name;
            for interaction in loaded.pact.interactions() {
                let states: Vec<String> = interaction.provider_states().into_iter().map(|state| state.name).collect();
                if filter.matches(&consumer, &interaction.description(), &states) {
                    results.push(self.verify_interaction(provider, loaded, interaction.as_ref()).await);
                }
            }
        }
        VerificationReport {
            provider: provider.to_string(),
            results,
            duration: started.elapsed(),
            ..VerificationReport::default()
        }
    }

    /// Verifies one interaction of `loaded`: setups, request, teardowns.
    pub async fn verify_interaction(
        &self,
        provider: &str,
        loaded: &LoadedPact,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
    ) -> InteractionResult {
        let started = Instant::now();
        let states = interaction.provider_states();
        let mut failures = Vec::new();
        let mut context: HashMap<String, Value> = HashMap::new();
        for state in &states {
            context.extend(state.params.iter().map(|(key, value)| (key.clone(), value.clone())));
        }

        let mut set_up = Vec::new();
        for state in &states {
            match self.change_state(state, StateAction::Setup).await {
                Ok(values) => {
                    context.extend(values);
                    set_up.push(state);
                }
                Err(message) => {
                    failures.push(Failure::StateSetup { state: state.name.clone(), message });
                    break;
                }
            }
        }

        if failures.is_empty() {
            failures.extend(self.exchange(&loaded.pact, interaction, &context).await);
        }

        for state in set_up.into_iter().rev() {
            if let Err(message) = self.change_state(state, StateAction::Teardown).await {
                failures.push(Failure::StateTeardown { state: state.name.clone(), message });
            }
        }

        InteractionResult {
            consumer: loaded.pact.consumer().name,
            provider: provider.to_string(),
            description: interaction.description(),
            states: states.iter().map(|state| state.name.clone()).collect(),
            interaction_id: interaction.id(),
            pending: interaction.pending() || loaded.broker.as_ref().is_some_and(|context| context.pending),
            wip: loaded.broker.as_ref().is_some_and(|context| context.wip),
            pact_source: loaded.source.clone(),
            failures,
            duration: started.elapsed(),
        }
    }

    /// Sends the generated request and matches the response. Empty when it matched.
    #[allow(clippy::borrowed_box)] // `match_response` takes `&Box<dyn Pact>`
    async fn exchange(
        &self,
        pact: &Box<dyn Pact + Send + Sync + RefUnwindSafe>,
        interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe),
        context: &HashMap<String, Value>,
    ) -> Vec<Failure> {
        let Some(http) = interaction.as_v4_http() else {
            return vec![Failure::Unsupported {
                message: format!(
                    "`{}` is a {} interaction; this engine verifies HTTP interactions",
                    interaction.description(),
                    interaction.type_of()
                ),
            }];
        };
        let generator_context: HashMap<&str, Value> =
            context.iter().map(|(key, value)| (key.as_str(), value.clone())).collect();
        let request =
            pact_matching::generate_request(&http.request, &GeneratorTestMode::Provider, &generator_context).await;
        let actual = match make_provider_request(
            &self.provider,
            &request,
            &self.options,
            &self.client,
            Some(self.transport.clone()),
        )
        .await
        {
            Ok(actual) => actual,
            Err(err) => {
                return vec![Failure::Request { message: format!("{} {}: {err:#}", request.method, request.path) }]
            }
        };
        match match_response(http.response.clone(), actual, pact, &interaction.boxed()).await {
            Ok(mismatches) => mismatches.iter().map(mismatch_failure).collect(),
            Err(err) => vec![Failure::Request { message: format!("matching the response failed: {err:#}") }],
        }
    }

    /// POSTs one state change to the state endpoint and returns the values it answered with.
    async fn change_state(&self, state: &ProviderState, action: StateAction) -> Result<HashMap<String, Value>, String> {
        let Some(url) = &self.state_change_url else {
            return match action {
                StateAction::Setup => {
                    Err(format!("state `{}` cannot be set up: no state endpoint is configured", state.name))
                }
                StateAction::Teardown => Ok(HashMap::new()),
            };
        };
        let body = json!({ "state": state.name, "params": state.params, "action": action.as_str() });
        let response = self.client.post(url).json(&body).send().await.map_err(|err| {
            format!(
                "{action} of state `{}`: the state endpoint did not answer: {}",
                state.name,
                crate::redact::error(&err)
            )
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
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
        Ok(match parsed {
            Some(Value::Object(values)) => values.into_iter().collect(),
            _ => Map::new().into_iter().collect(),
        })
    }
}
