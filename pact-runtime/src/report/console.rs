//! The console report's helpers: colour (`anstyle` styles, coloured when `anstream` says stdout
//! takes colour), the diff of expected and actual bodies, and the hint that reruns only the
//! failures.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{BodyDiff, InteractionResult, VerificationReport};

/// Whether the console report should be coloured, as `anstream` decides for stdout: never with
/// `NO_COLOR` (<https://no-color.org>) or `CLICOLOR=0`, always with `CLICOLOR_FORCE`, and
/// otherwise when stdout is a terminal that takes colour (`TERM` is set and not `dumb`).
pub fn colour_wanted() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// ANSI styles, or none at all.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    pub(crate) on: bool,
}

impl Palette {
    fn paint(self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    pub(crate) fn green(self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }

    pub(crate) fn red(self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }

    pub(crate) fn yellow(self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }
}

/// How much of one text a report shows: a failure's message, an expected or actual value, a
/// line of a body diff; and how many lines of a body diff. A longer text is cut with a note of
/// how much was cut, so a huge body cannot flood the console or a CI log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most bytes of one text.
    pub(crate) text_bytes: usize,
    /// The most lines of a body diff.
    pub(crate) diff_lines: usize,
}

/// The console's limits: 4 KiB of a text, 200 lines of a body diff.
pub(crate) const CONSOLE: Limits = Limits { text_bytes: 4 * 1024, diff_lines: 200 };

/// The JUnit report's limits (and the JSON report's `text_bytes`): 1 MiB of a text, 10,000
/// lines of a body diff.
pub(crate) const FILES: Limits = Limits { text_bytes: 1024 * 1024, diff_lines: 10_000 };

/// `text`, or its first `limit` bytes (at a character boundary) and a note of how much was cut.
pub(crate) fn shortened(text: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= limit {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}... [{} more bytes cut]", &text[..end], text.len() - end))
}

/// How many unchanged lines a body diff shows around each change.
const CONTEXT: usize = 3;

/// How long a body diff may search for the smallest diff before it settles for a larger one.
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// One line of a line diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiffLine<'a> {
    Same(&'a str),
    Expected(&'a str),
    Actual(&'a str),
    /// Unchanged lines left out, more than [`CONTEXT`] away from any change.
    Skipped,
}

/// A line diff of `expected` and `actual` (Myers' algorithm, by `similar`), showing
/// [`CONTEXT`] unchanged lines around each change and [`DiffLine::Skipped`] for the rest.
pub(crate) fn diff_lines<'a>(expected: &'a str, actual: &'a str) -> Vec<DiffLine<'a>> {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let diff = similar::TextDiff::configure().timeout(DIFF_TIMEOUT).diff_slices(&old, &new);
    let groups = diff.grouped_ops(CONTEXT);
    let mut lines = Vec::new();
    if groups.is_empty() {
        // Nothing changed (the bodies differ in key order or whitespace only).
        if !old.is_empty() {
            lines.push(DiffLine::Skipped);
        }
        return lines;
    }
    for (index, group) in groups.iter().enumerate() {
        let starts_later = group.first().is_some_and(|op| op.old_range().start > 0 || op.new_range().start > 0);
        if index > 0 || starts_later {
            lines.push(DiffLine::Skipped);
        }
        for op in group {
            let (tag, expected, actual) = op.as_tag_tuple();
            if tag == similar::DiffTag::Equal {
                lines.extend(old[expected].iter().copied().map(DiffLine::Same));
            } else {
                // A replacement shows the expected lines, then the actual ones.
                lines.extend(old[expected].iter().copied().map(DiffLine::Expected));
                lines.extend(new[actual].iter().copied().map(DiffLine::Actual));
            }
        }
    }
    let ends_earlier = groups
        .last()
        .and_then(|group| group.last())
        .is_some_and(|op| op.old_range().end < old.len() || op.new_range().end < new.len());
    if ends_earlier {
        lines.push(DiffLine::Skipped);
    }
    lines
}

/// The body as the diff shows it: JSON pretty-printed with sorted keys, anything else as is.
pub(crate) fn normalise(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.to_string()),
        Err(_) => body.to_string(),
    }
}

/// The body diff of a failed interaction, every line starting with `indent`: `-` lines are
/// the pact's expected body, `+` lines the actual one, with a few unchanged lines around each.
pub(crate) fn body_diff_text(diff: &BodyDiff, indent: &str, palette: Palette, limits: Limits) -> String {
    let expected = normalise(&printable(&diff.expected));
    let actual = normalise(&printable(&diff.actual));
    let mut text = String::new();
    let lines = diff_lines(&expected, &actual);
    let cut = lines.len().saturating_sub(limits.diff_lines);
    for line in lines.into_iter().take(limits.diff_lines) {
        let rendered = match line {
            DiffLine::Same(line) => format!("  {}", shortened(line, limits.text_bytes)),
            DiffLine::Expected(line) => palette.red(&format!("- {}", shortened(line, limits.text_bytes))),
            DiffLine::Actual(line) => palette.green(&format!("+ {}", shortened(line, limits.text_bytes))),
            DiffLine::Skipped => palette.dim("  ..."),
        };
        writeln!(text, "{indent}{rendered}").ok();
    }
    if cut > 0 {
        writeln!(text, "{indent}{}", palette.dim(&format!("  ... [{cut} more diff lines cut]"))).ok();
    }
    text
}

/// `text` with its control characters (but newlines and tabs) shown as `\u{1b}`: a pact or a
/// body could otherwise clear the terminal (`ESC[2J`), ring it, or forge coloured output.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            write!(shown, "\\u{{{:x}}}", u32::from(c)).ok();
        } else {
            shown.push(c);
        }
    }
    std::borrow::Cow::Owned(shown)
}

/// Quotes `text` for a POSIX shell.
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A regex that matches exactly the given texts.
fn exact_regex<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut escaped: Vec<String> = texts.into_iter().map(regex::escape).collect();
    escaped.sort();
    escaped.dedup();
    match escaped.as_slice() {
        [one] => format!("^{one}$"),
        many => format!("^(?:{})$", many.join("|")),
    }
}

impl VerificationReport {
    /// The environment variables that rerun only the interactions that failed the run, e.g.
    /// `PACT_DESCRIPTION='^a request for user 123$' PACT_PROVIDER_STATE='^user 123 exists$'`.
    /// `None` when nothing failed.
    ///
    /// ```
    /// use pact_runtime::VerificationReport;
    ///
    /// assert_eq!(VerificationReport::default().rerun_filter(), None);
    /// ```
    pub fn rerun_filter(&self) -> Option<String> {
        let failed: Vec<&InteractionResult> = self.failures().collect();
        if failed.is_empty() {
            return None;
        }
        let descriptions = exact_regex(failed.iter().map(|result| result.description.as_str()));
        let mut parts = vec![format!("PACT_DESCRIPTION={}", shell_quote(&descriptions))];
        let matcher = regex::Regex::new(&descriptions).ok();
        let also_matches_others = self.results.iter().any(|result| {
            !result.fails_run() && matcher.as_ref().is_some_and(|pattern| pattern.is_match(&result.description))
        });
        if also_matches_others && failed.iter().all(|result| !result.states.is_empty()) {
            let states = exact_regex(failed.iter().flat_map(|result| result.states.iter().map(String::as_str)));
            parts.push(format!("PACT_PROVIDER_STATE={}", shell_quote(&states)));
        }
        let consumers: std::collections::BTreeSet<&str> = failed.iter().map(|r| r.consumer.as_str()).collect();
        let all_consumers: std::collections::BTreeSet<&str> =
            self.results.iter().map(|r| r.consumer.as_str()).collect();
        if consumers.len() < all_consumers.len() && !consumers.iter().any(|name| name.contains(',')) {
            let list: Vec<&str> = consumers.into_iter().collect();
            parts.push(format!("PACT_CONSUMER={}", shell_quote(&list.join(","))));
        }
        Some(parts.join(" "))
    }

    /// The console report, coloured when `colour_wanted` (stdout is a terminal, or
    /// `CLICOLOR_FORCE` is set; never with `NO_COLOR`). This is what `#[pact_provider_test]`
    /// prints; `{report}` is the same text without colour, and `{report:#}` always coloured.
    pub fn console(&self) -> String {
        if colour_wanted() {
            format!("{self:#}")
        } else {
            self.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_keeps_common_lines_and_marks_changes() {
        let lines = diff_lines("a\nb\nc", "a\nx\nc");
        assert_eq!(
            lines,
            vec![DiffLine::Same("a"), DiffLine::Expected("b"), DiffLine::Actual("x"), DiffLine::Same("c")]
        );
    }

    #[test]
    fn diff_shows_three_lines_around_changes_and_elides_the_rest() {
        let expected: String = (1..=20).map(|n| format!("{n}\n")).collect();
        let actual = expected.replace("\n5\n", "\nfive\n").replace("\n16\n", "\nsixteen\n");
        let shown: Vec<String> = diff_lines(&expected, &actual)
            .into_iter()
            .map(|line| match line {
                DiffLine::Same(line) => format!(" {line}"),
                DiffLine::Expected(line) => format!("-{line}"),
                DiffLine::Actual(line) => format!("+{line}"),
                DiffLine::Skipped => "...".to_string(),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "...", " 2", " 3", " 4", "-5", "+five", " 6", " 7", " 8", "...", " 13", " 14", " 15", "-16",
                "+sixteen", " 17", " 18", " 19", "..."
            ]
        );
        // Changes 6 unchanged lines apart share their context; nothing is elided between them.
        let actual = expected.replace("\n5\n", "\nfive\n").replace("\n12\n", "\ntwelve\n");
        let lines = diff_lines(&expected, &actual);
        assert_eq!((lines.len(), lines.iter().filter(|line| **line == DiffLine::Skipped).count()), (18, 2));
        assert_eq!(diff_lines("same\n", "same"), [DiffLine::Skipped]);
        assert_eq!(diff_lines("", ""), []);
    }

    #[test]
    fn body_diff_pretty_prints_json_and_elides_far_lines() {
        let expected = serde_json::json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "z": "old"});
        let actual = serde_json::json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "z": "new"});
        let diff = BodyDiff { content_type: None, expected: expected.to_string(), actual: actual.to_string() };
        let text = body_diff_text(&diff, "", Palette { on: false }, CONSOLE);
        assert!(text.contains("-   \"z\": \"old\""), "{text}");
        assert!(text.contains("+   \"z\": \"new\""), "{text}");
        assert!(text.starts_with("  ...\n"), "{text}");
        assert!(!text.contains("\"a\""), "{text}");
    }

    #[test]
    fn the_palette_paints_ansi_styles_only_when_on() {
        let on = Palette { on: true };
        assert_eq!(on.green("ok"), "\x1b[32mok\x1b[0m");
        assert_eq!(on.red(&on.bold("no")), "\x1b[31m\x1b[1mno\x1b[0m\x1b[0m");
        assert_eq!((on.yellow("~"), on.dim("...")), ("\x1b[33m~\x1b[0m".into(), "\x1b[2m...\x1b[0m".into()));
        assert_eq!(Palette { on: false }.red("no"), "no");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("clear\u{1b}[2J and ring\u{7}\nnext\tline"), "clear\\u{1b}[2J and ring\\u{7}\nnext\tline");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
