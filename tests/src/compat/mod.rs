//! Support for the Pact compatibility-suite harness (`tests/tests/compatibility.rs`): fixtures,
//! the interactions and pact files the features describe, the provider and broker stubs, the
//! event log the provider-state functions and the provider write to, and the list of known
//! differences the run is checked against.
//!
//! The step definitions themselves are in the test target, next to the `#[provider_state]`
//! and `#[request_filter]` functions they drive, since those must be in the test binary.

pub mod broker;
pub mod fixtures;
pub mod messages;
pub mod pacts;
pub mod provider;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex, PoisonError};

use serde_json::{Map, Value};

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
        /// The message description.
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

/// A scenario pact-runtime does not pass, and why. The harness checks that exactly these
/// scenarios fail, of those it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownDifference {
    /// The feature file, relative to the features folder, e.g. `V1/http_provider.feature`.
    pub feature: &'static str,
    /// The scenario's name.
    pub scenario: &'static str,
    /// Why it cannot pass.
    pub reason: &'static str,
}

const NO_STATE_CALL: &str = "pact-runtime makes no state call for an interaction without provider states (an empty \
     state is a no-op by design; use #[before_each]/#[after_each] for work done around every interaction), so there \
     is no setup or teardown call with \"\"";
const NO_COMMENTS: &str = "pact-runtime's report does not print V4 interaction comments or the `testname` comment";

/// The scenarios of the suite's provider features that pact-runtime does not pass.
pub const KNOWN_DIFFERENCES: &[KnownDifference] = &[
    KnownDifference {
        feature: "V1/http_provider.feature",
        scenario: "Verifying an interaction with no defined provider state",
        reason: NO_STATE_CALL,
    },
    KnownDifference {
        feature: "V3/message_provider.feature",
        scenario: "Supports messages with body formatted for the Kafka schema registry",
        reason: "tagged @wip in the suite: the message has the Kafka schema registry's 5-byte header before its \
             JSON, and Pact's JSON matching in pact_matching 2.1, which pact-runtime uses, does not skip it (the body \
             does not parse as JSON)",
    },
    KnownDifference {
        feature: "V4/http_provider.feature",
        scenario: "Verifying a HTTP interaction with comments",
        reason: NO_COMMENTS,
    },
    KnownDifference {
        feature: "V4/message_provider.feature",
        scenario: "Verifying a message interaction with comments",
        reason: NO_COMMENTS,
    },
];

/// How one scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioOutcome {
    /// The feature file, relative to the features folder.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// Why it failed; `None` when it passed.
    pub failure: Option<String>,
}

/// The outcomes checked against the known differences.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per feature: passed, failed as known, and the reasons of the known differences.
    pub features: BTreeMap<String, (usize, Vec<&'static KnownDifference>)>,
    /// Failures that are not known differences: the run fails.
    pub unexpected: Vec<ScenarioOutcome>,
    /// Known differences that passed: the list is stale, and the run fails.
    pub stale: Vec<&'static KnownDifference>,
}

impl Summary {
    /// Checks `outcomes` against `known`.
    pub fn new(outcomes: &[ScenarioOutcome], known: &'static [KnownDifference]) -> Summary {
        let mut summary = Summary::default();
        for outcome in outcomes {
            let entry = summary.features.entry(outcome.feature.clone()).or_default();
            let listed = known.iter().find(|k| k.feature == outcome.feature && k.scenario == outcome.scenario);
            match (&outcome.failure, listed) {
                (None, None) => entry.0 += 1,
                (None, Some(listed)) => {
                    entry.0 += 1;
                    summary.stale.push(listed);
                }
                (Some(_), Some(listed)) => entry.1.push(listed),
                (Some(_), None) => summary.unexpected.push(outcome.clone()),
            }
        }
        summary
    }

    /// True when the failures are exactly the known differences.
    pub fn is_ok(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty()
    }

    /// The table the harness prints: per feature, passed and known differences with reasons.
    pub fn render(&self) -> String {
        let mut text =
            String::from("\nPact compatibility suite\n\n| feature | passed | known differences |\n|---|---|---|\n");
        for (feature, (passed, known)) in &self.features {
            writeln!(text, "| {feature} | {passed} | {} |", known.len()).ok();
        }
        let known: Vec<&&KnownDifference> = self.features.values().flat_map(|(_, known)| known).collect();
        if !known.is_empty() {
            text.push_str("\nKnown differences (failed, as listed):\n");
            for difference in known {
                writeln!(text, "  - {} › {}: {}", difference.feature, difference.scenario, difference.reason).ok();
            }
        }
        for outcome in &self.unexpected {
            writeln!(
                text,
                "\nUNEXPECTED FAILURE {} › {}:\n  {}",
                outcome.feature,
                outcome.scenario,
                outcome.failure.as_deref().unwrap_or_default().replace('\n', "\n  ")
            )
            .ok();
        }
        for difference in &self.stale {
            writeln!(
                text,
                "\nSTALE known difference {} › {}: it passed; remove it from KNOWN_DIFFERENCES",
                difference.feature, difference.scenario
            )
            .ok();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[KnownDifference] = &[KnownDifference { feature: "V1/a.feature", scenario: "known", reason: "why" }];

    fn outcome(scenario: &str, failure: Option<&str>) -> ScenarioOutcome {
        ScenarioOutcome {
            feature: "V1/a.feature".into(),
            scenario: scenario.into(),
            failure: failure.map(str::to_string),
        }
    }

    #[test]
    fn failures_must_be_exactly_the_known_differences() {
        let ok = Summary::new(&[outcome("known", Some("no call")), outcome("other", None)], KNOWN);
        assert!(ok.is_ok(), "{}", ok.render());
        assert_eq!(ok.features["V1/a.feature"].0, 1);
        assert!(ok.render().contains("V1/a.feature › known: why"));

        let unexpected = Summary::new(&[outcome("known", Some("no call")), outcome("other", Some("boom"))], KNOWN);
        assert!(!unexpected.is_ok());
        assert!(unexpected.render().contains("UNEXPECTED FAILURE V1/a.feature › other"));

        let stale = Summary::new(&[outcome("known", None)], KNOWN);
        assert!(!stale.is_ok());
        assert!(stale.render().contains("STALE known difference"));
    }
}
