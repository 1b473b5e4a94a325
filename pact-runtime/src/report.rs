//! What a verification run found, and how it reads on a console.

use std::fmt::{self, Write as _};
use std::time::Duration;

/// Why an interaction failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A state's setup failed; the request was not sent.
    StateSetup {
        /// The state text.
        state: String,
        /// What went wrong, as the state endpoint reported it.
        message: String,
    },
    /// A state's teardown failed after the request.
    StateTeardown {
        /// The state text.
        state: String,
        /// What went wrong.
        message: String,
    },
    /// The request could not be made or its response could not be read.
    Request {
        /// What went wrong.
        message: String,
    },
    /// The response does not match the pact.
    Mismatch {
        /// `StatusMismatch`, `HeaderMismatch`, `BodyMismatch`, ... as Pact names them.
        kind: String,
        /// What mismatched within its part: the header name, query parameter or body path.
        path: Option<String>,
        /// Pact's description of the mismatch.
        description: String,
    },
    /// The interaction is of a kind this engine does not verify.
    Unsupported {
        /// Which kind, and what to do about it.
        message: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The messages name the state and the action already.
            Failure::StateSetup { message, .. } | Failure::StateTeardown { message, .. } => f.write_str(message),
            Failure::Request { message } => write!(f, "request failed: {message}"),
            Failure::Mismatch { kind, description, .. } => write!(f, "{kind}: {description}"),
            Failure::Unsupported { message } => write!(f, "not verified: {message}"),
        }
    }
}

/// The result of verifying one interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionResult {
    /// The consumer that wrote the pact.
    pub consumer: String,
    /// The provider verified.
    pub provider: String,
    /// The interaction's description.
    pub description: String,
    /// The interaction's provider states, in order.
    pub states: Vec<String>,
    /// The interaction's id, when the pact has one (broker-served pacts do).
    pub interaction_id: Option<String>,
    /// A pending interaction's failures do not fail the run (the interaction or its pact is pending).
    pub pending: bool,
    /// The pact is work in progress (included by `includeWipPactsSince`); WIP pacts are pending too.
    pub wip: bool,
    /// The pact file or URL.
    pub pact_source: String,
    /// Empty when it passed.
    pub failures: Vec<Failure>,
    /// Time from the first state setup to the last teardown.
    pub duration: Duration,
}

impl InteractionResult {
    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// True when it failed and that fails the run (it is not pending).
    pub fn fails_run(&self) -> bool {
        !self.passed() && !self.pending
    }

    fn states_text(&self) -> String {
        if self.states.is_empty() {
            "no provider state".to_string()
        } else {
            self.states.iter().map(|state| format!("`{state}`")).collect::<Vec<_>>().join(", ")
        }
    }
}

/// Publishing one pact's verification result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The pact's URL.
    pub pact_source: String,
    /// The published result's success flag, or why publishing failed.
    pub outcome: Result<bool, String>,
}

/// The results of a whole run, in pact order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerificationReport {
    /// The provider verified.
    pub provider: String,
    /// One result per interaction.
    pub results: Vec<InteractionResult>,
    /// The broker's notices, in the order their moments came.
    pub notices: Vec<String>,
    /// Verification results published to the broker.
    pub publications: Vec<Publication>,
    /// Wall time of the run.
    pub duration: Duration,
}

impl VerificationReport {
    /// True when no interaction fails the run.
    pub fn is_success(&self) -> bool {
        !self.results.iter().any(InteractionResult::fails_run)
    }

    /// Publications that failed, with why.
    pub fn publish_failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.publications.iter().filter_map(|publication| match &publication.outcome {
            Err(error) => Some((publication.pact_source.as_str(), error.as_str())),
            Ok(_) => None,
        })
    }

    /// The interactions that fail the run.
    pub fn failures(&self) -> impl Iterator<Item = &InteractionResult> {
        self.results.iter().filter(|result| result.fails_run())
    }

    /// `N passed, N failed` with pending failures counted apart.
    pub fn counts(&self) -> String {
        let passed = self.results.iter().filter(|r| r.passed()).count();
        let failed = self.failures().count();
        let pending = self.results.iter().filter(|r| !r.passed() && r.pending).count();
        let mut text = format!("{passed} passed, {failed} failed");
        if pending > 0 {
            write!(text, ", {pending} pending failed").ok();
        }
        text
    }

    /// The failure summary a failing test panics with: every failing interaction with its
    /// consumer, description, states and mismatches.
    pub fn failure_summary(&self) -> String {
        let mut text = format!(
            "Pact verification of `{}` failed: {} interaction(s) did not verify ({}).\n",
            self.provider,
            self.failures().count(),
            self.counts()
        );
        for (index, result) in self.failures().enumerate() {
            write!(
                text,
                "\n{}) {} › {}\n   states: {}\n   pact: {}\n",
                index + 1,
                result.consumer,
                result.description,
                result.states_text(),
                result.pact_source
            )
            .ok();
            for failure in &result.failures {
                writeln!(text, "   - {}", indent(&failure.to_string(), "     ")).ok();
            }
        }
        text
    }
}

impl fmt::Display for VerificationReport {
    /// The console report: a line per interaction, the details of failures, and the counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Verifying provider `{}`", self.provider)?;
        for notice in &self.notices {
            writeln!(f, "  broker: {notice}")?;
        }
        let mut pact = None;
        for result in &self.results {
            if pact != Some(&result.pact_source) {
                pact = Some(&result.pact_source);
                writeln!(f, "\n  {} → {} ({})", result.consumer, result.provider, result.pact_source)?;
            }
            let mark = match (result.passed(), result.pending) {
                (true, _) => "✓ passed",
                (false, true) => "~ pending-failed",
                (false, false) => "✗ FAILED",
            };
            let flags = match (result.wip, result.pending) {
                (true, _) => " [WIP]",
                (false, true) => " [pending]",
                (false, false) => "",
            };
            writeln!(
                f,
                "    {mark}  {}{flags} [{}] ({:.1} ms)",
                result.description,
                result.states_text(),
                result.duration.as_secs_f64() * 1000.0
            )?;
            for failure in &result.failures {
                writeln!(f, "        - {}", indent(&failure.to_string(), "          "))?;
            }
        }
        for publication in &self.publications {
            match &publication.outcome {
                Ok(success) => writeln!(
                    f,
                    "\n  published {} result for {}",
                    if *success { "a passing" } else { "a failing" },
                    publication.pact_source
                )?,
                Err(error) => writeln!(f, "\n  publishing the result for {} FAILED: {error}", publication.pact_source)?,
            }
        }
        writeln!(f, "\n{} in {:.2} s", self.counts(), self.duration.as_secs_f64())
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().collect::<Vec<_>>().join(&format!("\n{prefix}"))
}
