//! The JUnit XML report: what CI servers (GitLab, Jenkins, GitHub test reporters) show as tests.
//!
//! One `<testsuite>` per pact (`consumer → provider`), one `<testcase>` per verified
//! interaction: `classname` is the consumer, `name` the description followed by the states in
//! brackets, `time` the interaction's seconds. A failing interaction carries a `<failure>` whose
//! `type` is the first failure's kind and whose text lists every failure and the body diff. A
//! pending interaction that failed does not fail the build, so it is `<skipped>` with the
//! failure text in `<system-out>`. Warnings go to `<system-out>` too.

use std::fmt::Write as _;

use super::{console, Failure, InteractionResult, VerificationReport};

/// Escapes text for an XML attribute or element, dropping what XML 1.0 cannot carry.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(character),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => escaped.push('\u{FFFD}'),
            c => escaped.push(c),
        }
    }
    escaped
}

fn seconds(duration: std::time::Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
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
        writeln!(text, "- {}", failure.to_string().replace('\n', "\n  ")).ok();
        if let Failure::Mismatch { kind, expected: Some(expected), actual: Some(actual), .. } = failure {
            if kind != "StatusMismatch" {
                writeln!(text, "  expected: {expected}\n  actual:   {actual}").ok();
            }
        }
    }
    if let Some(diff) = &result.body_diff {
        text.push_str("body diff (- expected, + actual):\n");
        text.push_str(&console::body_diff_text(diff, "  ", console::Palette { on: false }));
    }
    text
}

fn failure_kind(failure: &Failure) -> &str {
    match failure {
        Failure::Mismatch { kind, .. } => kind,
        Failure::StateSetup { .. } => "StateSetupFailed",
        Failure::StateTeardown { .. } => "StateTeardownFailed",
        Failure::Request { .. } => "RequestFailed",
        Failure::Unsupported { .. } => "Unsupported",
        Failure::MissingState { .. } => "MissingProviderState",
        Failure::MissingMessage { .. } => "MissingMessageProducer",
        Failure::AppStopped { .. } => "AppStopped",
        Failure::Hook { .. } => "HookFailed",
    }
}

fn testcase(xml: &mut String, result: &InteractionResult) {
    write!(
        xml,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
        escape(&result.consumer),
        escape(&case_name(result)),
        seconds(result.duration)
    )
    .ok();
    let first = result.failures.first();
    let mut out = String::new();
    if result.passed() && result.warnings.is_empty() {
        xml.push_str("/>\n");
        return;
    }
    xml.push_str(">\n");
    if let Some(first) = first {
        let message = first.to_string().lines().next().unwrap_or_default().to_string();
        if result.pending {
            writeln!(xml, "      <skipped message=\"{}\"/>", escape(&format!("pending interaction failed: {message}")))
                .ok();
            writeln!(out, "pending: its failures do not fail the build\n{}", failure_text(result)).ok();
        } else {
            writeln!(
                xml,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&message),
                escape(failure_kind(first)),
                escape(&failure_text(result))
            )
            .ok();
        }
    }
    for warning in &result.warnings {
        writeln!(out, "warning: {warning}").ok();
    }
    if !out.is_empty() {
        writeln!(xml, "      <system-out>{}</system-out>", escape(&out)).ok();
    }
    xml.push_str("    </testcase>\n");
}

impl VerificationReport {
    /// The report as JUnit XML; `name` names the `<testsuites>` (the test that ran).
    ///
    /// ```
    /// use pact_runtime::VerificationReport;
    ///
    /// let xml = VerificationReport { provider: "UserService".into(), ..Default::default() }.to_junit_xml("pacts");
    /// assert!(xml.contains(r#"<testsuites name="pacts" tests="0" failures="0""#));
    /// ```
    pub fn to_junit_xml(&self, name: &str) -> String {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let failed = self.failures().count();
        let skipped = self.results.iter().filter(|r| !r.passed() && r.pending).count();
        writeln!(
            xml,
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\">",
            escape(name),
            self.results.len(),
            seconds(self.duration)
        )
        .ok();
        let mut sources: Vec<&str> = Vec::new();
        for result in &self.results {
            if !sources.contains(&result.pact_source.as_str()) {
                sources.push(&result.pact_source);
            }
        }
        for source in sources {
            let results: Vec<&InteractionResult> = self.results.iter().filter(|r| r.pact_source == source).collect();
            let first = results[0];
            let time: std::time::Duration = results.iter().map(|r| r.duration).sum();
            writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
                escape(&format!("{} → {}", first.consumer, first.provider)),
                results.len(),
                results.iter().filter(|r| r.fails_run()).count(),
                results.iter().filter(|r| !r.passed() && r.pending).count(),
                seconds(time)
            )
            .ok();
            write!(
                xml,
                "    <properties>\n      <property name=\"pact\" value=\"{}\"/>\n      <property name=\"provider\" value=\"{}\"/>\n    </properties>\n",
                escape(source),
                escape(&first.provider)
            )
            .ok();
            for result in results {
                testcase(&mut xml, result);
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        xml
    }
}

/// A JUnit report for a run that could not verify anything: one errored testcase.
pub(crate) fn run_error_xml(name: &str, provider: &str, error: &str) -> String {
    let first_line = error.lines().next().unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">\n  \
         <testsuite name=\"{provider}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">\n    \
         <testcase classname=\"{provider}\" name=\"pact verification\" time=\"0.000\">\n      \
         <error message=\"{message}\" type=\"RunError\">{text}</error>\n    \
         </testcase>\n  \
         </testsuite>\n\
         </testsuites>\n",
        name = escape(name),
        provider = escape(if provider.is_empty() { "pact verification" } else { provider }),
        message = escape(first_line),
        text = escape(error),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b & \"c\" 'd'>\u{1b}"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}");
    }
}
