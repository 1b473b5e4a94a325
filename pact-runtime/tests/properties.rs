//! Property tests: the state-change parser and the state-pattern matcher never panic, whatever
//! they are given, and a pattern matches its own renderings. Each property runs proptest's
//! default 256 cases; the whole file finishes in well under 5 s.

use pact_runtime::__private::{parse_state_change, Segment, StateAction, StatePattern};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        // Eighths round-trip through JSON text exactly; arbitrary doubles need serde_json's
        // `float_roundtrip`, which is not what these properties are about.
        (-1_000_000i64..1_000_000).prop_map(|n| json!(n as f64 / 8.0)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..4).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Literal text without braces, possibly empty.
fn literal() -> impl Strategy<Value = String> {
    "[^{}]{0,8}"
}

/// A placeholder value: at least one character, no braces.
fn value() -> impl Strategy<Value = String> {
    "[^{}]{1,6}"
}

proptest! {
    #[test]
    fn parse_state_change_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..256), query in prop::option::of(".{0,64}")) {
        let _ = parse_state_change(&body, query.as_deref());
    }

    #[test]
    fn parse_state_change_never_panics_on_json(value in json_value(), query in prop::option::of("[a-z=&%+0-9]{0,32}")) {
        let body = serde_json::to_vec(&value).unwrap();
        if let Err(error) = parse_state_change(&body, query.as_deref()) {
            prop_assert_eq!(error.status, 400);
            prop_assert!(!error.message.is_empty());
        }
    }

    #[test]
    fn well_formed_state_changes_round_trip(
        state in ".{0,40}",
        params in prop::collection::btree_map("[a-z]{1,6}", json_value(), 0..4),
        teardown in any::<bool>(),
    ) {
        let params: Map<String, Value> = params.into_iter().collect();
        let action = if teardown { "teardown" } else { "setup" };
        let body = serde_json::to_vec(&json!({ "state": state, "params": params, "action": action })).unwrap();
        let change = parse_state_change(&body, None).unwrap();
        prop_assert_eq!(change.state, state);
        prop_assert_eq!(change.params, params);
        prop_assert_eq!(change.action, if teardown { StateAction::Teardown } else { StateAction::Setup });
    }

    #[test]
    fn query_state_changes_round_trip(state in ".{0,40}", teardown in any::<bool>()) {
        let action = if teardown { "teardown" } else { "setup" };
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("state", &state)
            .append_pair("action", action)
            .finish();
        let change = parse_state_change(b"", Some(&query)).unwrap();
        prop_assert_eq!(change.state, state);
        prop_assert!(change.params.is_empty());
    }

    #[test]
    fn pattern_parse_and_captures_never_panic(pattern in ".{0,48}", text in ".{0,48}") {
        if let Ok(parsed) = StatePattern::parse(&pattern) {
            let _ = parsed.bare_text();
            let _ = parsed.captures(&text);
            let _ = parsed.captures(&pattern);
        }
    }

    #[test]
    fn brace_heavy_patterns_never_panic(pattern in "[{}a-z_ 0-9]{0,32}", text in "[{}a-z 0-9]{0,32}") {
        if let Ok(parsed) = StatePattern::parse(&pattern) {
            let _ = parsed.captures(&text);
        }
    }

    /// Literal text and placeholders alternate, so the pattern is valid; rendering it with any
    /// values yields a text the pattern matches, and its captures render the same text again.
    #[test]
    fn a_pattern_matches_its_own_renderings(
        first in literal(),
        parts in prop::collection::vec(("[a-z][a-z0-9_]{0,5}", "[^{}]{1,8}"), 0..4),
        values in prop::collection::vec(value(), 4),
    ) {
        let mut pattern = first.clone();
        let mut rendered = first.clone();
        let mut names = Vec::new();
        for (index, (name, text)) in parts.iter().enumerate() {
            let name = format!("{name}{index}");
            pattern.push_str(&format!("{{{name}}}{text}"));
            rendered.push_str(&values[index]);
            rendered.push_str(text);
            names.push(name);
        }
        let parsed = StatePattern::parse(&pattern).unwrap();
        prop_assert_eq!(parsed.placeholders().collect::<Vec<_>>(), names.iter().map(String::as_str).collect::<Vec<_>>());
        let captures = parsed.captures(&rendered);
        prop_assert!(captures.is_some(), "`{}` does not match `{}`", pattern, rendered);
        let captures = captures.unwrap();
        let mut again = String::new();
        for segment in parsed.segments() {
            match segment {
                Segment::Literal(text) => again.push_str(text),
                Segment::Placeholder(name) => {
                    let value = &captures.iter().find(|(captured, _)| captured == name).unwrap().1;
                    prop_assert!(!value.is_empty());
                    again.push_str(value);
                }
            }
        }
        prop_assert_eq!(again, rendered);
    }

    /// The linear matcher captures exactly what the backtracking one it replaced did (earlier
    /// placeholders as little as possible), on texts over a small alphabet where literals
    /// repeat and overlap.
    #[test]
    fn captures_are_those_of_backtracking(
        pattern in "(ab|a|b| |é|\\{x\\}|\\{y\\}|\\{z\\}){0,8}",
        text in "[ab é]{0,16}",
    ) {
        if let Ok(parsed) = StatePattern::parse(&pattern) {
            prop_assert_eq!(parsed.captures(&text), backtracking(parsed.segments(), &text), "pattern `{}` text `{}`", pattern, text);
        }
    }

    /// Doubling the braces of any text gives a literal pattern that matches exactly that text,
    /// which is how missing-state stubs quote a state.
    #[test]
    fn doubled_braces_make_a_literal_pattern(text in ".{0,40}") {
        let parsed = StatePattern::parse(&text.replace('{', "{{").replace('}', "}}")).unwrap();
        prop_assert!(parsed.is_literal());
        prop_assert_eq!(parsed.captures(&text), Some(Vec::new()));
    }
}

/// The matcher `StatePattern::captures` had before it became linear: every end of each
/// placeholder, shortest first.
fn backtracking(segments: &[Segment], text: &str) -> Option<Vec<(String, String)>> {
    match segments.split_first() {
        None => text.is_empty().then(Vec::new),
        Some((Segment::Literal(literal), rest)) => backtracking(rest, text.strip_prefix(literal.as_str())?),
        Some((Segment::Placeholder(name), rest)) => {
            text.char_indices().map(|(i, c)| i + c.len_utf8()).find_map(|end| {
                let mut captures = vec![(name.clone(), text[..end].to_string())];
                captures.extend(backtracking(rest, &text[end..])?);
                Some(captures)
            })
        }
    }
}

fn noop(_: pact_runtime::__private::StateCall) -> pact_runtime::__private::StateFuture {
    Box::pin(async { Ok(Map::new()) })
}

fn registry() -> pact_runtime::__private::StateRegistry {
    use pact_runtime::__private::{SourceLocation, StateRegistration, StateRegistry};
    let patterns: [(&'static str, Option<&'static str>, StateAction); 5] = [
        ("user {id} exists", None, StateAction::Setup),
        ("user {id} named {name} exists", Some("P"), StateAction::Setup),
        ("an order exists", Some("Q"), StateAction::Setup),
        ("the basket is empty", None, StateAction::Teardown),
        ("{{literal}} braces", None, StateAction::Setup),
    ];
    StateRegistry::from_registrations(
        "P",
        patterns.map(|(pattern, provider, action)| -> &'static StateRegistration {
            Box::leak(Box::new(StateRegistration {
                pattern,
                provider,
                action,
                function: "f",
                location: SourceLocation { file: "f.rs", line: 1, column: 1 },
                handler: noop,
            }))
        }),
    )
}

proptest! {
    /// Looking up a state and explaining why it is missing never panics, and the stub always
    /// quotes the state.
    #[test]
    fn missing_state_help_never_panics(state in ".{0,48}", params in prop::collection::btree_map("[a-z]{1,4}", json_value(), 0..3)) {
        let registry = registry();
        let params: Map<String, Value> = params.into_iter().collect();
        if let Some(help) = registry.missing(&state, &params) {
            prop_assert!(help.stub.starts_with("#[provider_state("));
            prop_assert!(help.suggestions.len() <= 3);
            let _ = help.to_string();
        }
    }
}
