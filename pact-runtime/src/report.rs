//! What a verification run found, how it reads on a console, and the JUnit, JSON and HTML
//! report files (`junit_report`, `json_report`, `html_report`).

use std::fmt::{self, Write as _};
use std::time::Duration;

pub(crate) mod console;
pub(crate) mod files;
mod html;
pub mod json;
mod junit;
pub(crate) mod last_failed;
pub(crate) mod progress;

pub(crate) use console::shell_quote;
pub(crate) use files::ReportFiles;
pub(crate) use junit::failure_text;
pub(crate) use progress::Progress;

/// Why an interaction failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// A state's setup failed; the request was not sent.
    StateSetup {
        /// The state text.
        state: String,
        /// What went wrong, as the state function (or the state endpoint) reported it.
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
        /// The expected value, as the pact has it (for a body mismatch, the value at `path`).
        expected: Option<String>,
        /// The actual value the provider answered with.
        actual: Option<String>,
    },
    /// The interaction is of a kind this engine does not verify.
    Unsupported {
        /// Which kind, and what to do about it.
        message: String,
    },
    /// No `#[provider_state]` function serves one of the interaction's states, so nothing was
    /// set up and the request was not sent.
    MissingState {
        /// The state text.
        state: String,
        /// The state, the interaction and its consumer, the closest registered states and a stub.
        message: String,
    },
    /// No `#[message]` function produces the message of a message interaction, so nothing was
    /// set up and no message was produced.
    MissingMessage {
        /// The message description.
        description: String,
        /// The description, its consumer, the closest producers and a stub to paste.
        message: String,
    },
    /// The provider app stopped earlier in the run, so the interaction was not verified.
    AppStopped {
        /// Why the app stopped.
        reason: String,
    },
    /// A Pact plugin could not be loaded, or failed or did not answer in time while it verified
    /// the interaction (`plugins` feature).
    Plugin {
        /// The plugin's name, when known.
        plugin: String,
        /// What went wrong, with the plugin's last stderr lines when it wrote any.
        message: String,
    },
    /// A `#[message]` function ran and failed: it returned an error, panicked, timed out, or
    /// produced a message larger than `max_body_bytes`.
    Producer {
        /// The message description it was asked to produce.
        description: String,
        /// The function's name.
        function: String,
        /// What went wrong.
        message: String,
    },
    /// A `#[before_each]` or `#[after_each]` hook, or a `#[request_filter]`, failed.
    Hook {
        /// `before_each`, `after_each` or `request_filter`.
        kind: String,
        /// The function's name.
        function: String,
        /// Its error or panic message.
        message: String,
    },
}

impl Failure {
    /// The failure's kind as every report names it (JSON `kind`, JUnit `type`, HTML): a
    /// mismatch's own kind (`StatusMismatch`, `BodyMismatch`, ...) or the failure's.
    pub(crate) fn kind(&self) -> &str {
        match self {
            Failure::Mismatch { kind, .. } => kind,
            Failure::StateSetup { .. } => "StateSetupFailed",
            Failure::StateTeardown { .. } => "StateTeardownFailed",
            Failure::Request { .. } => "RequestFailed",
            Failure::Unsupported { .. } => "Unsupported",
            Failure::MissingState { .. } => "MissingProviderState",
            Failure::MissingMessage { .. } => "MissingMessageProducer",
            Failure::AppStopped { .. } => "AppStopped",
            Failure::Hook { .. } => "HookFailed",
            Failure::Producer { .. } => "MessageProducerFailed",
            Failure::Plugin { .. } => "PluginFailed",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The messages name the state and the action already.
            Failure::StateSetup { message, .. } | Failure::StateTeardown { message, .. } => f.write_str(message),
            Failure::Request { message } => write!(f, "request failed: {message}"),
            Failure::Mismatch { kind, path: Some(path), description, .. } if !mentions(description, path) => {
                write!(f, "{kind} at {path}: {description}")
            }
            Failure::Mismatch { kind, description, .. } => write!(f, "{kind}: {description}"),
            Failure::Unsupported { message } => write!(f, "not verified: {message}"),
            Failure::MissingState { message, .. } | Failure::MissingMessage { message, .. } => f.write_str(message),
            Failure::AppStopped { reason } => {
                write!(f, "not verified: {reason} (it stopped during the run, before this interaction)")
            }
            Failure::Hook { kind, function, message } => write!(f, "{kind} `{function}` failed: {message}"),
            Failure::Producer { description, function, message } => {
                write!(f, "the #[message] function `{function}` failed to produce `{description}`: {message}")
            }
            Failure::Plugin { message, .. } => write!(f, "plugin failed: {message}"),
        }
    }
}

/// Whether Pact's mismatch text names its path already: body mismatches start with it, header,
/// query and metadata mismatches quote it.
fn mentions(description: &str, path: &str) -> bool {
    description.starts_with(path) || description.contains(&format!("'{path}'"))
}

/// The result of verifying one interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The interaction's V4 `key`, or else a hash of its description, states and request:
    /// the same in every run and on every machine while the interaction does not change.
    pub interaction_key: String,
    /// Its position in its pact's interactions, from 0.
    pub index: usize,
    /// The V4 interaction's text comments (`comments.text`), in order.
    pub comments: Vec<String>,
    /// The V4 `comments.testname`: the name of the consumer test that wrote the interaction.
    pub test_name: Option<String>,
    /// A pending interaction's failures do not fail the run (the interaction or its pact is pending).
    pub pending: bool,
    /// The pact is work in progress (included by `includeWipPactsSince`); WIP pacts are pending too.
    pub wip: bool,
    /// The pact file or URL.
    pub pact_source: String,
    /// Empty when it passed.
    pub failures: Vec<Failure>,
    /// What did not fail the interaction but needs attention, such as a missing state under
    /// `missing_states = "warn"`.
    pub warnings: Vec<String>,
    /// Time from the first state setup to the last teardown.
    pub duration: Duration,
    /// The expected and actual response bodies, kept when the body did not match.
    pub body_diff: Option<BodyDiff>,
    /// The pact whose identical interaction was verified for this one (`dedupe_interactions`):
    /// this result is that verification's.
    pub(crate) shared_from: Option<String>,
    /// The HTTP request sent and the response expected and received, for the HTML report.
    pub(crate) exchange: Option<Box<Exchange>>,
}

/// What an HTTP interaction sent and what it expected and got back, as the HTML report shows
/// it. Bodies are cut at [`Exchange::BODY_BYTES`]; secret header values are hidden.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Exchange {
    pub(crate) method: String,
    /// The path with its query string.
    pub(crate) path: String,
    pub(crate) request_headers: Vec<(String, String)>,
    pub(crate) request_body: String,
    pub(crate) expected_status: u16,
    pub(crate) expected_headers: Vec<(String, String)>,
    pub(crate) expected_body: String,
    /// None when no response came.
    pub(crate) actual_status: Option<u16>,
    pub(crate) actual_headers: Vec<(String, String)>,
    pub(crate) actual_body: String,
}

impl Exchange {
    /// The most of each body kept: enough to read, small enough for 10,000 interactions.
    pub(crate) const BODY_BYTES: usize = 4 * 1024;

    /// Header values never shown: credentials, and the values of the run's `custom_headers`.
    pub(crate) fn header_value(name: &str, value: &str, secret: &[String]) -> String {
        const CREDENTIALS: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];
        let hidden = CREDENTIALS.iter().any(|known| name.eq_ignore_ascii_case(known))
            || secret.iter().any(|custom| name.eq_ignore_ascii_case(custom));
        if hidden {
            "[hidden]".to_string()
        } else {
            crate::util::redact::text(value)
        }
    }

    /// `text` cut at [`Exchange::BODY_BYTES`] on a character boundary, saying how much was cut.
    pub(crate) fn body(text: &str) -> String {
        console::shortened(text, Self::BODY_BYTES).into_owned()
    }
}

/// An interaction a run selected but did not verify, because `fail_fast` stopped it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedInteraction {
    pub(crate) consumer: String,
    pub(crate) provider: String,
    pub(crate) description: String,
    pub(crate) states: Vec<String>,
    pub(crate) interaction_key: String,
    pub(crate) index: usize,
    pub(crate) pact_source: String,
}

impl SkippedInteraction {
    /// Why it was skipped, as every report says it.
    pub(crate) const REASON: &'static str = "not verified: fail_fast stopped the run at the first failure";
}

/// The expected and actual response bodies of an interaction whose body did not match. The
/// console report shows them as a diff; the JSON report carries them whole.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BodyDiff {
    /// The response's content type, as the pact expects it.
    pub content_type: Option<String>,
    /// The pact's example body.
    pub expected: String,
    /// The body the provider answered with.
    pub actual: String,
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

    /// The states as the report shows them, or `no provider state`.
    pub(crate) fn states_text(&self) -> String {
        if self.states.is_empty() {
            "no provider state".to_string()
        } else {
            self.states.iter().map(|state| format!("`{state}`")).collect::<Vec<_>>().join(", ")
        }
    }

    /// Its lines in the console report: the outcome, then the failures, body diff and warnings.
    pub(crate) fn console_lines(&self, palette: console::Palette) -> String {
        let result = self;
        let mut text = String::new();
        let mark = match (result.passed(), result.pending) {
            (true, _) => palette.green("✓ passed"),
            (false, true) => palette.yellow("~ pending-failed"),
            (false, false) => palette.red(&palette.bold("✗ FAILED")),
        };
        let flags = match (result.wip, result.pending) {
            (true, _) => " [WIP]",
            (false, true) => " [pending]",
            (false, false) => "",
        };
        writeln!(
            text,
            "    {mark}  {}{flags} [{}] {}",
            console::printable(&result.description),
            console::printable(&result.states_text()),
            palette.dim(&format!("({:.1} ms)", result.duration.as_secs_f64() * 1000.0))
        )
        .ok();
        if let Some(source) = &result.shared_from {
            let note = format!("= verified once: the identical interaction of {}", console::printable(source));
            writeln!(text, "        {}", palette.dim(&note)).ok();
        }
        for comment in &result.comments {
            writeln!(text, "        {}", palette.dim(&format!("# {}", indent(comment, "          # ")))).ok();
        }
        if let Some(name) = &result.test_name {
            writeln!(text, "        {}", palette.dim(&format!("# original test name: {}", console::printable(name))))
                .ok();
        }
        let short = |text: &str| console::shortened(text, console::CONSOLE.text_bytes).into_owned();
        for failure in &result.failures {
            writeln!(text, "        - {}", indent(&short(&failure.to_string()), "          ")).ok();
            if let Failure::Mismatch { kind, expected: Some(expected), actual: Some(actual), .. } = failure {
                if kind != "StatusMismatch" {
                    let expected = indent(&short(expected), "                    ");
                    let actual = indent(&short(actual), "                    ");
                    writeln!(text, "          expected: {}", palette.red(&expected)).ok();
                    writeln!(text, "          actual:   {}", palette.green(&actual)).ok();
                }
            }
        }
        if let Some(diff) = &result.body_diff {
            writeln!(text, "        body diff ({}, {}):", palette.red("- expected"), palette.green("+ actual")).ok();
            text.push_str(&console::body_diff_text(diff, "          ", palette, console::CONSOLE));
        }
        for warning in &result.warnings {
            writeln!(text, "        ! warning: {}", indent(&short(warning), "          ")).ok();
        }
        text
    }

    /// `passed`, `failed`, or `pending-failed` (failed, but pending, so it does not fail the run).
    pub fn outcome(&self) -> &'static str {
        match (self.passed(), self.pending) {
            (true, _) => "passed",
            (false, true) => "pending-failed",
            (false, false) => "failed",
        }
    }
}

/// Publishing one pact's verification result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Publication {
    /// The pact's URL.
    pub pact_source: String,
    /// The published result's success flag, or why publishing failed.
    pub outcome: Result<bool, String>,
}

/// A provider state that no `#[provider_state]` function serves, listed once per run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingState {
    /// The state text.
    pub state: String,
    /// The interactions that need it, as `consumer › description`.
    pub used_by: Vec<String>,
    /// A `#[provider_state]` function to paste and fill in.
    pub stub: String,
}

/// The results of a whole run, in pact order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerificationReport {
    /// The provider verified.
    pub provider: String,
    /// One result per interaction.
    pub results: Vec<InteractionResult>,
    /// The broker's notices, in the order their moments came.
    pub notices: Vec<String>,
    /// Verification results published to the broker.
    pub publications: Vec<Publication>,
    /// Provider states no function serves, each once, in the order the run met them.
    pub missing_states: Vec<MissingState>,
    /// What the run itself warns about, such as passing without pacts under `no_pacts = "pass"`.
    pub warnings: Vec<String>,
    /// What fails the run besides its interactions, such as unused state functions under
    /// `unused_states = "fail"`.
    pub errors: Vec<String>,
    /// Wall time of the run.
    pub duration: Duration,
    /// What `fail_fast` left unverified, in pact order.
    pub(crate) skipped: Vec<SkippedInteraction>,
    /// The JSON report this run wrote, which `last_failed` reruns the failures of.
    pub(crate) rerun_report: Option<std::path::PathBuf>,
}

impl VerificationReport {
    /// True when no interaction fails the run.
    pub fn is_success(&self) -> bool {
        !self.results.iter().any(InteractionResult::fails_run) && self.errors.is_empty()
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
        if !self.skipped.is_empty() {
            write!(text, ", {} skipped", self.skipped.len()).ok();
        }
        text
    }

    /// The results that copy the verification of an identical interaction of another pact,
    /// and the time that saved (what those verifications took).
    pub(crate) fn shared(&self) -> (usize, Duration) {
        let shared = self.results.iter().filter(|result| result.shared_from.is_some());
        shared.fold((0, Duration::ZERO), |(count, saved), result| (count + 1, saved + result.duration))
    }

    /// The console's lines about the interactions verified once for several pacts, and those
    /// `fail_fast` skipped; empty when there are none.
    pub(crate) fn shared_and_skipped_text(&self) -> String {
        let mut text = String::new();
        let (shared, saved) = self.shared();
        if shared > 0 {
            writeln!(
                text,
                "\n{shared} interaction(s) identical in several pacts of one consumer were verified once and reported for each pact: {:.1} ms saved (dedupe_interactions)",
                saved.as_secs_f64() * 1000.0
            )
            .ok();
        }
        if !self.skipped.is_empty() {
            let at = match self.failures().last() {
                Some(failed) => format!(" after {} › {} failed", failed.consumer, failed.description),
                None => String::new(),
            };
            writeln!(
                text,
                "\nfail_fast stopped the run{at}: {} interaction(s) skipped, not verified:",
                self.skipped.len()
            )
            .ok();
            for skipped in &self.skipped {
                writeln!(
                    text,
                    "  - skipped: {} › {} [{}] ({})",
                    skipped.consumer,
                    skipped.description,
                    if skipped.states.is_empty() { "no provider state".to_string() } else { skipped.states.join(", ") },
                    skipped.pact_source
                )
                .ok();
            }
        }
        console::printable(&text).into_owned()
    }

    /// The command that reruns only the failures: `PACT_LAST_FAILED` with the JSON report
    /// this run wrote, else the filter variables. `None` when nothing failed.
    pub(crate) fn rerun_hint(&self) -> Option<String> {
        let filter = self.rerun_filter()?;
        Some(match &self.rerun_report {
            Some(path) => format!("PACT_LAST_FAILED={}", shell_quote(&path.to_string_lossy())),
            None => filter,
        })
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
                let failure = failure.to_string();
                writeln!(text, "   - {}", indent(&console::shortened(&failure, console::CONSOLE.text_bytes), "     "))
                    .ok();
            }
        }
        text.push_str(&self.shared_and_skipped_text());
        text.push_str(&self.missing_states_text());
        for error in &self.errors {
            write!(text, "\n{error}\n").ok();
        }
        if let Some(hint) = self.rerun_hint() {
            write!(text, "\nrerun only the failures: {hint} cargo test\n").ok();
        }
        // No colours here: every control character comes from a pact or a body.
        console::printable(&text).into_owned()
    }

    /// Every missing state once, with the interactions that need it, then the stubs to paste.
    /// Empty when no state is missing.
    pub fn missing_states_text(&self) -> String {
        if self.missing_states.is_empty() {
            return String::new();
        }
        let mut text = format!(
            "\nMissing provider states ({}): no #[provider_state] function serves them.\n",
            self.missing_states.len()
        );
        for missing in &self.missing_states {
            writeln!(text, "  - `{}`, needed by {}", missing.state, missing.used_by.join("; ")).ok();
        }
        text.push_str("Add these functions and fill them in:\n");
        for missing in &self.missing_states {
            writeln!(text, "\n{}", missing.stub).ok();
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
        for warning in &self.warnings {
            writeln!(f, "  warning: {}", indent(warning, "    "))?;
        }
        for error in &self.errors {
            writeln!(f, "  error: {}", indent(error, "    "))?;
        }
        let mut pact = None;
        for result in &self.results {
            if pact != Some(&result.pact_source) {
                pact = Some(&result.pact_source);
                let (consumer, provider) = (console::printable(&result.consumer), console::printable(&result.provider));
                writeln!(f, "\n  {consumer} → {provider} ({})", console::printable(&result.pact_source))?;
            }
            f.write_str(&result.console_lines(console::Palette { on: f.alternate() }))?;
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
        f.write_str(&self.shared_and_skipped_text())?;
        f.write_str(&self.missing_states_text())?;
        if let Some(hint) = self.rerun_hint() {
            writeln!(f, "\nrerun only the failures: {} cargo test", console::printable(&hint))?;
        }
        writeln!(f, "\n{} in {:.2} s", self.counts(), self.duration.as_secs_f64())
    }
}

fn indent(text: &str, prefix: &str) -> String {
    console::printable(text).lines().collect::<Vec<_>>().join(&format!("\n{prefix}"))
}

#[cfg(test)]
mod tests {
    use super::Failure;

    fn mismatch(kind: &str, path: Option<&str>, description: &str) -> String {
        Failure::Mismatch {
            kind: kind.into(),
            path: path.map(Into::into),
            description: description.into(),
            expected: None,
            actual: None,
        }
        .to_string()
    }

    #[test]
    fn a_mismatch_prints_its_path_once() {
        assert_eq!(
            mismatch("BodyTypeMismatch", Some("$"), "Expected a body of 'application/json'"),
            "BodyTypeMismatch at $: Expected a body of 'application/json'"
        );
        assert_eq!(
            mismatch("MetadataMismatch", Some("topic"), "Expected \"a\" but received \"b\""),
            "MetadataMismatch at topic: Expected \"a\" but received \"b\""
        );
        // Pact's own text names the path already.
        assert_eq!(mismatch("BodyMismatch", Some("$.id"), "$.id -> Expected 1"), "BodyMismatch: $.id -> Expected 1");
        assert_eq!(
            mismatch("HeaderMismatch", Some("X-Id"), "Expected header 'X-Id' to have value '1'"),
            "HeaderMismatch: Expected header 'X-Id' to have value '1'"
        );
        assert_eq!(
            mismatch("StatusMismatch", None, "expected 200 but was 404"),
            "StatusMismatch: expected 200 but was 404"
        );
    }

    /// A 15 MB mismatching body gave 47 MB of console. The console shows 4 KiB of each text
    /// and 200 lines of a body diff, saying how much it cut; the JSON and JUnit files keep
    /// 1 MiB of each text.
    #[test]
    fn huge_bodies_are_shortened_in_the_console_and_capped_in_the_files() {
        let huge = format!("{{\"text\": \"{}\"}}", "x".repeat(15 * 1024 * 1024));
        let lines: String = (0..5000).map(|n| format!("line {n}\n")).collect();
        let result = super::InteractionResult {
            consumer: "C".into(),
            provider: "P".into(),
            description: "d".into(),
            states: Vec::new(),
            interaction_id: None,
            interaction_key: "k".into(),
            index: 0,
            comments: Vec::new(),
            test_name: None,
            pending: false,
            wip: false,
            pact_source: "p.json".into(),
            failures: vec![Failure::Mismatch {
                kind: "BodyMismatch".into(),
                path: Some("$.text".into()),
                description: format!("$.text -> Expected '{}' to be equal to 'y'", "x".repeat(15 * 1024 * 1024)),
                expected: Some("x".repeat(15 * 1024 * 1024)),
                actual: Some("\"y\"".into()),
            }],
            warnings: Vec::new(),
            duration: std::time::Duration::ZERO,
            body_diff: Some(super::BodyDiff { content_type: None, expected: huge, actual: lines }),
            shared_from: None,
            exchange: None,
        };
        let report = super::VerificationReport { results: vec![result], ..Default::default() };
        let console = report.to_string();
        assert!(console.len() < 64 * 1024, "{} bytes of console", console.len());
        assert!(console.contains("xxxx... [15724544 more bytes cut]"), "no note of the cut");
        assert!(console.contains("more diff lines cut]"), "no note of the cut lines");
        assert!(report.failure_summary().len() < 64 * 1024);
        let json = serde_json::to_string(&report.to_json("t")).unwrap();
        assert!(json.len() < 8 * 1024 * 1024, "{} bytes of JSON", json.len());
        assert!(json.contains("more bytes cut]"));
        let junit = report.to_junit_xml("t");
        assert!(junit.len() < 8 * 1024 * 1024, "{} bytes of JUnit", junit.len());
    }
}
