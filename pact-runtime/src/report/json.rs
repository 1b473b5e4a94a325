//! The JSON report, for scripts and dashboards: written when `json_report = "path"` or
//! `PACT_VERIFIER_JSON_REPORT` names a file.
//!
//! # Schema
//!
//! The file is one [`JsonReport`] object; every type here is `Serialize` and `Deserialize`, so
//! a Rust consumer can read it back with `serde_json::from_str::<JsonReport>`. The `schema`
//! field names the version; fields are only ever added within one version.
//!
//! ```json
//! {
//!   "schema": "pact-runtime/verification-report/v1",
//!   "name": "pact_verification::user_service_honours_its_pacts",
//!   "provider": "UserService",
//!   "success": false,
//!   "error": null,
//!   "duration_ms": 12.5,
//!   "summary": { "total": 2, "passed": 1, "failed": 1, "pending_failed": 0, "skipped": 0, "shared": 0 },
//!   "interactions": [
//!     {
//!       "id": null,
//!       "key": "5d7a0c4e9b21f3a8",
//!       "index": 0,
//!       "comments": [],
//!       "test_name": null,
//!       "consumer": "UserServiceClient",
//!       "provider": "UserService",
//!       "description": "a request for user 123",
//!       "states": ["user 123 exists"],
//!       "pending": false,
//!       "wip": false,
//!       "result": "failed",
//!       "duration_ms": 3.1,
//!       "pact_source": "pacts/UserServiceClient-UserService.json",
//!       "mismatches": [
//!         {
//!           "kind": "BodyMismatch",
//!           "path": "$.name",
//!           "state": null,
//!           "message": "BodyMismatch: $.name -> Expected 42 (Integer) to be the same type as 'Verna Hampton' (String)",
//!           "expected": "\"Verna Hampton\"",
//!           "actual": "42"
//!         }
//!       ],
//!       "warnings": [],
//!       "body": { "content_type": "application/json", "expected": "{...}", "actual": "{...}" },
//!       "shared_from": null
//!     }
//!   ],
//!   "missing_states": [],
//!   "warnings": [],
//!   "errors": [],
//!   "notices": [],
//!   "publications": [],
//!   "skipped": [],
//!   "shared_saved_ms": 0.0
//! }
//! ```
//!
//! - `result` is `passed`, `failed` or `pending-failed` (failed, but pending, so the run still
//!   passes); `success` is false when an interaction `failed` or `error` is set.
//! - `error` is set, and `interactions` empty, when the run could not verify anything (no pacts,
//!   the app did not boot, ...).
//! - `mismatches` lists everything that failed the interaction. `kind` is Pact's mismatch type
//!   (`StatusMismatch`, `HeaderMismatch`, `BodyMismatch`, `BodyTypeMismatch`, `QueryMismatch`,
//!   `PathMismatch`, `MethodMismatch`, `MetadataMismatch`) or one of `StateSetupFailed`,
//!   `StateTeardownFailed` (with `state`), `RequestFailed`, `Unsupported`,
//!   `MissingProviderState` (with `state`), `AppStopped`, `HookFailed`, `MessageProducerFailed` (a
//!   `#[message]` function failed). `message` is the text the
//!   console shows.
//! - `key` identifies the interaction across runs and machines: the pact's V4 interaction `key`,
//!   or else the first 16 hex digits of a SHA-256 of its description, provider states (with
//!   params) and request. `index` is its position in its pact, from 0. Key results by
//!   (`pact_source`, `key`), not by description.
//! - `comments` are a V4 interaction's text comments and `test_name` its `comments.testname`.
//! - `body` holds both bodies when the body did not match, else `null`.
//! - Each text (a body, a mismatch's `message`, `expected` and `actual`) is kept up to 1 MiB;
//!   a longer one is cut there and ends with `... [N more bytes cut]`.
//! - `skipped` lists what `fail_fast` left unverified after the first failure (`key`, `index`,
//!   `consumer`, `description`, `states`, `pact_source`, `reason`); `summary.skipped` counts
//!   them, and they are not in `total`.
//! - `shared_from` names the pact whose identical interaction was verified for this one
//!   (`dedupe_interactions`): the result is that verification's, reported for each pact.
//!   `summary.shared` counts them and `shared_saved_ms` is what verifying them again would
//!   have taken.
//! - `last_failed` reads this file back: it reruns the interactions whose `result` is not
//!   `passed`, by (`consumer`, `key`).
//! - Durations are milliseconds.

use serde::{Deserialize, Serialize};

use super::{console, Failure, InteractionResult, SkippedInteraction, VerificationReport};

/// The `schema` value of this version of the report.
pub const SCHEMA: &str = "pact-runtime/verification-report/v1";

/// The whole JSON report. See the [module docs](self) for an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonReport {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The test (or harness binary) that ran.
    pub name: String,
    /// The provider verified.
    pub provider: String,
    /// True when no interaction failed the run and the run did not error.
    pub success: bool,
    /// Why the run could not verify anything, if it could not.
    pub error: Option<String>,
    /// Wall time of the run.
    pub duration_ms: f64,
    /// Counts of the interactions by result.
    pub summary: JsonSummary,
    /// One entry per verified interaction, in pact order.
    pub interactions: Vec<JsonInteraction>,
    /// Provider states no `#[provider_state]` function serves.
    pub missing_states: Vec<String>,
    /// Warnings about the run as a whole.
    pub warnings: Vec<String>,
    /// What failed the run besides its interactions (unused state functions under
    /// `unused_states = "fail"`).
    #[serde(default)]
    pub errors: Vec<String>,
    /// The Pact Broker's notices.
    pub notices: Vec<String>,
    /// Verification results published to the broker.
    pub publications: Vec<JsonPublication>,
    /// The interactions `fail_fast` left unverified after the first failure, in pact order.
    #[serde(default)]
    pub skipped: Vec<JsonSkipped>,
    /// What verifying the `summary.shared` interactions for each of their pacts would have
    /// taken, in milliseconds (`dedupe_interactions` saved it).
    #[serde(default)]
    pub shared_saved_ms: f64,
}

/// An interaction the run selected but did not verify, because `fail_fast` stopped it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonSkipped {
    /// The interaction's key, as in [`JsonInteraction::key`].
    pub key: String,
    /// Its position in its pact's interactions, from 0.
    pub index: usize,
    /// The consumer that wrote the pact.
    pub consumer: String,
    /// The interaction's description.
    pub description: String,
    /// Its provider states, in order.
    pub states: Vec<String>,
    /// The pact file or URL.
    pub pact_source: String,
    /// Why it was not verified.
    pub reason: String,
}

/// Counts of the interactions by result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonSummary {
    /// Interactions verified.
    pub total: usize,
    /// Interactions that passed.
    pub passed: usize,
    /// Interactions that failed the run.
    pub failed: usize,
    /// Pending interactions that failed (they do not fail the run).
    pub pending_failed: usize,
    /// Interactions `fail_fast` skipped (not in `total`).
    #[serde(default)]
    pub skipped: usize,
    /// Interactions whose result is that of an identical interaction of another pact of the
    /// same consumer, verified once (`dedupe_interactions`); counted in `total`.
    #[serde(default)]
    pub shared: usize,
}

/// One verified interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonInteraction {
    /// The interaction's id, when the pact has one (broker-served pacts do).
    pub id: Option<String>,
    /// The pact's V4 interaction key, or else a stable hash of its description, states and
    /// request (see the [module docs](self)). Absent in reports written before it existed.
    #[serde(default)]
    pub key: String,
    /// Its position in its pact's interactions, from 0.
    #[serde(default)]
    pub index: usize,
    /// The V4 interaction's text comments.
    #[serde(default)]
    pub comments: Vec<String>,
    /// The V4 `comments.testname`: the consumer test that wrote the interaction.
    #[serde(default)]
    pub test_name: Option<String>,
    /// The consumer that wrote the pact.
    pub consumer: String,
    /// The provider verified.
    pub provider: String,
    /// The interaction's description.
    pub description: String,
    /// Its provider states, in order.
    pub states: Vec<String>,
    /// Its failures do not fail the run.
    pub pending: bool,
    /// Its pact is work in progress.
    pub wip: bool,
    /// `passed`, `failed` or `pending-failed`.
    pub result: String,
    /// Time from its first hook or state setup to its last teardown or hook.
    pub duration_ms: f64,
    /// The pact file or URL.
    pub pact_source: String,
    /// Everything that failed it; empty when it passed.
    pub mismatches: Vec<JsonMismatch>,
    /// What needs attention without failing it.
    pub warnings: Vec<String>,
    /// The expected and actual bodies, when the body did not match.
    pub body: Option<JsonBody>,
    /// When the interaction is identical to one of another pact of the same consumer, that
    /// pact: the interaction was verified once, there, and this is its result.
    #[serde(default)]
    pub shared_from: Option<String>,
}

/// One failure of an interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonMismatch {
    /// Pact's mismatch type, or what else failed (see the [module docs](self)).
    pub kind: String,
    /// The header, query parameter or body path that mismatched.
    pub path: Option<String>,
    /// The provider state, for state failures.
    pub state: Option<String>,
    /// The text the console shows.
    pub message: String,
    /// The expected value, when Pact reports one.
    pub expected: Option<String>,
    /// The actual value, when Pact reports one.
    pub actual: Option<String>,
}

/// The expected and actual response bodies of an interaction whose body did not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonBody {
    /// The content type the pact expects.
    pub content_type: Option<String>,
    /// The pact's example body.
    pub expected: String,
    /// The provider's body.
    pub actual: String,
}

/// One publication of results to the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonPublication {
    /// The pact's URL.
    pub pact_source: String,
    /// The success flag that was published, when publishing worked.
    pub published_success: Option<bool>,
    /// Why publishing failed, when it did.
    pub error: Option<String>,
}

fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// `text` within the JSON report's cap of one text ([`console::FILES`]), with a note of how much
/// was cut past it.
fn capped(text: &str) -> String {
    console::shortened(text, console::FILES.text_bytes).into_owned()
}

fn mismatch(failure: &Failure) -> JsonMismatch {
    let mut json = JsonMismatch {
        kind: failure.kind().to_string(),
        path: None,
        state: None,
        message: capped(&failure.to_string()),
        expected: None,
        actual: None,
    };
    match failure {
        Failure::Mismatch { path, expected, actual, .. } => {
            json.path = path.clone();
            json.expected = expected.as_deref().map(capped);
            json.actual = actual.as_deref().map(capped);
        }
        Failure::StateSetup { state, .. }
        | Failure::StateTeardown { state, .. }
        | Failure::MissingState { state, .. } => {
            json.state = Some(state.clone());
        }
        Failure::MissingMessage { description, .. } => json.state = Some(description.clone()),
        _ => {}
    }
    json
}

fn interaction(result: &InteractionResult) -> JsonInteraction {
    JsonInteraction {
        id: result.interaction_id.clone(),
        key: result.interaction_key.clone(),
        index: result.index,
        comments: result.comments.clone(),
        test_name: result.test_name.clone(),
        consumer: result.consumer.clone(),
        provider: result.provider.clone(),
        description: result.description.clone(),
        states: result.states.clone(),
        pending: result.pending,
        wip: result.wip,
        result: result.outcome().to_string(),
        duration_ms: millis(result.duration),
        pact_source: result.pact_source.clone(),
        mismatches: result.failures.iter().map(mismatch).collect(),
        warnings: result.warnings.clone(),
        body: result.body_diff.as_ref().map(|diff| JsonBody {
            content_type: diff.content_type.clone(),
            expected: capped(&diff.expected),
            actual: capped(&diff.actual),
        }),
        shared_from: result.shared_from.clone(),
    }
}

impl JsonReport {
    /// The report of a run that could not verify anything.
    pub fn for_error(name: &str, provider: &str, error: &str) -> JsonReport {
        JsonReport {
            schema: SCHEMA.to_string(),
            name: name.to_string(),
            provider: provider.to_string(),
            success: false,
            error: Some(error.to_string()),
            duration_ms: 0.0,
            summary: JsonSummary { total: 0, passed: 0, failed: 0, pending_failed: 0, skipped: 0, shared: 0 },
            interactions: Vec::new(),
            missing_states: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
            notices: Vec::new(),
            publications: Vec::new(),
            skipped: Vec::new(),
            shared_saved_ms: 0.0,
        }
    }
}

impl VerificationReport {
    /// The report in the JSON schema of [`report::json`](crate::report::json); `name` names the test that ran.
    ///
    /// ```
    /// use pact_runtime::VerificationReport;
    ///
    /// let mut report = VerificationReport::default();
    /// report.provider = "UserService".into();
    /// let json = report.to_json("pacts");
    /// assert_eq!(json.schema, "pact-runtime/verification-report/v1");
    /// assert!(json.success);
    /// assert_eq!(serde_json::to_value(&json).unwrap()["summary"]["total"], 0);
    /// ```
    pub fn to_json(&self, name: &str) -> JsonReport {
        let (shared, saved) = self.shared();
        JsonReport {
            schema: SCHEMA.to_string(),
            name: name.to_string(),
            provider: self.provider.clone(),
            success: self.is_success(),
            error: None,
            duration_ms: millis(self.duration),
            summary: JsonSummary {
                total: self.results.len(),
                passed: self.results.iter().filter(|r| r.passed()).count(),
                failed: self.failures().count(),
                pending_failed: self.results.iter().filter(|r| !r.passed() && r.pending).count(),
                skipped: self.skipped.len(),
                shared,
            },
            shared_saved_ms: millis(saved),
            interactions: self.results.iter().map(interaction).collect(),
            missing_states: self.missing_states.iter().map(|missing| missing.state.clone()).collect(),
            warnings: self.warnings.clone(),
            errors: self.errors.clone(),
            notices: self.notices.clone(),
            publications: self
                .publications
                .iter()
                .map(|publication| JsonPublication {
                    pact_source: publication.pact_source.clone(),
                    published_success: publication.outcome.as_ref().ok().copied(),
                    error: publication.outcome.as_ref().err().cloned(),
                })
                .collect(),
            skipped: self
                .skipped
                .iter()
                .map(|skipped| JsonSkipped {
                    key: skipped.interaction_key.clone(),
                    index: skipped.index,
                    consumer: skipped.consumer.clone(),
                    description: skipped.description.clone(),
                    states: skipped.states.clone(),
                    pact_source: skipped.pact_source.clone(),
                    reason: SkippedInteraction::REASON.to_string(),
                })
                .collect(),
        }
    }
}
