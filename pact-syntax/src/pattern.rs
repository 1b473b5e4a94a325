//! Provider-state patterns: state text with `{name}` placeholders.
//!
//! `pact-runtime` matches states with it and `pact-macros` checks every pattern with it when
//! the attribute expands, so both agree on the syntax.

use std::collections::HashSet;
use std::fmt;

/// One piece of a parsed state pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text that must appear verbatim.
    Literal(String),
    /// A `{name}` placeholder that captures a non-empty run of text.
    Placeholder(String),
}

/// A parsed provider-state pattern such as `user {id} exists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePattern {
    segments: Vec<Segment>,
}

/// Why a pattern does not parse. `offset` is a byte offset into the pattern text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset of the problem in the pattern text.
    pub offset: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl StatePattern {
    /// Parses a pattern. `{{` and `}}` stand for literal braces.
    pub fn parse(text: &str) -> Result<StatePattern, PatternError> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut seen = HashSet::new();
        let mut chars = text.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            match c {
                '{' if matches!(chars.peek(), Some((_, '{'))) => {
                    chars.next();
                    literal.push('{');
                }
                '}' if matches!(chars.peek(), Some((_, '}'))) => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(PatternError {
                        offset,
                        message: "unmatched `}`: write `}}` for a literal brace".into(),
                    })
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(PatternError {
                            offset,
                            message: "unclosed `{`: close the placeholder with `}` or write `{{` for a literal brace"
                                .into(),
                        });
                    }
                    if !is_identifier(&name) {
                        return Err(PatternError {
                            offset,
                            message: format!(
                                "placeholder `{{{name}}}` is not a Rust identifier: name it like the argument it binds, e.g. `{{id}}`"
                            ),
                        });
                    }
                    if !seen.insert(name.clone()) {
                        return Err(PatternError {
                            offset,
                            message: format!(
                                "placeholder `{{{name}}}` appears twice: give each placeholder its own name"
                            ),
                        });
                    }
                    if matches!(segments.last(), Some(Segment::Placeholder(_))) && literal.is_empty() {
                        return Err(PatternError {
                            offset,
                            message: format!(
                                "placeholder `{{{name}}}` follows another placeholder directly: separate them with text so the split is unambiguous"
                            ),
                        });
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Placeholder(name));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(StatePattern { segments })
    }

    /// The pattern's pieces, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Placeholder names, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Placeholder(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// True when the pattern has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.placeholders().next().is_none()
    }

    /// The state text with its placeholders taken out and spaces collapsed:
    /// `user {id} exists` becomes `user exists`. A V3 state with this text and the
    /// placeholders as params matches the pattern too.
    pub fn bare_text(&self) -> String {
        let joined: String = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.as_str(),
                Segment::Placeholder(_) => " ",
            })
            .collect();
        joined.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Matches state text against the pattern. Each placeholder captures at least one
    /// character; earlier placeholders capture as little as possible.
    ///
    /// Linear in the text: the literal after each placeholder is found at its first place that
    /// leaves the placeholder a character, and the last literal must end the text. Taking the
    /// first place is never wrong, since every literal is followed by a placeholder that can
    /// take whatever text a later place would have skipped.
    pub fn captures(&self, text: &str) -> Option<Vec<(String, String)>> {
        let mut segments = self.segments.as_slice();
        let mut text = text;
        if let Some((Segment::Literal(first), rest)) = segments.split_first() {
            text = text.strip_prefix(first.as_str())?;
            segments = rest;
        }
        // A literal after the last placeholder ends the text.
        if let [rest @ .., Segment::Literal(last)] = segments {
            if rest.is_empty() {
                return text.is_empty().then(Vec::new);
            }
            text = text.strip_suffix(last.as_str())?;
            segments = rest;
        }
        // Now placeholder, literal, placeholder, ..., placeholder.
        let mut captures = Vec::with_capacity(segments.len().div_ceil(2));
        let mut pieces = segments.iter();
        while let Some(Segment::Placeholder(name)) = pieces.next() {
            let first = text.chars().next()?.len_utf8();
            match pieces.next() {
                Some(Segment::Literal(literal)) => {
                    let at = first + text[first..].find(literal.as_str())?;
                    captures.push((name.clone(), text[..at].to_string()));
                    text = &text[at + literal.len()..];
                }
                _ => {
                    captures.push((name.clone(), text.to_string()));
                    text = "";
                }
            }
        }
        text.is_empty().then_some(captures)
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first == '_' || first.is_alphabetic() => {}
        _ => return false,
    }
    name != "_" && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captures(pattern: &str, text: &str) -> Option<Vec<(String, String)>> {
        StatePattern::parse(pattern).unwrap().captures(text)
    }

    fn pairs(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(list.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect())
    }

    #[test]
    fn matching_is_linear_in_the_text() {
        // Backtracking took 47 s on 16 KB of "x " against this pattern; a scan takes microseconds.
        let text = format!("a {}", "x ".repeat(8 * 1024));
        let started = std::time::Instant::now();
        assert_eq!(captures("a {entity} {change} event", &text), None);
        let long = format!("{text}event");
        assert!(captures("a {entity} {change} event", &long).is_some());
        assert!(captures("{state}", &"y".repeat(400 * 1024)).is_some());
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    }

    #[test]
    fn earlier_placeholders_capture_as_little_as_possible() {
        assert_eq!(captures("user {id} exists", "user 42 exists"), pairs(&[("id", "42")]));
        assert_eq!(captures("a {x} b {y} c", "a 1 b 2 b 3 c"), pairs(&[("x", "1"), ("y", "2 b 3")]));
        assert_eq!(captures("{x} and {y}", "a and b and c"), pairs(&[("x", "a"), ("y", "b and c")]));
        assert_eq!(captures("{x}-{y}", "--"), None);
        assert_eq!(captures("{x}-{y}", "---"), pairs(&[("x", "-"), ("y", "-")]));
        assert_eq!(captures("{x}ab", "aab"), pairs(&[("x", "a")]));
        assert_eq!(captures("{x}ab", "ab"), None);
        assert_eq!(captures("{x}aa", "aaa"), pairs(&[("x", "a")]));
        assert_eq!(captures("a{x}a", "aa"), None);
        assert_eq!(captures("a{x}a", "aéa"), pairs(&[("x", "é")]));
        assert_eq!(captures("ab{x}", "ab"), None);
        assert_eq!(captures("é{x}", "éé"), pairs(&[("x", "é")]));
        assert_eq!(captures("literal", "literal"), Some(Vec::new()));
        assert_eq!(captures("literal", "literal!"), None);
        assert_eq!(captures("{a} x {b} x {c}", "1 x 2 x 3 x 4"), pairs(&[("a", "1"), ("b", "2"), ("c", "3 x 4")]));
    }
}
