//! The state-change protocol of Pact's verifiers: `{"state", "params", "action"}` as a JSON
//! body, or the same as a query string.

use serde_json::{Map, Value};

use super::StateAction;
use crate::util::EndpointError;

fn bad(message: impl Into<String>) -> EndpointError {
    EndpointError::bad(message)
}

/// A state-change request as the Pact protocol defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// The state text.
    pub state: String,
    /// The V3 params (empty for V1/V2).
    pub params: Map<String, Value>,
    /// Setup or teardown.
    pub action: StateAction,
}

/// Parses a state-change request from a JSON body, or from the query string when the body is
/// empty. In the query form every parameter other than `state` and `action` is a param.
pub fn parse_state_change(body: &[u8], query: Option<&str>) -> Result<StateChange, EndpointError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return parse_query(query.unwrap_or_default());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|err| bad(format!("state-change body is not valid JSON: {err}")))?;
    let Value::Object(mut object) = value else {
        return Err(bad(
            "state-change body must be a JSON object like {\"state\": \"...\", \"params\": {}, \"action\": \"setup\"}",
        ));
    };
    let state = match object.remove("state") {
        Some(Value::String(state)) => state,
        Some(other) => return Err(bad(format!("`state` must be a string, got {other}"))),
        None => return Err(bad("state-change body has no `state`")),
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params,
        Some(other) => return Err(bad(format!("`params` must be a JSON object, got {other}"))),
    };
    let action = match object.remove("action") {
        None | Some(Value::Null) => StateAction::Setup,
        Some(Value::String(action)) => parse_action(&action)?,
        Some(other) => return Err(bad(format!("`action` must be \"setup\" or \"teardown\", got {other}"))),
    };
    Ok(StateChange { state, params, action })
}

fn parse_query(query: &str) -> Result<StateChange, EndpointError> {
    let mut state = None;
    let mut action = StateAction::Setup;
    let mut params = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "state" if state.is_some() => {
                return Err(bad("the query string names `state` more than once: send one state per request"))
            }
            "state" => state = Some(value.into_owned()),
            "action" => action = parse_action(&value)?,
            _ => {
                params.insert(key.into_owned(), Value::String(value.into_owned()));
            }
        }
    }
    let state = state.ok_or_else(|| bad("state-change request has no `state` in its JSON body or query string"))?;
    Ok(StateChange { state, params, action })
}

fn parse_action(action: &str) -> Result<StateAction, EndpointError> {
    match action {
        "setup" => Ok(StateAction::Setup),
        "teardown" => Ok(StateAction::Teardown),
        other => Err(bad(format!("unknown action `{other}`: use \"setup\" or \"teardown\""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_body_and_query_forms() {
        let change =
            parse_state_change(br#"{"state":"user 1 exists","params":{"id":1},"action":"teardown"}"#, None).unwrap();
        assert_eq!(change.state, "user 1 exists");
        assert_eq!(change.action, StateAction::Teardown);
        assert_eq!(change.params.get("id"), Some(&json!(1)));
        let change = parse_state_change(b"", Some("state=user%20exists&action=setup&id=7")).unwrap();
        assert_eq!(change.state, "user exists");
        assert_eq!(change.params.get("id"), Some(&json!("7")));
    }

    #[test]
    fn rejects_bad_requests_with_400() {
        for (body, query) in [
            (&b"{not json"[..], None),
            (&b"{\"params\":{}}"[..], None),
            (&b"{\"state\":\"s\",\"action\":\"explode\"}"[..], None),
            (&b"[]"[..], None),
            (&b""[..], Some("action=setup")),
            (&b""[..], Some("state=a&state=b")),
        ] {
            let error = parse_state_change(body, query).unwrap_err();
            assert_eq!(error.status, 400, "{error:?}");
        }
    }
}
