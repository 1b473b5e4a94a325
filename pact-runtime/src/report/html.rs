//! The HTML report: one self-contained file a person opens from a CI artifact, written when
//! `html_report = "path"` or `PACT_VERIFIER_HTML_REPORT` names a file.
//!
//! The run's summary comes first, then one section per pact and one `<details>` per
//! interaction, each with an anchor (`#p1-i4`: pact 1, interaction index 4). Pacts with failures
//! come first, and within a pact the failed interactions, then the pending ones that failed,
//! then the passed ones; failures are expanded, passing interactions collapsed. Everything is
//! inline (CSS and a few lines of script for the outcome and consumer filters), so the file
//! reads the same from `file://`, and with scripts off (no filters then, all else the same).
//!
//! maud builds the markup at compile time and escapes every value spliced into it: nothing from
//! a pact or a provider's answer can add markup or script. Bodies are cut at 4 KiB
//! ([`Exchange::BODY_BYTES`]) and a body diff at 400 lines, so a run of 10,000 interactions
//! stays a file a browser opens in a few seconds.

use std::time::Duration;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::console::{self, DiffLine};
use super::{BodyDiff, Exchange, Failure, InteractionResult, VerificationReport};

/// What the report says about the run beyond its results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RunFacts {
    /// The provider version results are published for, when publishing.
    pub(crate) provider_version: Option<String>,
    /// `k/n` when the run is one shard of several.
    pub(crate) shard: Option<String>,
}

/// The most lines of a body diff, and the most bytes of each of its lines.
const DIFF_LINES: usize = 400;
const DIFF_LINE_BYTES: usize = 2048;
/// The most bytes of any other text (a mismatch's description, expected or actual value).
const TEXT_BYTES: usize = 16 * 1024;

const STYLE: &str = include_str!("html.css");
const SCRIPT: &str = include_str!("html.js");

/// The report of `report`, a run of the test (or harness) `name`, as an HTML page.
pub(crate) fn page(report: &VerificationReport, name: &str, facts: &RunFacts) -> String {
    let counts = Counts::of(report);
    let verdict = if report.is_success() { "passed" } else { "failed" };
    let consumers = consumers(report);
    let body = html! {
        header.run.(verdict) {
            p.verdict { (if report.is_success() { "✓ Verification passed" } else { "✗ Verification failed" }) }
            h1 { "Pact verification of " code { (report.provider) } }
            p.test { "test " code { (name) } }
            (summary(&counts, report, facts))
        }
        (run_notes(report))
        @if report.results.is_empty() {
            p.empty { "No interactions were verified." }
        } @else {
            form #filters hidden aria-label="Filters" {
                fieldset {
                    legend { "Show" }
                    @for (outcome, label, count) in [("failed", "Failed", counts.failed), ("pending-failed", "Pending failed", counts.pending_failed), ("passed", "Passed", counts.passed)] {
                        label.(outcome) {
                            input type="checkbox" name="outcome" value=(outcome) checked;
                            " " (label) " " span.n { (count) }
                        }
                    }
                    @if consumers.len() > 1 {
                        label {
                            "Consumer "
                            select name="consumer" {
                                option value="" { "all" }
                                @for consumer in &consumers { option value=(consumer) { (consumer) } }
                            }
                        }
                    }
                    span #shown {}
                }
            }
            main {
                @for (number, pact) in pacts(report).iter().enumerate() {
                    (pact_section(number + 1, pact))
                }
            }
        }
    };
    document(&format!("{} — {} ({})", report.provider, verdict, report.counts()), body)
}

/// The page for a run that could not verify anything (no pacts, the app did not boot, ...).
pub(crate) fn error_page(name: &str, provider: &str, error: &str) -> String {
    let body = html! {
        header.run.failed {
            p.verdict { "✗ Verification failed" }
            h1 { "Pact verification of " code { (provider) } }
            p.test { "test " code { (name) } }
        }
        section.notes.errors {
            h2 { "The run could not verify anything" }
            pre { (console::printable(error)) }
        }
    };
    document(&format!("{provider} — failed (the run could not verify anything)"), body)
}

fn document(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // Nothing loads from anywhere: the page is one file.
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";
                title { "Pact: " (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (body)
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
    .into_string()
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    passed: usize,
    failed: usize,
    pending_failed: usize,
    pending: usize,
    wip: usize,
    pacts: usize,
}

impl Counts {
    fn of(report: &VerificationReport) -> Counts {
        let mut counts = Counts { total: report.results.len(), pacts: pacts(report).len(), ..Counts::default() };
        for result in &report.results {
            match result.outcome() {
                "passed" => counts.passed += 1,
                "failed" => counts.failed += 1,
                _ => counts.pending_failed += 1,
            }
            counts.pending += usize::from(result.pending);
            counts.wip += usize::from(result.wip);
        }
        counts
    }
}

fn summary(counts: &Counts, report: &VerificationReport, facts: &RunFacts) -> Markup {
    let (shared, saved) = report.shared();
    html! {
        dl.summary {
            div.passed { dt { "Passed" } dd { (counts.passed) } }
            div.failed.zero[counts.failed == 0] { dt { "Failed" } dd { (counts.failed) } }
            div.pending.zero[counts.pending_failed == 0] { dt { "Pending failed" } dd { (counts.pending_failed) } }
            div { dt { "Pending" } dd { (counts.pending) } }
            div { dt { "WIP" } dd { (counts.wip) } }
            div { dt { "Interactions" } dd { (counts.total) } }
            div { dt { "Pacts" } dd { (counts.pacts) } }
            @if !report.skipped.is_empty() { div.failed { dt { "Skipped (fail_fast)" } dd { (report.skipped.len()) } } }
            @if shared > 0 { div { dt { "Verified once for several pacts" } dd { (shared) " (" (millis(saved)) " saved)" } } }
            div { dt { "Time" } dd { (seconds(report.duration)) } }
            div { dt { "Provider version" } dd { (facts.provider_version.as_deref().unwrap_or("—")) } }
            div { dt { "Shard" } dd { (facts.shard.as_deref().unwrap_or("—")) } }
        }
    }
}

/// The run's errors, warnings, missing states, broker notices and publications.
fn run_notes(report: &VerificationReport) -> Markup {
    html! {
        @if !report.errors.is_empty() {
            section.notes.errors {
                h2 { "Errors" }
                ul { @for error in &report.errors { li { pre { (console::printable(error)) } } } }
            }
        }
        @if !report.missing_states.is_empty() {
            section.notes.errors {
                h2 { "Missing provider states (" (report.missing_states.len()) ")" }
                p { "No " code { "#[provider_state]" } " function serves these states. Add these functions and fill them in:" }
                @for missing in &report.missing_states {
                    h3 { code { (missing.state) } }
                    p.used { "needed by " (missing.used_by.join("; ")) }
                    pre { (missing.stub) }
                }
            }
        }
        @if !report.skipped.is_empty() {
            section.notes.warnings {
                h2 { "Skipped: fail_fast stopped the run (" (report.skipped.len()) " not verified)" }
                ul {
                    @for skipped in &report.skipped {
                        li {
                            (console::printable(&skipped.consumer)) " › " (console::printable(&skipped.description))
                            @for state in &skipped.states { " " span.state { (console::printable(state)) } }
                            " (" code { (console::printable(&skipped.pact_source)) } ")"
                        }
                    }
                }
            }
        }
        @if !report.warnings.is_empty() {
            section.notes.warnings {
                h2 { "Warnings" }
                ul { @for warning in &report.warnings { li { pre { (console::printable(warning)) } } } }
            }
        }
        @if !report.notices.is_empty() {
            section.notes {
                h2 { "Broker notices" }
                ul { @for notice in &report.notices { li { (notice) } } }
            }
        }
        @if !report.publications.is_empty() {
            section.notes {
                h2 { "Published results" }
                ul {
                    @for publication in &report.publications {
                        @match &publication.outcome {
                            Ok(success) => li { (if *success { "a passing" } else { "a failing" }) " result for " code { (publication.pact_source) } },
                            Err(error) => li.failed { "publishing for " code { (publication.pact_source) } " FAILED: " (error) },
                        }
                    }
                }
            }
        }
    }
}

/// The interactions of one pact, as they came.
struct PactResults<'a> {
    source: &'a str,
    consumer: &'a str,
    provider: &'a str,
    results: Vec<&'a InteractionResult>,
}

/// Failed first, then pending failed, then passed.
fn rank(result: &InteractionResult) -> u8 {
    match result.outcome() {
        "failed" => 0,
        "pending-failed" => 1,
        _ => 2,
    }
}

/// The pacts in report order, those with the worst interactions first, each with its
/// interactions worst first (stable: pact order within an outcome).
fn pacts(report: &VerificationReport) -> Vec<PactResults<'_>> {
    let mut pacts: Vec<PactResults<'_>> = Vec::new();
    for result in &report.results {
        match pacts.last_mut() {
            Some(pact) if pact.source == result.pact_source && pact.consumer == result.consumer => {
                pact.results.push(result)
            }
            _ => pacts.push(PactResults {
                source: &result.pact_source,
                consumer: &result.consumer,
                provider: &result.provider,
                results: vec![result],
            }),
        }
    }
    for pact in &mut pacts {
        pact.results.sort_by_key(|result| rank(result));
    }
    pacts.sort_by_key(|pact| pact.results.first().map_or(2, |result| rank(result)));
    pacts
}

fn consumers(report: &VerificationReport) -> Vec<&str> {
    let mut consumers: Vec<&str> = report.results.iter().map(|result| result.consumer.as_str()).collect();
    consumers.sort_unstable();
    consumers.dedup();
    consumers
}

fn pact_section(number: usize, pact: &PactResults<'_>) -> Markup {
    let count = |outcome: &str| pact.results.iter().filter(|result| result.outcome() == outcome).count();
    let (failed, pending_failed) = (count("failed"), count("pending-failed"));
    let first = pact.results.first();
    html! {
        section.pact data-consumer=(pact.consumer) id=(format!("p{number}")) {
            h2 {
                (pact.consumer) span.arrow { " → " } (pact.provider)
                // WIP is a pact's; pending may be an interaction's, so the interactions say it.
                @if first.is_some_and(|result| result.wip) { " " span.tag.wip { "WIP" } }
            }
            p.source {
                code { (pact.source) } " · " (pact.results.len()) @if pact.results.len() == 1 { " interaction" } @else { " interactions" }
                @if failed > 0 { " · " span.failed { (failed) " failed" } }
                @if pending_failed > 0 { " · " span.pending-failed { (pending_failed) " pending failed" } }
            }
            @for result in &pact.results { (interaction(number, result)) }
        }
    }
}

fn interaction(pact: usize, result: &InteractionResult) -> Markup {
    let outcome = result.outcome();
    let anchor = format!("p{pact}-i{}", result.index);
    let mark = match outcome {
        "passed" => "✓",
        "failed" => "✗",
        _ => "~",
    };
    html! {
        details.i.(outcome) id=(anchor) data-outcome=(outcome) open[!result.passed()] {
            summary {
                span.mark title=(outcome) { (mark) }
                " " span.desc { (console::printable(&result.description)) }
                @for state in &result.states { " " span.state { (console::printable(state)) } }
                @if result.pending { " " span.tag.pending { "pending" } }
                @if let Some(source) = &result.shared_from { " " span.tag title=(format!("verified once, for this pact and {source}")) { "shared" } }
                " " span.time { (millis(result.duration)) }
                " " a.link href=(format!("#{anchor}")) title="link to this interaction" { "#" }
            }
            div.body {
                @if !result.comments.is_empty() || result.test_name.is_some() {
                    div.comments {
                        @for comment in &result.comments { p { (console::printable(comment)) } }
                        @if let Some(test) = &result.test_name { p { "consumer test: " code { (console::printable(test)) } } }
                    }
                }
                @if !result.failures.is_empty() { (failures(&result.failures)) }
                @if let Some(diff) = &result.body_diff { (body_diff(diff)) }
                @for warning in &result.warnings { p.warning { "warning: " (console::printable(warning)) } }
                @if let Some(exchange) = &result.exchange { (exchange_table(exchange, result.passed())) }
                @else if result.passed() { p.quiet { "no HTTP exchange (a message or plugin interaction)" } }
                @if let Some(source) = &result.shared_from {
                    p.quiet { "identical to an interaction of " code { (console::printable(source)) } ", verified once for both (dedupe_interactions): this is that verification's result" }
                }
                p.meta { "key " code { (result.interaction_key) } @if let Some(id) = &result.interaction_id { " · id " code { (id) } } }
            }
        }
    }
}

fn failures(failures: &[Failure]) -> Markup {
    let short = |text: &str| console::shortened(&console::printable(text), TEXT_BYTES).into_owned();
    html! {
        table.mismatches {
            thead { tr { th { "Mismatch" } th { "Path" } th { "What" } } }
            tbody {
                @for failure in failures {
                    @match failure {
                        Failure::Mismatch { kind, path, description, expected, actual } => tr {
                            td.kind { (kind) }
                            td { @if let Some(path) = path { code { (short(path)) } } }
                            td {
                                (short(description))
                                @if kind != "StatusMismatch" {
                                    @if let (Some(expected), Some(actual)) = (expected, actual) {
                                        div.values {
                                            span.exp { "expected " code { (short(expected)) } }
                                            span.act { "actual " code { (short(actual)) } }
                                        }
                                    }
                                }
                            }
                        },
                        other => tr {
                            td.kind { (other.kind()) }
                            td { @if let Some(state) = failure_state(other) { code { (short(state)) } } }
                            td { pre { (short(&other.to_string())) } }
                        },
                    }
                }
            }
        }
    }
}

fn failure_state(failure: &Failure) -> Option<&str> {
    match failure {
        Failure::StateSetup { state, .. }
        | Failure::StateTeardown { state, .. }
        | Failure::MissingState { state, .. } => Some(state),
        _ => None,
    }
}

fn body_diff(diff: &BodyDiff) -> Markup {
    let expected = console::normalise(&console::printable(&diff.expected));
    let actual = console::normalise(&console::printable(&diff.actual));
    let lines = console::diff_lines(&expected, &actual);
    let cut = lines.len().saturating_sub(DIFF_LINES);
    let line = |text: &str| console::shortened(text, DIFF_LINE_BYTES).into_owned();
    html! {
        div.diff {
            p.label {
                "Body diff" @if let Some(content_type) = &diff.content_type { " (" (content_type) ")" } ": "
                span.exp { "− expected" } " " span.act { "+ actual" }
            }
            pre {
                @for diff_line in lines.iter().take(DIFF_LINES) {
                    @match diff_line {
                        DiffLine::Same(text) => span { "  " (line(text)) "\n" },
                        DiffLine::Expected(text) => span.exp { "- " (line(text)) "\n" },
                        DiffLine::Actual(text) => span.act { "+ " (line(text)) "\n" },
                        DiffLine::Skipped => span.skip { "  …\n" },
                    }
                }
                @if cut > 0 { span.skip { "  … [" (cut) " more diff lines cut]\n" } }
            }
        }
    }
}

/// The request sent and the responses expected and received. A passing interaction shows its
/// request body only when it is short, and of the responses only the statuses and the expected
/// headers, to keep 10,000 of them light.
fn exchange_table(exchange: &Exchange, passed: bool) -> Markup {
    let body = |text: &str| -> Option<String> {
        let text = console::printable(text);
        match (text.is_empty(), passed && text.len() > 512) {
            (true, _) => None,
            (false, true) => Some(format!("({} bytes, shown for failures only)", text.len())),
            (false, false) => Some(console::normalise(&text)),
        }
    };
    let response_body = |text: &str| if passed { None } else { body(text) };
    let status = match exchange.actual_status {
        Some(status) => status.to_string(),
        None => "no response".to_string(),
    };
    html! {
        div.exchange {
            div.part {
                h4 { "Request" }
                p.line { code { (exchange.method) " " (console::printable(&exchange.path)) } }
                (headers(&exchange.request_headers))
                @if let Some(text) = body(&exchange.request_body) { pre { (text) } }
            }
            div.part {
                h4 { "Expected response" }
                p.line { "status " code { (exchange.expected_status) } }
                (headers(&exchange.expected_headers))
                @if let Some(text) = response_body(&exchange.expected_body) { pre { (text) } }
            }
            div.part {
                h4 { "Actual response" }
                p.line.bad[exchange.actual_status != Some(exchange.expected_status)] { "status " code { (status) } }
                @if !passed { (headers(&exchange.actual_headers)) }
                @if let Some(text) = response_body(&exchange.actual_body) { pre { (text) } }
            }
        }
    }
}

fn headers(headers: &[(String, String)]) -> Markup {
    html! {
        @if !headers.is_empty() {
            dl.headers {
                @for (name, value) in headers { dt { (name) } dd { (console::printable(value)) } }
            }
        }
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::SkippedInteraction;

    fn result(description: &str, failures: Vec<Failure>, pending: bool) -> InteractionResult {
        InteractionResult {
            consumer: "Web <b>".into(),
            provider: "P".into(),
            description: description.into(),
            states: vec!["user 1 exists".into()],
            interaction_id: None,
            interaction_key: "k1".into(),
            index: 0,
            comments: vec!["a <i>comment</i>".into()],
            test_name: Some("t::it".into()),
            pending,
            wip: false,
            pact_source: "pacts/p.json".into(),
            failures,
            warnings: Vec::new(),
            duration: Duration::from_millis(3),
            body_diff: None,
            shared_from: None,
            exchange: None,
        }
    }

    /// Every text from a pact is escaped: markup in a description, state, comment or consumer
    /// name shows as text, and no `<script>` from a pact reaches the page.
    #[test]
    fn pact_text_is_escaped() {
        let mut failing = result(
            "<script>alert(1)</script>",
            vec![Failure::Mismatch {
                kind: "BodyMismatch".into(),
                path: Some("$.name".into()),
                description: "$.name -> Expected '<img src=x onerror=alert(1)>'".into(),
                expected: Some("\"<a>\"".into()),
                actual: Some("\"b\"".into()),
            }],
            false,
        );
        failing.body_diff =
            Some(BodyDiff { content_type: None, expected: "{\"a\":\"</pre><x>\"}".into(), actual: "{}".into() });
        let report = VerificationReport { provider: "P".into(), results: vec![failing], ..Default::default() };
        let page = page(&report, "t", &RunFacts::default());
        assert!(!page.contains("<script>alert"), "a pact's script reached the page");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<img"));
        assert!(!page.contains("<i>comment"));
        assert!(!page.contains("</pre><x>"));
        assert!(page.contains("data-consumer=\"Web &lt;b&gt;\""));
        // One script element: the report's own.
        assert_eq!(page.matches("<script").count(), 1);
    }

    /// Failures come first and open; passing interactions come after, closed.
    #[test]
    fn failures_come_first_and_open() {
        let mut passing = result("passes", Vec::new(), false);
        passing.index = 0;
        let mut failing = result("fails", vec![Failure::Request { message: "refused".into() }], false);
        failing.index = 1;
        let mut pending = result("pending fails", vec![Failure::Request { message: "refused".into() }], true);
        pending.index = 2;
        let report =
            VerificationReport { provider: "P".into(), results: vec![passing, failing, pending], ..Default::default() };
        let page = page(&report, "t", &RunFacts { provider_version: Some("1.2.3".into()), shard: Some("2/3".into()) });
        let at = |text: &str| page.find(text).unwrap_or_else(|| panic!("{text} not in the page"));
        assert!(at("id=\"p1-i1\"") < at("id=\"p1-i2\""));
        assert!(at("id=\"p1-i2\"") < at("id=\"p1-i0\""));
        assert!(page.contains("<details class=\"i failed\" id=\"p1-i1\" data-outcome=\"failed\" open>"));
        assert!(page.contains("<details class=\"i passed\" id=\"p1-i0\" data-outcome=\"passed\">"));
        assert!(page.contains("<dd>1.2.3</dd>") && page.contains("<dd>2/3</dd>"));
    }

    /// A result shared with another pact says so, and what fail_fast skipped is listed and
    /// counted.
    #[test]
    fn shared_results_and_skipped_interactions_are_shown() {
        let verified = result("once", Vec::new(), false);
        let mut copy = result("once", Vec::new(), false);
        copy.pact_source = "pacts/v2.json".into();
        copy.shared_from = Some("pacts/v1.json".into());
        copy.duration = Duration::from_millis(7);
        let skipped = SkippedInteraction {
            consumer: "Web".into(),
            provider: "P".into(),
            description: "never <run>".into(),
            states: vec!["user 2 exists".into()],
            interaction_key: "k2".into(),
            index: 3,
            pact_source: "pacts/v2.json".into(),
        };
        let report = VerificationReport {
            provider: "P".into(),
            results: vec![verified, copy],
            skipped: vec![skipped],
            ..Default::default()
        };
        let page = page(&report, "t", &RunFacts::default());
        assert!(page.contains("<dt>Verified once for several pacts</dt><dd>1 (7.0 ms saved)</dd>"), "{page}");
        assert!(page.contains("<dt>Skipped (fail_fast)</dt><dd>1</dd>"));
        assert!(page.contains("never &lt;run&gt;"));
        assert!(page.contains("identical to an interaction of <code>pacts/v1.json</code>"));
    }

    #[test]
    fn the_error_page_escapes_the_error() {
        let page = error_page("t", "P", "no pacts in <dir>");
        assert!(page.contains("no pacts in &lt;dir&gt;"));
    }
}
