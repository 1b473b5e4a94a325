//! Pact content handling: the content hash ("pact version sha"), stable interaction `_id`s and
//! merging for `onConflict: merge`.

use serde_json::Value;
use sha1::{Digest, Sha1};

/// Keys the broker adds to a pact it serves; a document fetched from the double and published
/// again must hash to the same content.
const BROKER_KEYS: [&str; 2] = ["_links", "createdAt"];

/// Serialises with object keys sorted, so the hash doesn't depend on key order.
pub(crate) fn canonical(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

fn interaction_lists(document: &mut Value) -> impl Iterator<Item = &mut Value> {
    document
        .as_object_mut()
        .into_iter()
        .flat_map(|map| map.iter_mut())
        .filter(|(key, _)| key.as_str() == "interactions" || key.as_str() == "messages")
        .filter_map(|(_, list)| list.as_array_mut())
        .flat_map(|list| list.iter_mut())
}

/// The document as it is hashed: without interaction `_id`s and broker-added keys.
fn hashable(document: &Value) -> Value {
    let mut document = document.clone();
    if let Some(map) = document.as_object_mut() {
        for key in BROKER_KEYS {
            map.remove(key);
        }
    }
    for interaction in interaction_lists(&mut document) {
        if let Some(map) = interaction.as_object_mut() {
            map.remove("_id");
        }
    }
    document
}

/// The content hash the broker identifies a pact version by.
pub(crate) fn pact_sha(document: &Value) -> String {
    sha1_hex(canonical(&hashable(document)).as_bytes())
}

/// The document with `_id` set on every interaction: a hash of the interaction's content, so it
/// is the same every time the same interaction is published.
pub(crate) fn with_interaction_ids(document: &Value) -> Value {
    let mut document = hashable(document);
    for interaction in interaction_lists(&mut document) {
        let id = sha1_hex(canonical(interaction).as_bytes());
        if let Some(map) = interaction.as_object_mut() {
            map.insert("_id".into(), Value::String(id));
        }
    }
    document
}

fn interaction_key(interaction: &Value) -> (Value, Value) {
    let state = interaction
        .get("providerStates")
        .or_else(|| interaction.get("providerState"))
        .or_else(|| interaction.get("provider_state"))
        .cloned()
        .unwrap_or(Value::Null);
    (interaction.get("description").cloned().unwrap_or(Value::Null), state)
}

/// Merges `new` into `old`: interactions are matched by description and provider state, and a
/// match is replaced by the new one. Everything else is taken from `new`.
pub(crate) fn merge_pacts(old: &Value, new: &Value) -> Value {
    let mut merged = hashable(new);
    let old = hashable(old);
    for key in ["interactions", "messages"] {
        let new_items = new.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        let Some(old_items) = old.get(key).and_then(Value::as_array) else { continue };
        let mut items: Vec<Value> = old_items
            .iter()
            .filter(|o| !new_items.iter().any(|n| interaction_key(n) == interaction_key(o)))
            .cloned()
            .collect();
        items.extend(hashable_items(&new_items));
        if let Some(map) = merged.as_object_mut() {
            map.insert(key.to_string(), Value::Array(items));
        }
    }
    merged
}

fn hashable_items(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .map(|item| {
            let mut item = item.clone();
            if let Some(map) = item.as_object_mut() {
                map.remove("_id");
            }
            item
        })
        .collect()
}

/// `consumer.name` and `provider.name` of a pact document.
pub(crate) fn participant_names(document: &Value) -> (Option<String>, Option<String>) {
    let name = |key: &str| document.get(key).and_then(|p| p.get("name")).and_then(Value::as_str).map(str::to_string);
    (name("consumer"), name("provider"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pact(order_first: bool) -> Value {
        let interaction = if order_first {
            json!({ "description": "d", "request": { "method": "GET", "path": "/" }, "response": { "status": 200 } })
        } else {
            json!({ "response": { "status": 200 }, "request": { "path": "/", "method": "GET" }, "description": "d" })
        };
        json!({ "consumer": { "name": "C" }, "provider": { "name": "P" }, "interactions": [interaction] })
    }

    #[test]
    fn the_sha_ignores_key_order_ids_and_broker_links() {
        let served = with_interaction_ids(&pact(true));
        let mut with_links = served.clone();
        with_links["_links"] = json!({ "self": { "href": "http://x" } });
        assert_eq!(pact_sha(&pact(true)), pact_sha(&pact(false)));
        assert_eq!(pact_sha(&pact(true)), pact_sha(&with_links));
        assert_eq!(served["interactions"][0]["_id"], with_interaction_ids(&pact(false))["interactions"][0]["_id"]);
    }

    #[test]
    fn merging_replaces_interactions_with_the_same_description_and_state() {
        let old = json!({ "interactions": [{ "description": "a", "response": 1 }, { "description": "b" }] });
        let new = json!({ "interactions": [{ "description": "a", "response": 2 }, { "description": "c" }] });
        let merged = merge_pacts(&old, &new);
        let got: Vec<Value> = merged["interactions"].as_array().unwrap().clone();
        assert_eq!(
            got,
            vec![
                json!({ "description": "b" }),
                json!({ "description": "a", "response": 2 }),
                json!({ "description": "c" })
            ]
        );
    }
}
