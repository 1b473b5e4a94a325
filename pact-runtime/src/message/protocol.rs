//! The message protocol of Pact's verifiers: what a message request looks like.

use serde_json::{Map, Value};

use super::{MessageRequest, MessageState};
use crate::util::EndpointError;

/// Parses a message request as Pact verifiers send it: `{"description", "providerStates",
/// "request"}`. Params are merged from the states in order.
pub fn parse_message_request(body: &[u8]) -> Result<MessageRequest, EndpointError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| EndpointError::bad(format!("message request body is not valid JSON: {err}")))?;
    message_request(value)
}

/// A message request from its JSON, as [`parse_message_request`] reads it once parsed.
pub fn message_request(value: Value) -> Result<MessageRequest, EndpointError> {
    let bad = EndpointError::bad;
    let Value::Object(mut object) = value else {
        return Err(bad(
            "message request body must be a JSON object like {\"description\": \"...\", \"providerStates\": []}"
                .to_string(),
        ));
    };
    let description = match object.remove("description") {
        Some(Value::String(description)) => description,
        Some(other) => return Err(bad(format!("`description` must be a string, got {other}"))),
        None => return Err(bad("message request body has no `description`".to_string())),
    };
    let provider_states: Vec<MessageState> = match object.remove("providerStates") {
        None | Some(Value::Null) => Vec::new(),
        Some(states) => serde_json::from_value(states)
            .map_err(|err| bad(format!("`providerStates` must be a list of {{\"name\", \"params\"}}: {err}")))?,
    };
    let mut params = Map::new();
    for state in &provider_states {
        params.extend(state.params.iter().map(|(key, value)| (key.clone(), value.clone())));
    }
    let request = object.remove("request").filter(|request| !request.is_null());
    Ok(MessageRequest { description, provider_states, params, request })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_verifier_protocol() {
        let request = parse_message_request(
            br#"{"description":"d","providerStates":[{"name":"a","params":{"id":1}},{"name":"b","params":{"id":2,"x":3}}]}"#,
        )
        .unwrap();
        assert_eq!(request.description, "d");
        assert_eq!(request.provider_states.len(), 2);
        assert_eq!(Value::Object(request.params), json!({"id": 2, "x": 3}));
        assert_eq!(parse_message_request(b"{}").unwrap_err().status, 400);
        assert_eq!(parse_message_request(b"nope").unwrap_err().status, 400);
    }
}
