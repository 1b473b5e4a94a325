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
    pub fn captures(&self, text: &str) -> Option<Vec<(String, String)>> {
        let mut captures = Vec::new();
        if match_from(&self.segments, text, &mut captures) {
            Some(captures)
        } else {
            None
        }
    }
}

fn match_from(segments: &[Segment], text: &str, captures: &mut Vec<(String, String)>) -> bool {
    match segments.split_first() {
        None => text.is_empty(),
        Some((Segment::Literal(literal), rest)) => {
            text.strip_prefix(literal.as_str()).is_some_and(|rest_text| match_from(rest, rest_text, captures))
        }
        Some((Segment::Placeholder(name), rest)) => {
            let ends = text.char_indices().map(|(i, c)| i + c.len_utf8());
            for end in ends {
                captures.push((name.clone(), text[..end].to_string()));
                if match_from(rest, &text[end..], captures) {
                    return true;
                }
                captures.pop();
            }
            false
        }
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
