//! Rack-style nested query strings (`q[][pacticipant]=Foo&q[][version]=1&latest=true`), which the
//! Ruby clients send to `/matrix` and the GET form of `for-verification`.

use serde_json::{Map, Value};

/// Parses a query string into JSON: `a=1` → `{"a": "1"}`, `a[]=1` → `{"a": ["1"]}`,
/// `a[][b]=1&a[][c]=2` → `{"a": [{"b": "1", "c": "2"}]}` (a repeated child key starts a new
/// object, as in Rack), `a[b]=1` → `{"a": {"b": "1"}}`.
pub(crate) fn parse_nested(query: &str) -> Map<String, Value> {
    let mut params = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        normalize(&mut params, &key, Value::String(value.into_owned()));
    }
    params
}

/// Splits `name` into its first key and the bracketed rest, the way Rack does.
fn split_key(name: &str) -> (String, String) {
    let trimmed = name.trim_start_matches(['[', ']']);
    let end = trimmed.find(['[', ']']).unwrap_or(trimmed.len());
    let key = &trimmed[..end];
    let rest = trimmed[end..].strip_prefix(']').unwrap_or(&trimmed[end..]);
    // Rack skips any closing brackets directly after the key.
    let rest = if name.starts_with('[') { rest.trim_start_matches(']') } else { rest };
    (key.to_string(), rest.to_string())
}

fn normalize(params: &mut Map<String, Value>, name: &str, value: Value) {
    let (key, after) = split_key(name);
    if key.is_empty() {
        return;
    }
    if after.is_empty() {
        params.insert(key, value);
    } else if after == "[" {
        params.insert(name.to_string(), value);
    } else if after == "[]" {
        match params.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(items) => items.push(value),
            other => *other = Value::Array(vec![value]),
        }
    } else if let Some(child) = after.strip_prefix("[]") {
        let simple = child.strip_prefix('[').and_then(|c| c.strip_suffix(']')).filter(|c| !c.contains(['[', ']']));
        let child_key = simple.unwrap_or(child).to_string();
        let entry = params.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        let items = entry.as_array_mut().expect("just made an array");
        let (child_first, _) = split_key(&child_key);
        match items.last_mut() {
            Some(Value::Object(last)) if !last.contains_key(&child_first) => normalize(last, &child_key, value),
            _ => {
                let mut fresh = Map::new();
                normalize(&mut fresh, &child_key, value);
                items.push(Value::Object(fresh));
            }
        }
    } else {
        let entry = params.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        normalize(entry.as_object_mut().expect("just made an object"), &after, value);
    }
}

/// `snake_case` → `camelCase`, for the GET form of `for-verification` (which takes the request's
/// fields in snake case).
pub(crate) fn camelize(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Camelises every object key, recursively.
pub(crate) fn camelize_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (camelize(&k), camelize_keys(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(camelize_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_rack_style_arrays_of_hashes() {
        let parsed =
            parse_nested("q[][pacticipant]=Foo&q[][version]=1&q[][pacticipant]=Bar&q[][latest]=true&latestby=cvpv");
        assert_eq!(
            Value::Object(parsed),
            json!({
                "q": [{"pacticipant": "Foo", "version": "1"}, {"pacticipant": "Bar", "latest": "true"}],
                "latestby": "cvpv"
            })
        );
    }

    #[test]
    fn parses_encoded_brackets_arrays_and_nested_hashes() {
        let parsed = parse_nested("q%5B%5D%5Bpacticipant%5D=A+B&tags[]=x&tags[]=y&a[b]=c");
        assert_eq!(Value::Object(parsed), json!({"q": [{"pacticipant": "A B"}], "tags": ["x", "y"], "a": {"b": "c"}}));
    }

    #[test]
    fn camelizes_snake_case() {
        assert_eq!(camelize("consumer_version_selectors"), "consumerVersionSelectors");
        assert_eq!(camelize("latest"), "latest");
    }
}
