//! Serving a provider's states and messages to a Pact verifier that is not ours: the
//! `pact_verifier` CLI or crate, pact-jvm, pact-js, a Pact Broker webhook job.

use crate::config::Settings;
use crate::endpoint::StateEndpoint;
use crate::message::registry::MessageRegistry;
use crate::session::{check_states, RunError};
use crate::states::StateRegistry;

/// The generated provider-state endpoint on its own, for an external Pact verifier.
///
/// It serves the provider's `#[provider_state]` functions at its
/// [state-change URL](StateServer::state_change_url), in the standard state-change protocol
/// (`{"state", "params", "action"}` as JSON, or the same as a query string), and its
/// `#[message]` functions at its [message URL](StateServer::message_url), in the protocol of
/// Pact's message providers (see [`mod@crate::message`]). It listens on `127.0.0.1` and an
/// ephemeral port, and stops when dropped.
///
/// A setup answers the values the function returned over its placeholders' values that no
/// param shadows: a verifier that puts the answer over the params (as `pact_verifier` does)
/// resolves `fromProviderState` expressions as a `#[pact_provider_test]` does.
///
/// Both URLs start with a secret path segment made for this server
/// (`http://127.0.0.1:PORT/<secret>/_pact/provider_states`): give the verifier the whole URL.
/// A request without it is answered `403`, and a body that is not `Content-Type:
/// application/json` `415` (the query-string form has no body), without running anything.
///
/// ```no_run
/// use pact_runtime::{provider_state, StateServer};
///
/// #[provider_state("user {id} exists")]
/// fn user_exists(id: u64) {
/// # let _ = id;
/// }
///
/// # async fn run() -> Result<(), pact_runtime::RunError> {
/// let server = StateServer::start("UserService").await?;
/// // e.g. pact_verifier's `--state-change-url`, or `ProviderStateExecutor`'s URL
/// println!("state changes: {}", server.state_change_url());
/// println!("messages: {}", server.message_url());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct StateServer {
    endpoint: StateEndpoint,
}

impl StateServer {
    /// Serves the functions registered for `provider` (those scoped to it and the unscoped
    /// ones) with the default state path and a 30 s bound on each function.
    ///
    /// Fails when two functions serve the same state or message, listing both locations, or
    /// when no loopback port can be bound.
    pub async fn start(provider: &str) -> Result<StateServer, RunError> {
        let mut settings = Settings::new(Vec::new());
        settings.provider = Some(provider.to_string());
        Self::start_with(&settings).await
    }

    /// Like [`StateServer::start`] for the provider of `settings`, with its `state_path`,
    /// `state_timeout` and `max_body_bytes` (see [`crate::config`]); the other settings are not used.
    pub async fn start_with(settings: &Settings) -> Result<StateServer, RunError> {
        let provider = settings.provider.as_deref().ok_or_else(|| {
            RunError::Config(crate::config::ConfigError(
                "a state server serves one provider: set it with `SettingsBuilder::provider` (or the `provider` option)".to_string(),
            ))
        })?;
        check_states(provider)?;
        let endpoint = StateEndpoint::start_with_messages(
            StateRegistry::for_provider(provider),
            MessageRegistry::for_provider(provider).with_max_body_bytes(settings.max_body_bytes),
            &settings.state_path,
            settings.state_timeout,
        )
        .await
        .map_err(|err| RunError::Setup(format!("cannot start the state endpoint on 127.0.0.1: {err}")))?;
        Ok(StateServer { endpoint })
    }

    /// The URL a verifier POSTs state changes to, with this server's secret path segment.
    pub fn state_change_url(&self) -> &str {
        self.endpoint.url()
    }

    /// The URL a verifier POSTs message requests to (`/_pact/messages` under the same secret
    /// segment, on the same port).
    pub fn message_url(&self) -> String {
        self.endpoint.message_url()
    }

    /// The loopback port it listens on, for verifiers configured by host and port.
    pub fn port(&self) -> u16 {
        self.endpoint.address().port()
    }
}
