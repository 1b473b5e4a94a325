//! The scenario's event log, which the provider-state functions, the provider stub and the
//! message producers write to, and the changes the scenario's request filter makes.

use std::sync::{LazyLock, Mutex, PoisonError};

use serde_json::{Map, Value};

use crate::messages;

/// The provider verified when no provider-state callback is configured: no state function
/// serves it, so its states are missing (and `missing_states = "warn"` makes that a warning).
pub const PROVIDER: &str = "p";

/// The provider whose states a catch-all `#[provider_state("{state}")]` pair records: the
/// suite's "provider state callback".
pub const PROVIDER_WITH_STATE_CALLBACK: &str = "p-with-state-callback";

/// The provider whose catch-all state function records the call and then fails.
pub const PROVIDER_WITH_FAILING_STATE_CALLBACK: &str = "p-with-failing-state-callback";

/// A request the provider stub received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What happened during a verification, in order.
#[derive(Debug, Clone)]
pub enum Event {
    /// A state function ran for a setup.
    StateSetup {
        /// The state text.
        state: String,
        /// Its params.
        params: Map<String, Value>,
    },
    /// A state function ran for a teardown.
    StateTeardown {
        /// The state text.
        state: String,
        /// Its params.
        params: Map<String, Value>,
    },
    /// The provider received a request.
    ProviderRequest(RecordedRequest),
    /// A message producer ran.
    MessageProduced {
        /// The message description (read through `Debug`, in the harness's error messages).
        #[allow(dead_code)]
        description: String,
    },
}

static EVENTS: LazyLock<Mutex<Vec<Event>>> = LazyLock::new(Default::default);

/// Appends to the event log. Scenarios run one at a time, so the log is the scenario's.
pub fn record(event: Event) {
    EVENTS.lock().unwrap_or_else(PoisonError::into_inner).push(event);
}

/// The event log so far.
pub fn events() -> Vec<Event> {
    EVENTS.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Empties the event log (and the request-filter changes) for a new scenario.
pub fn reset() {
    EVENTS.lock().unwrap_or_else(PoisonError::into_inner).clear();
    FILTER_CHANGES.lock().unwrap_or_else(PoisonError::into_inner).clear();
    messages::set(Vec::new());
}

/// A change "a request filter is configured to make".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterChange {
    /// Set a header.
    Header(String, String),
    /// Replace the path.
    Path(String),
    /// Add a query parameter.
    Query(String, String),
    /// Replace the body.
    Body(String),
}

static FILTER_CHANGES: LazyLock<Mutex<Vec<FilterChange>>> = LazyLock::new(Default::default);

/// Configures the request filter of the current scenario.
pub fn set_filter_changes(changes: Vec<FilterChange>) {
    *FILTER_CHANGES.lock().unwrap_or_else(PoisonError::into_inner) = changes;
}

/// Applies the current scenario's changes: what the harness's `#[request_filter]` does.
pub fn apply_filter_changes(request: &mut pact_runtime::ProviderRequest) {
    let changes = FILTER_CHANGES.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for change in changes {
        match change {
            FilterChange::Header(name, value) => request.set_header(&name, value),
            FilterChange::Path(path) => request.set_path(path),
            FilterChange::Query(name, value) => request.add_query(&name, value),
            FilterChange::Body(body) => request.set_body(body),
        }
    }
}
