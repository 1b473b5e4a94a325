//! A stable identity for an interaction, for tools that read reports.

use std::fmt::Write as _;
use std::panic::RefUnwindSafe;

use pact_models::interaction::Interaction;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The interaction's V4 `key` when the pact has one; otherwise the first 16 hex digits of the
/// SHA-256 of its description, provider states (with params) and request, so the same
/// interaction gets the same key in every run, on every machine. `pact_models`' own computed key
/// uses `DefaultHasher`, which Rust does not promise to keep stable, so it is not used.
pub(crate) fn interaction_key(interaction: &(dyn Interaction + Send + Sync + RefUnwindSafe)) -> String {
    // Only V4 interactions carry a key; `as_v4` would copy a V3 one whole to find none.
    if let Some(key) = interaction.is_v4().then(|| interaction.as_v4()).flatten().and_then(|v4| v4.key()) {
        if !key.is_empty() {
            return key;
        }
    }
    let states: Vec<Value> = interaction
        .provider_states()
        .iter()
        .map(|state| json!({ "name": state.name, "params": state.params }))
        .collect();
    let request = if let Some(http) = interaction.as_v4_http() {
        http.request.to_json()
    } else if let Some(sync) = interaction.as_v4_sync_message() {
        sync.request.to_json()
    } else {
        Value::Null
    };
    let identity = json!({ "description": interaction.description(), "providerStates": states, "request": request });
    let mut text = String::new();
    canonical(&identity, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    let mut key = String::with_capacity(16);
    for byte in digest.iter().take(8) {
        let _ = write!(key, "{byte:02x}");
    }
    key
}

/// Writes JSON with object keys sorted, so the text does not depend on map order.
pub(crate) fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}:", Value::from(key.as_str()));
                canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use pact_models::pact::load_pact_from_json;
    use serde_json::json;

    use super::interaction_key;

    fn keys(pact: serde_json::Value) -> Vec<String> {
        let pact = load_pact_from_json("test", &pact).unwrap();
        pact.interactions().iter().map(|interaction| interaction_key(interaction.as_ref())).collect()
    }

    #[test]
    fn a_v4_key_is_kept_and_others_hash_description_states_and_request() {
        let v4 = json!({
            "consumer": { "name": "C" }, "provider": { "name": "P" },
            "interactions": [
                { "type": "Synchronous/HTTP", "key": "given-key", "description": "a", "request": { "method": "GET", "path": "/" }, "response": { "status": 200 } },
                { "type": "Synchronous/HTTP", "description": "a", "request": { "method": "GET", "path": "/" }, "response": { "status": 200 } }
            ],
            "metadata": { "pactSpecification": { "version": "4.0" } }
        });
        let v4_keys = keys(v4);
        assert_eq!(v4_keys[0], "given-key");
        assert_eq!(v4_keys[1].len(), 16, "{v4_keys:?}");
        let v3 = |path: &str, state: &str, status: u16| {
            json!({
                "consumer": { "name": "C" }, "provider": { "name": "P" },
                "interactions": [{ "description": "a", "providerStates": [{ "name": state, "params": { "id": 1, "b": [1, 2] } }],
                    "request": { "method": "GET", "path": path }, "response": { "status": status } }],
                "metadata": { "pactSpecification": { "version": "3.0.0" } }
            })
        };
        let key = &keys(v3("/", "s", 200))[0];
        // Pinned: the same interaction has this key on every machine and in every run.
        assert_eq!(key, "3f70da963b9c13c8");
        assert_eq!(key.len(), 16);
        assert_eq!(&keys(v3("/", "s", 500))[0], key, "the response is not part of the identity");
        assert_ne!(&keys(v3("/other", "s", 200))[0], key);
        assert_ne!(&keys(v3("/", "t", 200))[0], key);
    }
}
