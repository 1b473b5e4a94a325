//! V4 interactions that need more than Pact's loader, found while a pact loads: an interaction
//! of a type Pact does not know (Pact's loader would reject the whole file for it) fails as its
//! own interaction, with the reason; one that needs a Pact plugin is verified through the plugin
//! (the `plugins` feature) or, without the feature, fails naming the plugin and the feature.
//! Either way the rest of the pact is verified.

use std::str::FromStr as _;

use pact_models::json_utils::json_to_string;
use pact_models::pact::{determine_spec_version, parse_meta_data};
use pact_models::v4::V4InteractionType;
use pact_models::PactSpecification;
use serde_json::{json, Value};

/// What screening found in a pact, by interaction index.
#[derive(Debug, Default)]
pub(crate) struct Screened {
    /// The interactions that cannot be verified, with the reason.
    pub(crate) unsupported: Vec<(usize, String)>,
    /// The interactions verified through a Pact plugin, with the plugins each needs.
    pub(crate) plugin: Vec<(usize, Vec<String>)>,
    /// What of the pact Pact's loader ignores, to warn about.
    pub(crate) warnings: Vec<String>,
}

impl Screened {
    /// Adds the verdict on the interaction at `index`.
    pub(crate) fn add(&mut self, index: usize, verdict: Option<Verdict>) {
        match verdict {
            Some(Verdict::Unsupported(why)) => self.unsupported.push((index, why)),
            Some(Verdict::Plugin(plugins)) => self.plugin.push((index, plugins)),
            None => {}
        }
    }
}

/// What one interaction needs beyond Pact's loader.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It cannot be verified, for this reason.
    Unsupported(String),
    /// It is verified through these Pact plugins.
    Plugin(Vec<String>),
}

/// Screens every interaction of a V4 pact's JSON (`source` names it in messages) with
/// [`screen_interaction`]; other pacts are left as they are.
pub(crate) fn screen_pact(source: &str, json: &mut Value) -> Screened {
    let mut screened = Screened::default();
    if determine_spec_version(source, &parse_meta_data(json)) != PactSpecification::V4 {
        return screened;
    }
    let plugins = plugin_names(json);
    let Some(interactions) = json.get_mut("interactions").and_then(Value::as_array_mut) else {
        return screened;
    };
    for (index, interaction) in interactions.iter_mut().enumerate() {
        screened.add(index, screen_interaction(source, interaction, &plugins));
    }
    screened
}

/// The names of the plugins a pact's metadata lists (`metadata.plugins[].name`).
pub(crate) fn plugin_names(pact: &Value) -> Vec<String> {
    pact.pointer("/metadata/plugins")
        .and_then(Value::as_array)
        .map(|plugins| plugins.iter().filter_map(|plugin| plugin.get("name").map(json_to_string)).collect())
        .unwrap_or_default()
}

/// What one V4 interaction (its JSON) needs beyond Pact's loader, or `None` when nothing. An
/// interaction of an unknown type is replaced by a stand-in that Pact's loader reads: an HTTP
/// interaction with its description, states, id, key, pending flag and comments. `plugins` are
/// the plugins the pact's metadata lists.
///
/// As `pact_verifier` decides: an interaction needs a plugin when its transport is not HTTP, or
/// when its `pluginConfiguration` names a plugin the pact's metadata lists. Display markup
/// (`interactionMarkup`) alone, or configuration for a plugin the pact does not load, needs none.
pub(crate) fn screen_interaction(source: &str, interaction: &mut Value, plugins: &[String]) -> Option<Verdict> {
    let description = interaction.get("description").map(json_to_string).unwrap_or_default();
    let kind = interaction.get("type").map(json_to_string);
    if kind.as_deref().is_none_or(|kind| V4InteractionType::from_str(kind).is_err()) {
        let has = match &kind {
            Some(kind) => format!("has the type `{kind}`, which Pact does not know"),
            None => "has no `type`".to_string(),
        };
        *interaction = stand_in(interaction);
        return Some(Verdict::Unsupported(format!(
            "V4 interaction `{description}` of pact {source} {has}: the types are `Synchronous/HTTP`, `Asynchronous/Messages` and `Synchronous/Messages`"
        )));
    }
    let configured: Vec<String> =
        interaction.get("pluginConfiguration").and_then(Value::as_object).map_or_else(Vec::new, |configuration| {
            configuration.keys().filter(|name| plugins.contains(name)).cloned().collect()
        });
    let transport = interaction
        .get("transport")
        .map(json_to_string)
        .filter(|transport| !transport.is_empty() && !matches!(transport.as_str(), "http" | "https"));
    if configured.is_empty() && transport.is_none() {
        return None;
    }
    // The plugins its configuration names; a transport alone may come from any the pact lists.
    let named = if configured.is_empty() { plugins } else { configured.as_slice() };
    if cfg!(feature = "plugins") {
        return Some(Verdict::Plugin(named.to_vec()));
    }
    let which = match named {
        [] => "a Pact plugin".to_string(),
        [one] => format!("the `{one}` plugin"),
        several => format!(
            "the Pact plugins {}",
            several.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
        ),
    };
    let over = transport.map(|transport| format!(" over the `{transport}` transport")).unwrap_or_default();
    Some(Verdict::Unsupported(format!(
        "interaction `{description}` needs {which}{over}: enable the `plugins` feature of pact-runtime to verify it through the plugin (`pact-runtime = {{ version = \"0.1\", features = [\"plugins\"] }}`)"
    )))
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
    fn unknown_types_become_stand_ins_and_plugin_interactions_are_found() {
        let mut json = pact(json!([
            { "type": "Synchronous/HTTP", "description": "plain", "request": { "method": "GET", "path": "/" }, "response": { "status": 200 } },
            { "type": "Carrier/Pigeon", "description": "a pigeon", "providerStates": [{ "name": "a loft" }], "pending": true },
            { "type": "Synchronous/Messages", "description": "a grpc call", "transport": "grpc",
              "pluginConfiguration": { "protobuf": { "service": "Greeter/Hello" } }, "request": {}, "response": [] },
            { "type": "Asynchronous/Messages", "description": "a protobuf event", "contents": {},
              "pluginConfiguration": { "protobuf": { "message": "Event" } } },
            // Display markup alone needs no plugin, as pact_verifier has it.
            { "type": "Synchronous/HTTP", "description": "marked up", "request": { "method": "GET", "path": "/" }, "response": { "status": 200 },
              "interactionMarkup": { "markup": "```protobuf\nmessage A {}\n```", "markupType": "COMMON_MARK" } },
            // Configuration for a plugin the pact does not list is data, not a plugin to load.
            { "type": "Synchronous/HTTP", "description": "configured", "request": { "method": "GET", "path": "/" }, "response": { "status": 200 },
              "pluginConfiguration": { "xml-schema": { "strict": true } } }
        ]));
        let screened = screen_pact("p.json", &mut json);
        let indexes: Vec<usize> = screened.unsupported.iter().map(|(index, _)| *index).collect();
        if cfg!(feature = "plugins") {
            assert_eq!(indexes, [1]);
            assert_eq!(screened.plugin, [(2, vec!["protobuf".to_string()]), (3, vec!["protobuf".to_string()])]);
        } else {
            assert_eq!(indexes, [1, 2, 3]);
            assert!(screened.plugin.is_empty());
            assert_eq!(
                screened.unsupported[1].1,
                "interaction `a grpc call` needs the `protobuf` plugin over the `grpc` transport: enable the `plugins` feature of pact-runtime to verify it through the plugin (`pact-runtime = { version = \"0.1\", features = [\"plugins\"] }`)"
            );
            assert!(screened.unsupported[2]
                .1
                .starts_with("interaction `a protobuf event` needs the `protobuf` plugin: enable"));
        }
        assert_eq!(
            screened.unsupported[0].1,
            "V4 interaction `a pigeon` of pact p.json has the type `Carrier/Pigeon`, which Pact does not know: the types are `Synchronous/HTTP`, `Asynchronous/Messages` and `Synchronous/Messages`"
        );
        // The pact now loads with Pact's own loader, the stand-in keeping what reports read.
        let loaded = pact_models::pact::load_pact_from_json("p.json", &json).unwrap();
        let interactions = loaded.interactions();
        assert_eq!(interactions.len(), 6);
        assert_eq!(interactions[1].description(), "a pigeon");
        assert_eq!(interactions[1].provider_states()[0].name, "a loft");
        assert!(interactions[1].pending());
    }

    #[test]
    fn other_specifications_are_left_alone() {
        let mut json = pact(json!([{ "description": "no type in V3" }]));
        json["metadata"]["pactSpecification"]["version"] = json!("3.0.0");
        let screened = screen_pact("p.json", &mut json);
        assert!(screened.unsupported.is_empty() && screened.plugin.is_empty());
    }
}
