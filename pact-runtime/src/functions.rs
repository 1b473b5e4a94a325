//! The provider's own functions, run for a state change or a message: the one place that looks
//! them up and runs them, one at a time, within `state_timeout_ms`.
//!
//! Two fronts call it. A `#[pact_provider_test]` run's engine calls it in-process, so a state
//! change costs a function call instead of an HTTP round trip; the state endpoint (for other
//! Pact verifiers, see `StateServer`) calls it for each request it accepts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::message::registry::{MessageRegistry, ProduceError};
use crate::message::{Message, MessageRequest};
use crate::report::Failure;
use crate::states::protocol::StateChange;
use crate::states::{LookupError, StateAction, StateCall, StateRegistry};
use crate::util::{run_bounded, Bounded, EndpointError};

/// The provider's state and message functions. Clones share the lock.
#[derive(Clone)]
pub struct ProviderFunctions {
    inner: Arc<Inner>,
}

struct Inner {
    registry: StateRegistry,
    messages: MessageRegistry,
    timeout: Duration,
    /// One function at a time, so a provider's states never interleave.
    serial: tokio::sync::Mutex<()>,
}

impl Inner {
    /// The lock held around each function, except on a supervised run's runner thread (see
    /// [`crate::util::watch::on_runner`]).
    async fn serial(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if crate::util::watch::on_runner() {
            return None;
        }
        Some(self.serial.lock().await)
    }
}

impl std::fmt::Debug for ProviderFunctions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderFunctions").field("timeout", &self.inner.timeout).finish_non_exhaustive()
    }
}

impl ProviderFunctions {
    /// The functions of `registry` and `messages`, each allowed `timeout` per call.
    pub fn new(registry: StateRegistry, messages: MessageRegistry, timeout: Duration) -> ProviderFunctions {
        ProviderFunctions {
            inner: Arc::new(Inner { registry, messages, timeout, serial: tokio::sync::Mutex::new(()) }),
        }
    }

    /// Runs the function that serves `change` and answers the values it returned and its
    /// placeholders' values. An empty state (verifiers send one for interactions without
    /// states) and the teardown of a state no function serves do nothing. Errors carry the
    /// status the endpoint answers with.
    pub async fn change_state(&self, change: StateChange) -> Result<StateChanged, EndpointError> {
        let inner = &self.inner;
        // The look-up counts toward `state_timeout_ms` too.
        let started = Instant::now();
        if change.state.trim().is_empty() {
            return Ok(StateChanged::default());
        }
        if let Some(error) = too_long(
            "provider state text",
            &change.state,
            "#[provider_state] patterns",
            " (a state can carry data in its params)",
        ) {
            return Err(EndpointError::unprocessable(error));
        }
        let found = match inner.registry.lookup(&change.state, &change.params, change.action) {
            Ok(found) => found,
            Err(LookupError::Missing) if change.action == StateAction::Teardown => return Ok(StateChanged::default()),
            Err(LookupError::Missing) => {
                let help = match inner.registry.missing(&change.state, &change.params) {
                    Some(help) => format!("\n{help}"),
                    None => String::new(),
                };
                return Err(EndpointError::unprocessable(format!(
                    "no provider state function serves `{}`{help}",
                    change.state
                )));
            }
            Err(LookupError::Ambiguous(registrations)) => {
                let locations: Vec<String> = registrations
                    .iter()
                    .map(|r| format!("`{}` ({}) at {}", r.pattern, r.function, r.location))
                    .collect();
                return Err(EndpointError::unprocessable(format!(
                    "state `{}` matches more than one {} function: {}",
                    change.state,
                    change.action,
                    locations.join(", ")
                )));
            }
        };
        let call = StateCall {
            state: change.state.clone(),
            placeholders: found.placeholders,
            params: change.params,
            placeholder_values: Arc::default(),
        };
        let placeholder_values = call.placeholder_values.clone();
        let function = found.registration.function;
        let _serial = inner.serial().await;
        let left = inner.timeout.saturating_sub(started.elapsed());
        let (action, state, timeout) = (change.action, change.state.clone(), inner.timeout);
        let timed_out = move || {
            let message = state_timed_out(action, &state, timeout, function);
            match action {
                StateAction::Setup => Failure::StateSetup { state, message },
                StateAction::Teardown => Failure::StateTeardown { state, message },
            }
        };
        match run_bounded((found.registration.handler)(call), left, timed_out).await {
            Bounded::Finished(Ok(returned)) => Ok(StateChanged {
                returned,
                placeholders: std::mem::take(
                    &mut placeholder_values.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
                ),
            }),
            Bounded::Finished(Err(error)) => Err(EndpointError::unprocessable(format!(
                "{} of state `{}` failed in `{function}`: {error}",
                change.action, change.state
            ))),
            Bounded::Panicked(panic) => Err(EndpointError::unprocessable(format!(
                "{} of state `{}` panicked in `{function}`: {panic}",
                change.action, change.state
            ))),
            Bounded::NotStarted(cause) => Err(EndpointError::unprocessable(format!(
                "{} of state `{}` did not run `{function}`: {cause}",
                change.action, change.state
            ))),
            // Its thread runs on; the lock is released so the next interactions go on.
            Bounded::TimedOut => Err(EndpointError::unprocessable(state_timed_out(
                change.action,
                &change.state,
                inner.timeout,
                function,
            ))),
        }
    }

    /// Runs the `#[message]` function that produces `request`'s description, after any state
    /// function running now has finished.
    pub async fn produce_message(&self, request: MessageRequest) -> Result<Message, ProduceError> {
        let _serial = self.inner.serial().await;
        self.inner.messages.produce(request, self.inner.timeout).await
    }
}

/// What a state change gave for `fromProviderState` expressions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateChanged {
    /// The values the state function returned.
    pub returned: Map<String, Value>,
    /// Its placeholders' values, typed as its arguments took them.
    pub placeholders: Map<String, Value>,
}

impl StateChanged {
    /// What the state endpoint answers: the placeholders' values no param of the same name
    /// shadows, under the returned values. A verifier puts the answer over the params (as
    /// `pact_verifier` does), so it looks a name up as an in-process run does: returned values,
    /// then params, then placeholders.
    pub fn answer(self, params: &Map<String, Value>) -> Map<String, Value> {
        let mut values = self.placeholders;
        values.retain(|name, _| !params.contains_key(name));
        values.extend(self.returned);
        values
    }
}

/// The message of a state function that overran `state_timeout_ms`.
fn state_timed_out(action: StateAction, state: &str, timeout: Duration, function: &str) -> String {
    format!("{action} of state `{state}` timed out after {timeout:?} in `{function}` (`state_timeout_ms`, PACT_STATE_TIMEOUT_MS)")
}

/// The longest provider state text or message description matched against the functions'
/// patterns, in bytes (documented in the README, "When things go wrong").
pub(crate) const MAX_MATCHED_TEXT_BYTES: usize = 16 * 1024;

/// The error for a state text or message description longer than [`MAX_MATCHED_TEXT_BYTES`],
/// showing its start only.
pub(crate) fn too_long(what: &str, text: &str, against: &str, hint: &str) -> Option<String> {
    if text.len() <= MAX_MATCHED_TEXT_BYTES {
        return None;
    }
    let start: String = text.chars().take(40).collect();
    Some(format!(
        "the {what} `{start}...` is {} bytes, more than the {MAX_MATCHED_TEXT_BYTES} bytes pact-runtime matches against {against}: shorten it in the pact{hint}",
        text.len()
    ))
}
