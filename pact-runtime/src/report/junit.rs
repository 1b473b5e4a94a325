//! The JUnit XML report: what CI servers (GitLab, Jenkins, GitHub test reporters) show as tests.
//!
//! One `<testsuite>` per pact (`consumer → provider`), one `<testcase>` per verified
//! interaction: `classname` is the consumer, `name` the description followed by the states in
//! brackets, `time` the interaction's seconds. A failing interaction carries a `<failure>` whose
//! `type` is the first failure's kind and whose text lists every failure and the body diff. A
//! pending interaction that failed does not fail the build, so it is `<skipped>` with the
//! failure text in `<system-out>`. Warnings, a V4 interaction's comments and its original test
//! name (`comments.testname`) go to `<system-out>` too. Each text of a failure is kept up to
//! 1 MiB and a body diff up to 10,000 lines, cut past that with a note of how much.
//!
//! `quick-junit` (the writer cargo-nextest uses) writes the XML; it drops ANSI escapes and the
//! control characters XML 1.0 cannot carry.

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite, XmlString};

use super::{console, Failure, InteractionResult, SkippedInteraction, VerificationReport};

/// Text for the report. quick-junit drops ANSI escapes and control characters; the two
/// noncharacters XML 1.0 cannot carry either become U+FFFD.
fn xml(text: &str) -> XmlString {
    XmlString::new(text.replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}"))
}

/// The report as text; serializing into memory cannot fail.
fn to_text(report: &Report) -> String {
    report.to_string().unwrap_or_else(|err| unreachable!("a JUnit report in memory: {err}"))
}

/// The testcase name: the description, then the states in brackets when there are any.
pub(crate) fn case_name(result: &InteractionResult) -> String {
    if result.states.is_empty() {
        result.description.clone()
    } else {
        format!("{} [{}]", result.description, result.states.join(", "))
    }
}

/// Every failure of `result`, one per line, then the body diff.
pub(crate) fn failure_text(result: &InteractionResult) -> String {
    let mut text = String::new();
    for failure in &result.failures {
        let limit = console::FILES.text_bytes;
        writeln!(text, "- {}", console::shortened(&failure.to_string(), limit).replace('\n', "\n  ")).ok();
        if let Failure::Mismatch { kind, expected: Some(expected), actual: Some(actual), .. } = failure {
            if kind != "StatusMismatch" {
                let (expected, actual) = (console::shortened(expected, limit), console::shortened(actual, limit));
                writeln!(text, "  expected: {expected}\n  actual:   {actual}").ok();
            }
        }
    }
    if let Some(diff) = &result.body_diff {
        text.push_str("body diff (- expected, + actual):\n");
        text.push_str(&console::body_diff_text(diff, "  ", console::Palette { on: false }, console::FILES));
    }
    text
}

fn testcase(result: &InteractionResult) -> TestCase {
    let mut out = String::new();
    let status = match result.failures.first() {
        None => TestCaseStatus::success(),
        Some(first) => {
            let first_line = first.to_string().lines().next().unwrap_or_default().to_string();
            // An attribute: the console's length is plenty, the whole text is in the description.
            let message = console::shortened(&first_line, console::CONSOLE.text_bytes).into_owned();
            if result.pending {
                writeln!(out, "pending: its failures do not fail the build\n{}", failure_text(result)).ok();
                let mut status = TestCaseStatus::skipped();
                status.set_message(xml(&format!("pending interaction failed: {message}")));
                status
            } else {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(xml(&message))
                    .set_type(xml(first.kind()))
                    .set_description(xml(&failure_text(result)));
                status
            }
        }
    };
    for warning in &result.warnings {
        writeln!(out, "warning: {warning}").ok();
    }
    for comment in &result.comments {
        writeln!(out, "comment: {comment}").ok();
    }
    if let Some(name) = &result.test_name {
        writeln!(out, "original test name: {name}").ok();
    }
    if let Some(source) = &result.shared_from {
        writeln!(out, "verified once: this is the result of the identical interaction of {source}").ok();
    }
    let mut case = TestCase::new(xml(&case_name(result)), status);
    case.set_classname(xml(&result.consumer)).set_time(result.duration);
    if !out.is_empty() {
        case.set_system_out(xml(&out));
    }
    case
}

/// An interaction `fail_fast` left unverified: a skipped testcase.
fn skipped_testcase(skipped: &SkippedInteraction) -> TestCase {
    let mut status = TestCaseStatus::skipped();
    status.set_message(xml(SkippedInteraction::REASON));
    let name = if skipped.states.is_empty() {
        skipped.description.clone()
    } else {
        format!("{} [{}]", skipped.description, skipped.states.join(", "))
    };
    let mut case = TestCase::new(xml(&name), status);
    case.set_classname(xml(&skipped.consumer)).set_time(Duration::ZERO);
    case
}

impl VerificationReport {
    /// The report as JUnit XML; `name` names the `<testsuites>` (the test that ran).
    ///
    /// ```
    /// use pact_runtime::VerificationReport;
    ///
    /// let mut report = VerificationReport::default();
    /// report.provider = "UserService".into();
    /// let xml = report.to_junit_xml("pacts");
    /// assert!(xml.contains(r#"<testsuites name="pacts" tests="0" skipped="0" failures="0" errors="0""#));
    /// ```
    pub fn to_junit_xml(&self, name: &str) -> String {
        let mut report = Report::new(xml(name));
        report.set_time(self.duration);
        let mut sources: Vec<(&str, &str, &str)> = Vec::new();
        let pacts = self.results.iter().map(|r| (r.pact_source.as_str(), r.consumer.as_str(), r.provider.as_str()));
        let skipped_pacts =
            self.skipped.iter().map(|s| (s.pact_source.as_str(), s.consumer.as_str(), s.provider.as_str()));
        for pact in pacts.chain(skipped_pacts) {
            if !sources.iter().any(|(source, _, _)| *source == pact.0) {
                sources.push(pact);
            }
        }
        for (source, consumer, provider) in sources {
            let results: Vec<&InteractionResult> = self.results.iter().filter(|r| r.pact_source == source).collect();
            let skipped = self.skipped.iter().filter(|s| s.pact_source == source).map(skipped_testcase);
            let mut suite = TestSuite::new(xml(&format!("{consumer} → {provider}")));
            suite
                .set_time(results.iter().map(|r| r.duration).sum())
                .add_properties([Property::new("pact", xml(source)), Property::new("provider", xml(provider))])
                .add_test_cases(results.into_iter().map(testcase))
                .add_test_cases(skipped);
            report.add_test_suite(suite);
        }
        to_text(&report)
    }
}

/// A JUnit report for a run that could not verify anything: one errored testcase.
pub(crate) fn run_error_xml(name: &str, provider: &str, error: &str) -> String {
    let provider = if provider.is_empty() { "pact verification" } else { provider };
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(xml(error.lines().next().unwrap_or_default())).set_type("RunError").set_description(xml(error));
    let mut case = TestCase::new("pact verification", status);
    case.set_classname(xml(provider)).set_time(Duration::ZERO);
    let mut suite = TestSuite::new(xml(provider));
    suite.set_time(Duration::ZERO).add_test_case(case);
    let mut report = Report::new(xml(name));
    report.set_time(Duration::ZERO).add_test_suite(suite);
    to_text(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_what_xml_cannot_carry_is_dropped() {
        let text = run_error_xml("a<b & \"c\" 'd'>", "", "\u{1b}[31mred\u{1b}[0m \u{0}nul \u{FFFF} <tag>");
        assert!(text.contains(r#"<testsuites name="a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;""#), "{text}");
        assert!(text.contains("red nul \u{FFFD} &lt;tag&gt;</error>"), "{text}");
        assert!(!text.contains(['\u{0}', '\u{1b}', '\u{FFFF}']), "{text}");
        assert!(text.contains(r#"<testcase name="pact verification" classname="pact verification" time="0.000">"#));
    }
}
