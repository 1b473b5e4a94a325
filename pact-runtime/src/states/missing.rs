//! Help for a provider state that no function serves: the closest registered states, and a
//! `#[provider_state]` stub to paste.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use serde_json::{Map, Value};

use super::{LookupError, StateAction, StateRegistration, StateRegistry};
use crate::util::suggest::{alike, content_words, edit_distance, function_name, normalise, write_help};
use pact_syntax::pattern::{Segment, StatePattern};

/// How many registrations "did you mean" lists at most.
const MAX_SUGGESTIONS: usize = 3;

/// What to tell the user about a state that no setup function serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingStateHelp {
    /// The state text, as the pact wrote it.
    pub state: String,
    /// The closest registrations, best first, each as `` `pattern` (function at file:line:column) ``
    /// with why it does not serve the state when that is not just a different text.
    pub suggestions: Vec<String>,
    /// A `#[provider_state]` function to paste and fill in.
    pub stub: String,
}

impl fmt::Display for MissingStateHelp {
    /// The suggestions ("did you mean ...?") and the stub, on their own lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_help(f, &self.suggestions, &self.stub)
    }
}

impl StateRegistry {
    /// Help for setting up `state` with `params` when no registration serves it; `None` when
    /// one does (or several do: that is a conflict, not a missing state), and for an empty
    /// state text, which is a no-op.
    pub fn missing(&self, state: &str, params: &Map<String, Value>) -> Option<MissingStateHelp> {
        if state.trim().is_empty() {
            return None;
        }
        match self.lookup(state, params, StateAction::Setup) {
            Err(LookupError::Missing) => Some(MissingStateHelp {
                state: state.to_string(),
                suggestions: self.suggestions(state, params),
                stub: stub(state, params),
            }),
            Ok(_) | Err(LookupError::Ambiguous(_)) => None,
        }
    }

    /// The registrations closest to `state`, best first: those that would serve it but for
    /// their params, action or provider, then those whose text is a few edits away or shares
    /// most of its words.
    pub fn suggestions(&self, state: &str, params: &Map<String, Value>) -> Vec<String> {
        let wanted = normalise(state);
        let wanted_skeleton = state_skeleton(&wanted);
        let wanted_words = content_words(&wanted);
        let mut ranked: Vec<(usize, usize, String)> = Vec::new();
        let mut seen = HashSet::new();
        let candidates = self.entries.iter().map(|(registration, pattern)| (*registration, pattern, true));
        let others = self.others.iter().map(|(registration, pattern)| (*registration, pattern, false));
        for (registration, pattern, same_provider) in candidates.chain(others) {
            let shown = shown(registration);
            let near = near_miss(registration, pattern, same_provider, state, &wanted, params);
            let rank = match near {
                Some(reason) => Some((0, 0, format!("{shown}: {reason}"))),
                None if same_provider && registration.action == StateAction::Setup => {
                    let text = normalise(registration.pattern);
                    let distance = edit_distance(&wanted_skeleton, &pattern_skeleton(pattern));
                    let words = content_words(&text);
                    let shared =
                        wanted_words.iter().filter(|word| words.iter().any(|other| alike(word, other))).count();
                    let close = distance <= (wanted_skeleton.chars().count() / 3).max(2);
                    let alike = shared >= 2 || (shared == 1 && wanted_words.len() == 1);
                    (close || alike).then(|| (1, distance.saturating_sub(shared * 2), shown))
                }
                None => None,
            };
            if let Some(rank) = rank {
                if seen.insert(rank.2.clone()) {
                    ranked.push(rank);
                }
            }
        }
        ranked.sort();
        ranked.into_iter().take(MAX_SUGGESTIONS).map(|(_, _, text)| text).collect()
    }
}

/// `` `pattern` (function at location) ``.
fn shown(registration: &StateRegistration) -> String {
    format!("`{}` ({} at {})", registration.pattern, registration.function, registration.location)
}

/// Why a registration whose text fits `state` does not serve it, if its text fits.
fn near_miss(
    registration: &StateRegistration,
    pattern: &StatePattern,
    same_provider: bool,
    state: &str,
    wanted: &str,
    params: &Map<String, Value>,
) -> Option<String> {
    let text_fits = pattern.captures(state).is_some();
    let bare_fits =
        !pattern.is_literal() && pattern.bare_text() == state.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text_fits && !bare_fits {
        let case_fits = StatePattern::parse(&registration.pattern.to_lowercase())
            .is_ok_and(|lower| lower.captures(wanted).is_some() || lower.bare_text() == wanted);
        return case_fits.then(|| "the texts differ in letter case".to_string());
    }
    if !same_provider {
        let scope = registration.provider.unwrap_or_default();
        return Some(format!("it serves provider `{scope}` only"));
    }
    if registration.action == StateAction::Teardown {
        return Some("it is a teardown; the setup function is missing".to_string());
    }
    if !text_fits {
        let absent: Vec<String> =
            pattern.placeholders().filter(|name| !params.contains_key(*name)).map(|name| format!("`{name}`")).collect();
        return Some(format!("it serves `{}` only when the params hold {}", pattern.bare_text(), absent.join(", ")));
    }
    None
}

/// A state's text with each run of digits as `#`, to compare with [`pattern_skeleton`].
fn state_skeleton(normalised: &str) -> String {
    let mut text = String::new();
    for c in normalised.chars() {
        if !c.is_ascii_digit() {
            text.push(c);
        } else if !text.ends_with('#') {
            text.push('#');
        }
    }
    text
}

/// A pattern's text, lower case, with each placeholder as `#`.
fn pattern_skeleton(pattern: &StatePattern) -> String {
    let text: String = pattern
        .segments()
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => text.to_lowercase(),
            Segment::Placeholder(_) => "#".to_string(),
        })
        .collect();
    normalise(&text)
}

/// A `#[provider_state]` function serving exactly `state`, to paste and fill in. Braces are
/// doubled, as patterns need; a state with params takes them as a map.
pub fn stub(state: &str, params: &Map<String, Value>) -> String {
    let pattern = state.replace('{', "{{").replace('}', "}}");
    let argument = if params.is_empty() { "" } else { "params: serde_json::Map<String, serde_json::Value>" };
    let mut text = String::new();
    let _ = writeln!(text, "#[provider_state({pattern:?})]");
    let _ = writeln!(text, "async fn {}({argument}) {{", function_name(state));
    if !params.is_empty() {
        let _ = writeln!(text, "    let _ = params;");
    }
    let _ = writeln!(text, "    todo!({:?})", format!("set up `{}`", state.replace('{', "{{").replace('}', "}}")));
    text.push('}');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::{SourceLocation, StateCall, StateFuture};
    use serde_json::json;

    fn noop(_: StateCall) -> StateFuture {
        Box::pin(async { Ok(Map::new()) })
    }

    fn registration(
        pattern: &'static str,
        provider: Option<&'static str>,
        action: StateAction,
    ) -> &'static StateRegistration {
        Box::leak(Box::new(StateRegistration {
            pattern,
            provider,
            action,
            function: "f",
            location: SourceLocation { file: "f.rs", line: 1, column: 1 },
            handler: noop,
        }))
    }

    #[test]
    fn suggests_close_texts_and_near_misses_first() {
        let registry = StateRegistry::from_registrations(
            "P",
            [
                registration("user {id} exists", Some("P"), StateAction::Setup),
                registration("an order exists", None, StateAction::Setup),
                registration("a user has orders", Some("Q"), StateAction::Setup),
                registration("the basket is empty", None, StateAction::Teardown),
            ],
        );
        let help = registry.missing("user 42 exist", &Map::new()).unwrap();
        assert_eq!(help.suggestions, ["`user {id} exists` (f at f.rs:1:1)"]);
        let help = registry.missing("user exists", &Map::new()).unwrap();
        assert_eq!(
            help.suggestions[0],
            "`user {id} exists` (f at f.rs:1:1): it serves `user exists` only when the params hold `id`"
        );
        let help = registry.missing("a user has orders", &Map::new()).unwrap();
        assert_eq!(help.suggestions[0], "`a user has orders` (f at f.rs:1:1): it serves provider `Q` only");
        let help = registry.missing("the basket is empty", &Map::new()).unwrap();
        assert_eq!(
            help.suggestions[0],
            "`the basket is empty` (f at f.rs:1:1): it is a teardown; the setup function is missing"
        );
        assert!(registry.missing("the weather is fine", &Map::new()).unwrap().suggestions.is_empty());
        assert!(registry.missing("user 1 exists", &Map::new()).is_none());
        assert!(registry.missing("  ", &Map::new()).is_none());
    }

    #[test]
    fn stubs_are_pasteable() {
        assert_eq!(
            stub("user 42 exists", &Map::new()),
            "#[provider_state(\"user 42 exists\")]\nasync fn user_42_exists() {\n    todo!(\"set up `user 42 exists`\")\n}"
        );
        let params = json!({ "id": 1 }).as_object().cloned().unwrap();
        let text = stub("a \"quoted\" {brace} state", &params);
        assert!(text.starts_with("#[provider_state(\"a \\\"quoted\\\" {{brace}} state\")]\nasync fn a_quoted_brace_state(params: serde_json::Map<String, serde_json::Value>) {"), "{text}");
        assert_eq!(function_name("42 users"), "state_42_users");
        assert_eq!(function_name("!!!"), "state");
        assert_eq!(function_name("type"), "state_type");
    }
}
