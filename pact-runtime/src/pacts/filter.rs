//! Choosing which interactions to verify. A filtered run never publishes results.

use regex::Regex;

use super::Interaction;

/// Which interactions to verify, as [`Settings::filter`](crate::Settings::filter) reads the
/// `filter_*` options. The default verifies all of them.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct InteractionFilter {
    /// Only interactions whose description matches.
    pub description: Option<Regex>,
    /// Only interactions with a provider state that matches.
    pub state: Option<Regex>,
    /// Only interactions without provider states.
    pub no_state: bool,
    /// Only pacts of these consumers.
    pub consumers: Vec<String>,
}

impl InteractionFilter {
    /// True when some interactions may be left out.
    pub fn is_active(&self) -> bool {
        self.description.is_some() || self.state.is_some() || self.no_state || !self.consumers.is_empty()
    }

    /// Whether to verify an interaction of `consumer` with `description` and `states`.
    pub fn matches(&self, consumer: &str, description: &str, states: &[String]) -> bool {
        (self.consumers.is_empty() || self.consumers.iter().any(|name| name == consumer))
            && self.description.as_ref().is_none_or(|pattern| pattern.is_match(description))
            && self.state.as_ref().is_none_or(|pattern| states.iter().any(|state| pattern.is_match(state)))
            && (!self.no_state || states.is_empty())
    }

    /// Whether to verify `interaction` of `consumer`'s pact.
    pub(crate) fn selects(&self, consumer: &str, interaction: &Interaction<'_>) -> bool {
        let states: Vec<String> = interaction.provider_states().into_iter().map(|state| state.name).collect();
        self.matches(consumer, &interaction.description(), &states)
    }

    /// The filter as the variables that set it, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(pattern) = &self.description {
            parts.push(format!("description ~ /{pattern}/"));
        }
        if let Some(pattern) = &self.state {
            parts.push(format!("state ~ /{pattern}/"));
        }
        if self.no_state {
            parts.push("no provider state".to_string());
        }
        if !self.consumers.is_empty() {
            parts.push(format!("consumer in [{}]", self.consumers.join(", ")));
        }
        parts.join(", ")
    }
}
