//! The scenarios of the suite pact-runtime does not pass, and why, and the summary of a run
//! checked against them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

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
