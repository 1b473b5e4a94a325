//! V4 interactions this runtime cannot verify, found while a pact loads: an interaction of a
//! type Pact does not know (Pact's loader would reject the whole file for it), and one that
//! needs a Pact plugin. Each fails as its own interaction, with the reason, and the rest of the
//! pact is verified.

use std::str::FromStr as _;

use pact_models::json_utils::json_to_string;
use pact_models::pact::{determine_spec_version, parse_meta_data};
use pact_models::v4::V4InteractionType;
use pact_models::PactSpecification;
use serde_json::{json, Value};

/// Screens every interaction of a V4 pact's JSON (`source` names it in messages) with
/// [`screen_interaction`]; other pacts are left as they are.
pub(crate) fn screen_pact(source: &str, json: &mut Value) -> Vec<(usize, String)> {
    if determine_spec_version(source, &parse_meta_data(json)) != PactSpecification::V4 {
        return Vec::new();
    }
    let plugins = plugin_names(json);
    let Some(interactions) = json.get_mut("interactions").and_then(Value::as_array_mut) else {
        return Vec::new();
    };
    interactions
        .iter_mut()
        .enumerate()
        .filter_map(|(index, interaction)| screen_interaction(source, interaction, &plugins).map(|why| (index, why)))
        .collect()
}

/// The names of the plugins a pact's metadata lists (`metadata.plugins[].name`).
pub(crate) fn plugin_names(pact: &Value) -> Vec<String> {
    pact.pointer("/metadata/plugins")
        .and_then(Value::as_array)
        .map(|plugins| plugins.iter().filter_map(|plugin| plugin.get("name").map(json_to_string)).collect())
        .unwrap_or_default()
}

/// Why one V4 interaction (its JSON) cannot be verified, or `None` when it can. An interaction
/// of an unknown type is replaced by a stand-in that Pact's loader reads: an HTTP interaction
/// with its description, states, id, key, pending flag and comments. `plugins` are the plugins
/// the pact's metadata lists, named when the interaction does not say which it uses.
pub(crate) fn screen_interaction(source: &str, interaction: &mut Value, plugins: &[String]) -> Option<String> {
    let description = interaction.get("description").map(json_to_string).unwrap_or_default();
    let kind = interaction.get("type").map(json_to_string);
    if kind.as_deref().is_none_or(|kind| V4InteractionType::from_str(kind).is_err()) {
        let has = match &kind {
            Some(kind) => format!("has the type `{kind}`, which Pact does not know"),
            None => "has no `type`".to_string(),
        };
        *interaction = stand_in(interaction);
        return Some(format!(
            "V4 interaction `{description}` of pact {source} {has}: the types are `Synchronous/HTTP`, `Asynchronous/Messages` and `Synchronous/Messages`"
        ));
    }
    let configured: Vec<String> = interaction
        .get("pluginConfiguration")
        .and_then(Value::as_object)
        .map_or_else(Vec::new, |configuration| configuration.keys().cloned().collect());
    let markup = interaction
        .pointer("/interactionMarkup/markup")
        .and_then(Value::as_str)
        .is_some_and(|markup| !markup.trim().is_empty());
    let transport = interaction
        .get("transport")
        .map(json_to_string)
        .filter(|transport| !transport.is_empty() && !matches!(transport.as_str(), "http" | "https"));
    if configured.is_empty() && !markup && transport.is_none() {
        return None;
    }
    let named = if configured.is_empty() { plugins } else { configured.as_slice() };
    let which = match named {
        [] => "a Pact plugin".to_string(),
        [one] => format!("the `{one}` plugin"),
        several => format!(
            "the Pact plugins {}",
            several.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
        ),
    };
    let over = transport.map(|transport| format!(" over the `{transport}` transport")).unwrap_or_default();
    Some(format!(
        "interaction `{description}` uses {which}{over}, and Pact plugins are not supported by pact-runtime: verify plugin interactions with a verifier that loads the plugin (the pact_verifier CLI)"
    ))
}

/// An HTTP interaction standing in for `original`, keeping what reports and filters read.
fn stand_in(original: &Value) -> Value {
    let mut stand_in = json!({
        "type": "Synchronous/HTTP",
        "request": { "method": "GET", "path": "/" },
        "response": { "status": 200 }
    });
    for field in ["description", "providerStates", "_id", "key", "pending", "comments"] {
        if let Some(value) = original.get(field) {
            stand_in[field] = value.clone();
        }
    }
    stand_in
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pact(interactions: Value) -> Value {
        json!({
            "consumer": { "name": "C" },
            "provider": { "name": "P" },
            "interactions": interactions,
            "metadata": { "pactSpecification": { "version": "4.0" }, "plugins": [{ "name": "protobuf", "version": "0.3.0" }] }
        })
    }

    #[test]
    fn unknown_types_become_stand_ins_and_plugins_are_named() {
        let mut json = pact(json!([
            { "type": "Synchronous/HTTP", "description": "plain", "request": { "method": "GET", "path": "/" }, "response": { "status": 200 } },
            { "type": "Carrier/Pigeon", "description": "a pigeon", "providerStates": [{ "name": "a loft" }], "pending": true },
            { "type": "Synchronous/Messages", "description": "a grpc call", "transport": "grpc",
              "pluginConfiguration": { "protobuf": { "service": "Greeter/Hello" } }, "request": {}, "response": [] },
            { "type": "Asynchronous/Messages", "description": "marked up", "contents": {},
              "interactionMarkup": { "markup": "```protobuf\nmessage A {}\n```", "markupType": "COMMON_MARK" } }
        ]));
        let unsupported = screen_pact("p.json", &mut json);
        let indexes: Vec<usize> = unsupported.iter().map(|(index, _)| *index).collect();
        assert_eq!(indexes, [1, 2, 3]);
        assert_eq!(
            unsupported[0].1,
            "V4 interaction `a pigeon` of pact p.json has the type `Carrier/Pigeon`, which Pact does not know: the types are `Synchronous/HTTP`, `Asynchronous/Messages` and `Synchronous/Messages`"
        );
        assert!(unsupported[1].1.starts_with("interaction `a grpc call` uses the `protobuf` plugin over the `grpc` transport, and Pact plugins are not supported"), "{}", unsupported[1].1);
        assert!(
            unsupported[2].1.starts_with("interaction `marked up` uses the `protobuf` plugin, and"),
            "{}",
            unsupported[2].1
        );
        // The pact now loads with Pact's own loader, the stand-in keeping what reports read.
        let loaded = pact_models::pact::load_pact_from_json("p.json", &json).unwrap();
        let interactions = loaded.interactions();
        assert_eq!(interactions.len(), 4);
        assert_eq!(interactions[1].description(), "a pigeon");
        assert_eq!(interactions[1].provider_states()[0].name, "a loft");
        assert!(interactions[1].pending());
    }

    #[test]
    fn other_specifications_are_left_alone() {
        let mut json = pact(json!([{ "description": "no type in V3" }]));
        json["metadata"]["pactSpecification"]["version"] = json!("3.0.0");
        assert!(screen_pact("p.json", &mut json).is_empty());
    }
}
