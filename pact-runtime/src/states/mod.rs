//! Provider states: every `#[provider_state]` function in the test binary, collected by
//! `inventory`, the rules that pick the one serving a given state, how a function's arguments
//! and return value are served, the help for a state no function serves, and the state-change
//! protocol.

pub mod arguments;
pub mod missing;
pub mod protocol;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value};

pub use arguments::{FromStateParams, FromStatePlaceholder, IntoStateValues, StateValues};
use pact_syntax::pattern::StatePattern;

/// Whether a state function sets a state up or tears it down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateAction {
    /// Runs before the interaction's request (the default).
    Setup,
    /// Runs after the interaction's request, in reverse order of the states.
    Teardown,
}

impl StateAction {
    /// The action as the state-change protocol spells it: `setup` or `teardown`.
    pub fn as_str(self) -> &'static str {
        match self {
            StateAction::Setup => "setup",
            StateAction::Teardown => "teardown",
        }
    }
}

impl fmt::Display for StateAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a run does with a provider state that no `#[provider_state]` function serves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissingStates {
    /// The interaction fails, naming the state, the closest registered states and a stub to paste.
    #[default]
    Fail,
    /// The request is sent without the state; the report warns and lists the missing states.
    Warn,
}

/// What a complete, unfiltered run does with `#[provider_state]` and `#[message]` functions
/// that no interaction used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnusedStates {
    /// The report warns, listing each function with its location.
    #[default]
    Warn,
    /// The same list fails the run: for teams that delete dead states as soon as consumers do.
    Fail,
}

/// Where a registration was written, for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    /// `file!()` of the annotated function.
    pub file: &'static str,
    /// `line!()` of the annotated function.
    pub line: u32,
    /// `column!()` of the annotated function.
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What a state function receives: the matched state, its captures and params.
#[derive(Debug, Clone, Default)]
pub struct StateCall {
    /// The state text as the pact wrote it.
    pub state: String,
    /// Placeholder values, from the state text or from the params.
    pub placeholders: Vec<(String, String)>,
    /// The V3 params of the state (empty for V1/V2 pacts).
    pub params: Map<String, Value>,
    /// Each placeholder's value as its argument's type made it ([`placeholder_argument`]
    /// writes it), for `fromProviderState` expressions after the returned values and params.
    ///
    /// [`placeholder_argument`]: arguments::placeholder_argument
    pub placeholder_values: std::sync::Arc<std::sync::Mutex<Map<String, Value>>>,
}

/// An error from running a state function. Its text is what users see in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError(pub String);

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}

/// The future a type-erased state handler returns.
pub type StateFuture = Pin<Box<dyn Future<Output = Result<Map<String, Value>, StateError>> + Send>>;

/// One `#[provider_state]` function, as the macro registers it.
#[derive(Debug)]
pub struct StateRegistration {
    /// The pattern text, e.g. `user {id} exists`.
    pub pattern: &'static str,
    /// `Some(name)` scopes the state to one provider.
    pub provider: Option<&'static str>,
    /// Setup or teardown.
    pub action: StateAction,
    /// The annotated function's name.
    pub function: &'static str,
    /// Where it was written.
    pub location: SourceLocation,
    /// Calls the function with arguments resolved from a [`StateCall`].
    pub handler: fn(StateCall) -> StateFuture,
}

inventory::collect!(StateRegistration);

/// A registration that matched a state, with the values it captured.
#[derive(Debug, Clone)]
pub struct StateMatch {
    /// The registration that serves the state.
    pub registration: &'static StateRegistration,
    /// Placeholder values, by name.
    pub placeholders: Vec<(String, String)>,
}

/// Why no single registration serves a state.
#[derive(Debug, Clone)]
pub enum LookupError {
    /// No registration matches. Teardowns are optional, so only setups report this.
    Missing,
    /// More than one registration matches at the same precedence.
    Ambiguous(Vec<&'static StateRegistration>),
}

/// The set of state functions that serve one provider.
#[derive(Debug, Clone)]
pub struct StateRegistry {
    entries: Vec<(&'static StateRegistration, StatePattern)>,
    /// Registrations scoped to other providers: never served, only suggested.
    others: Vec<(&'static StateRegistration, StatePattern)>,
}

impl StateRegistry {
    /// Every registration in the binary that serves `provider`: those scoped to it, and the
    /// unscoped ones. Registrations whose pattern does not parse are skipped (the macro
    /// rejects them at compile time, so this only happens for hand-written registrations).
    pub fn for_provider(provider: &str) -> StateRegistry {
        Self::from_registrations(provider, inventory::iter::<StateRegistration>)
    }

    /// Builds a registry from explicit registrations, for tests and tools.
    pub fn from_registrations(
        provider: &str,
        registrations: impl IntoIterator<Item = &'static StateRegistration>,
    ) -> StateRegistry {
        let (entries, others) = registrations
            .into_iter()
            .filter_map(|registration| {
                StatePattern::parse(registration.pattern).ok().map(|pattern| (registration, pattern))
            })
            .partition(|(registration, _)| registration.provider.is_none_or(|scope| scope == provider));
        StateRegistry { entries, others }
    }

    /// All registrations in this registry.
    pub fn registrations(&self) -> impl Iterator<Item = &'static StateRegistration> + '_ {
        self.entries.iter().map(|(registration, _)| *registration)
    }

    /// Finds the registration serving `state` for `action`.
    ///
    /// The rules, in order:
    /// 1. A pattern matches when the state text matches it, placeholders capturing text, or
    ///    when the state text equals the pattern's bare text (placeholders removed) and the
    ///    params hold a value for every placeholder.
    /// 2. Registrations scoped to the provider win over unscoped ones.
    /// 3. Two matches at the same scope are an error that lists both locations.
    pub fn lookup(
        &self,
        state: &str,
        params: &Map<String, Value>,
        action: StateAction,
    ) -> Result<StateMatch, LookupError> {
        let mut matches: Vec<StateMatch> = self
            .entries
            .iter()
            .filter(|(registration, _)| registration.action == action)
            .filter_map(|(registration, pattern)| {
                match_pattern(pattern, state, params).map(|placeholders| StateMatch { registration, placeholders })
            })
            .collect();
        if matches.iter().any(|m| m.registration.provider.is_some()) {
            matches.retain(|m| m.registration.provider.is_some());
        }
        match matches.len() {
            0 => Err(LookupError::Missing),
            1 => Ok(matches.remove(0)),
            _ => Err(LookupError::Ambiguous(matches.into_iter().map(|m| m.registration).collect())),
        }
    }

    /// Every pair of registrations that would both serve some state text, for the same
    /// action and scope: literal duplicates, and literal texts a pattern also matches.
    pub fn conflicts(&self) -> Vec<(&'static StateRegistration, &'static StateRegistration)> {
        let mut conflicts = Vec::new();
        for (i, (first, first_pattern)) in self.entries.iter().enumerate() {
            for (second, second_pattern) in &self.entries[i + 1..] {
                if first.action != second.action || first.provider != second.provider {
                    continue;
                }
                let overlap = first.pattern == second.pattern
                    || (first_pattern.is_literal() && second_pattern.captures(first.pattern).is_some())
                    || (second_pattern.is_literal() && first_pattern.captures(second.pattern).is_some())
                    || (!first_pattern.is_literal()
                        && !second_pattern.is_literal()
                        && first_pattern.bare_text() == second_pattern.bare_text());
                if overlap {
                    conflicts.push((*first, *second));
                }
            }
        }
        conflicts
    }
}

fn match_pattern(pattern: &StatePattern, state: &str, params: &Map<String, Value>) -> Option<Vec<(String, String)>> {
    if let Some(captures) = pattern.captures(state) {
        return Some(captures);
    }
    if pattern.is_literal() || pattern.bare_text() != state.split_whitespace().collect::<Vec<_>>().join(" ") {
        return None;
    }
    pattern.placeholders().map(|name| params.get(name).map(|value| (name.to_string(), param_text(value)))).collect()
}

/// The text form of a param value that placeholder arguments parse: strings without quotes,
/// everything else as JSON.
pub(crate) fn param_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn noop(_: StateCall) -> StateFuture {
        Box::pin(async { Ok(Map::new()) })
    }

    fn registration(pattern: &'static str, provider: Option<&'static str>) -> &'static StateRegistration {
        Box::leak(Box::new(StateRegistration {
            pattern,
            provider,
            action: StateAction::Setup,
            function: "f",
            location: SourceLocation { file: "f.rs", line: 1, column: 1 },
            handler: noop,
        }))
    }

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn placeholder_captures_from_text_and_from_params() {
        let registry = StateRegistry::from_registrations("P", [registration("user {id} exists", None)]);
        let found = registry.lookup("user 42 exists", &Map::new(), StateAction::Setup).unwrap();
        assert_eq!(found.placeholders, vec![("id".to_string(), "42".to_string())]);
        let found = registry.lookup("user exists", &params(json!({"id": 7})), StateAction::Setup).unwrap();
        assert_eq!(found.placeholders, vec![("id".to_string(), "7".to_string())]);
        assert!(matches!(registry.lookup("user exists", &Map::new(), StateAction::Setup), Err(LookupError::Missing)));
    }

    #[test]
    fn scoped_registrations_win_and_other_providers_are_ignored() {
        let scoped = registration("a state", Some("P"));
        let registry = StateRegistry::from_registrations(
            "P",
            [registration("a state", None), scoped, registration("a state", Some("Q"))],
        );
        let found = registry.lookup("a state", &Map::new(), StateAction::Setup).unwrap();
        assert!(std::ptr::eq(found.registration, scoped));
    }

    #[test]
    fn overlapping_patterns_are_ambiguous_and_reported_as_conflicts() {
        let registry = StateRegistry::from_registrations(
            "P",
            [registration("user 1 exists", None), registration("user {id} exists", None)],
        );
        assert!(matches!(
            registry.lookup("user 1 exists", &Map::new(), StateAction::Setup),
            Err(LookupError::Ambiguous(found)) if found.len() == 2
        ));
        assert_eq!(registry.conflicts().len(), 1);
    }

    #[test]
    fn a_catch_all_serves_every_state_and_scoped_functions_win_over_it() {
        let catch_all = registration("{state}", None);
        let scoped = registration("user {id} exists", Some("P"));
        let registry = StateRegistry::from_registrations("P", [catch_all, scoped]);
        assert!(registry.conflicts().is_empty());
        let found = registry.lookup("an order with 2 lines", &Map::new(), StateAction::Setup).unwrap();
        assert!(std::ptr::eq(found.registration, catch_all));
        assert_eq!(found.placeholders, vec![("state".to_string(), "an order with 2 lines".to_string())]);
        let found = registry.lookup("user 5 exists", &Map::new(), StateAction::Setup).unwrap();
        assert!(std::ptr::eq(found.registration, scoped));
        // At the same scope, a literal state overlaps the catch-all.
        let registry = StateRegistry::from_registrations("P", [catch_all, registration("a user exists", None)]);
        assert_eq!(registry.conflicts().len(), 1);
    }
}
