//! The suite's interaction tables turned into Pact interactions, and pact files written in the
//! feature's specification version.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use pact_models::bodies::OptionalBody;
use pact_models::content_types::ContentType;
use pact_models::message::Message;
use pact_models::message_pact::MessagePact;
use pact_models::pact::Pact;
use pact_models::provider_states::ProviderState;
use pact_models::query_strings::parse_query_string;
use pact_models::request::Request;
use pact_models::response::Response;
use pact_models::sync_interaction::RequestResponseInteraction;
use pact_models::sync_pact::RequestResponsePact;
use pact_models::v4::interaction::V4Interaction;
use pact_models::v4::pact::V4Pact;
use pact_models::{Consumer, PactSpecification, Provider};
use serde_json::{Map, Value};

use crate::fixtures::{self, Body};

/// One row of a suite table, by column name. Empty cells are absent.
pub type Row = HashMap<String, String>;

/// The rows of a table whose first row names the columns.
pub fn rows(table: &[Vec<String>]) -> Vec<Row> {
    let Some((header, rows)) = table.split_first() else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            header
                .iter()
                .zip(row)
                .filter(|(_, value)| !value.trim().is_empty())
                .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
                .collect()
        })
        .collect()
}

/// The spec version a feature belongs to, from its folder (`features/V3/...`); V4 otherwise.
pub fn spec_of(feature_path: &Path) -> PactSpecification {
    for component in feature_path.components().rev() {
        match component.as_os_str().to_str() {
            Some("V1") => return PactSpecification::V1,
            Some("V2") => return PactSpecification::V2,
            Some("V3") => return PactSpecification::V3,
            Some("V4") => return PactSpecification::V4,
            _ => {}
        }
    }
    PactSpecification::V4
}

/// An `OptionalBody` for `body`, its content type the fixture's or else `fallback`.
fn optional_body(body: &Body, fallback: Option<&str>) -> (OptionalBody, Option<String>) {
    let content_type = body.content_type.clone().or_else(|| fallback.map(str::to_string));
    let parsed = content_type.as_deref().and_then(|content_type| ContentType::parse(content_type).ok());
    (OptionalBody::Present(body.bytes.clone().into(), parsed, None), content_type)
}

fn set_header(headers: &mut Option<HashMap<String, Vec<String>>>, name: &str, value: &str) {
    let headers = headers.get_or_insert_with(HashMap::new);
    headers.retain(|key, _| !key.eq_ignore_ascii_case(name));
    headers.insert(name.to_string(), vec![value.to_string()]);
}

fn header<'a>(headers: &'a Option<HashMap<String, Vec<String>>>, name: &str) -> Option<&'a str> {
    headers
        .as_ref()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, values)| values.first())
        .map(String::as_str)
}

/// Sets a response body: the fixture's content type, else the part's, else `text/plain`.
fn set_response_body(response: &mut Response, value: &str, fixtures: &Path) -> anyhow::Result<()> {
    let body = fixtures::body(value, fixtures)?;
    let existing = header(&response.headers, "Content-Type").map(str::to_string);
    let (optional, content_type) = optional_body(&body, Some(existing.as_deref().unwrap_or("text/plain")));
    response.body = optional;
    if let Some(content_type) = content_type {
        set_header(&mut response.headers, "Content-Type", &content_type);
    }
    Ok(())
}

/// An interaction from a row of "the following HTTP interactions have been defined".
pub fn http_interaction(row: &Row, index: usize, fixtures: &Path) -> anyhow::Result<RequestResponseInteraction> {
    let number = row.get("No").cloned().unwrap_or_else(|| (index + 1).to_string());
    let mut request = Request {
        method: row.get("method").cloned().unwrap_or_else(|| "GET".into()).to_uppercase(),
        path: row.get("path").cloned().unwrap_or_else(|| "/".into()),
        query: row.get("query").and_then(|query| parse_query_string(query)),
        ..Request::default()
    };
    for (name, value) in row.get("headers").map(|h| fixtures::headers(h)).unwrap_or_default() {
        set_header(&mut request.headers, &name, &value);
    }
    if let Some(value) = row.get("body") {
        let body = fixtures::body(value, fixtures)?;
        let (optional, content_type) = optional_body(&body, Some("text/plain"));
        request.body = optional;
        if let Some(content_type) = content_type {
            if header(&request.headers, "Content-Type").is_none() {
                set_header(&mut request.headers, "Content-Type", &content_type);
            }
        }
    }
    let mut response = Response {
        status: match row.get("response") {
            Some(status) => status.parse().with_context(|| format!("response status `{status}`"))?,
            None => 200,
        },
        ..Response::default()
    };
    apply_response(&mut response, row, fixtures)?;
    Ok(RequestResponseInteraction {
        description: row.get("description").cloned().unwrap_or_else(|| format!("Interaction {number}")),
        request,
        response,
        ..RequestResponseInteraction::default()
    })
}

/// Response columns of a row: `response headers`, `response content`, `response body`,
/// `response matching rules`.
fn apply_response(response: &mut Response, row: &Row, fixtures: &Path) -> anyhow::Result<()> {
    for (name, value) in row.get("response headers").map(|h| fixtures::headers(h)).unwrap_or_default() {
        set_header(&mut response.headers, &name, &value);
    }
    if let Some(content_type) = row.get("response content") {
        set_header(&mut response.headers, "Content-Type", content_type);
    }
    if let Some(value) = row.get("response body") {
        set_response_body(response, value, fixtures)?;
    }
    if let Some(name) = row.get("response matching rules") {
        response.matching_rules = fixtures::matching_rules(name, fixtures)?;
    }
    Ok(())
}

/// Applies "with the following changes" to what the provider answers. The columns are the
/// response columns of the interaction table; `status`, `headers` and `body` are accepted for
/// them too, as older and V4 versions of the suite write them.
pub fn apply_changes(interaction: &mut RequestResponseInteraction, row: &Row, fixtures: &Path) -> anyhow::Result<()> {
    let response = &mut interaction.response;
    if let Some(status) = row.get("response").or_else(|| row.get("status")) {
        response.status = status.parse().with_context(|| format!("response status `{status}`"))?;
    }
    for (name, value) in
        row.get("response headers").or_else(|| row.get("headers")).map(|h| fixtures::headers(h)).unwrap_or_default()
    {
        set_header(&mut response.headers, &name, &value);
    }
    if let Some(content_type) = row.get("response content") {
        set_header(&mut response.headers, "Content-Type", content_type);
    }
    if let Some(value) = row.get("response body").or_else(|| row.get("body")) {
        set_response_body(response, value, fixtures)?;
    }
    let known = ["response", "status", "response headers", "headers", "response content", "response body", "body"];
    if let Some(unknown) = row.keys().find(|key| !known.contains(&key.as_str())) {
        bail!("the harness does not know the change column `{unknown}`");
    }
    Ok(())
}

/// A provider state from a table's `State Name` and `Parameters` (JSON) cells.
pub fn provider_state(name: &str, parameters: Option<&str>) -> anyhow::Result<ProviderState> {
    let params = match parameters {
        None => HashMap::new(),
        Some(json) => match serde_json::from_str::<Value>(json).with_context(|| format!("parameters `{json}`"))? {
            Value::Object(map) => map.into_iter().collect(),
            other => bail!("parameters must be a JSON object, got {other}"),
        },
    };
    Ok(ProviderState { name: name.to_string(), params })
}

/// What a pact file to verify holds besides the interaction: V4 pending flag and comments.
#[derive(Debug, Clone, Default)]
pub struct V4Extras {
    /// The interaction is pending.
    pub pending: bool,
    /// `text` comments.
    pub text_comments: Vec<String>,
    /// The `testname` comment.
    pub test_name: Option<String>,
}

impl V4Extras {
    fn comments(&self) -> HashMap<String, Value> {
        let mut comments = HashMap::new();
        if !self.text_comments.is_empty() {
            comments.insert("text".to_string(), Value::from(self.text_comments.clone()));
        }
        if let Some(name) = &self.test_name {
            comments.insert("testname".to_string(), Value::from(name.clone()));
        }
        comments
    }

    fn is_empty(&self) -> bool {
        !self.pending && self.text_comments.is_empty() && self.test_name.is_none()
    }
}

/// A pact JSON document with one HTTP interaction, in `spec`'s format.
pub fn http_pact(
    consumer: &str,
    provider: &str,
    interaction: &RequestResponseInteraction,
    extras: &V4Extras,
    spec: PactSpecification,
) -> anyhow::Result<Value> {
    if spec == PactSpecification::V4 {
        let mut http = pact_models::interaction::Interaction::as_v4_http(interaction)
            .ok_or_else(|| anyhow!("cannot convert the interaction to V4"))?;
        http.pending = extras.pending;
        http.comments = extras.comments();
        let pact = V4Pact {
            consumer: Consumer { name: consumer.into() },
            provider: Provider { name: provider.into() },
            interactions: vec![http.boxed_v4()],
            ..V4Pact::default()
        };
        return pact.to_json(PactSpecification::V4);
    }
    if !extras.is_empty() {
        bail!("pending interactions and comments need a V4 pact, but this feature is {spec}");
    }
    let pact = RequestResponsePact {
        consumer: Consumer { name: consumer.into() },
        provider: Provider { name: provider.into() },
        interactions: vec![interaction.clone()],
        specification_version: spec,
        ..RequestResponsePact::default()
    };
    pact.to_json(spec)
}

/// A message interaction: description, contents (fixture notation), metadata and rules.
#[derive(Debug, Clone, Default)]
pub struct MessageDef {
    /// The message's description (the suite's message name).
    pub description: String,
    /// The contents.
    pub body: Option<Body>,
    /// Metadata values (JSON).
    pub metadata: Map<String, Value>,
    /// Matching rules fragment, if any.
    pub matching_rules: Option<pact_models::matchingrules::MatchingRules>,
    /// Provider states.
    pub states: Vec<ProviderState>,
}

/// Metadata from a `key | value` table or `Origin=AXP-1000; TagData=JSON: {...}` text.
pub fn metadata_value(value: &str) -> Value {
    let value = value.trim();
    match value.strip_prefix("JSON:") {
        Some(json) => serde_json::from_str(json.trim()).unwrap_or_else(|_| Value::String(json.trim().to_string())),
        None => Value::String(value.to_string()),
    }
}

/// `Origin=AXP-1000; TagData=JSON: { "ID": "123" }` as metadata.
pub fn metadata_list(text: &str) -> Map<String, Value> {
    text.split(';')
        .filter_map(|entry| entry.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), metadata_value(value)))
        .collect()
}

/// A pact JSON document with one message, in `spec`'s format (V3 message pact, or V4).
pub fn message_pact(
    consumer: &str,
    provider: &str,
    message: &MessageDef,
    extras: &V4Extras,
    spec: PactSpecification,
) -> anyhow::Result<Value> {
    let contents = match &message.body {
        Some(body) => optional_body(body, Some("text/plain")).0,
        None => OptionalBody::Missing,
    };
    let mut metadata: HashMap<String, Value> = message.metadata.clone().into_iter().collect();
    // A V3 message pact carries the content type in the metadata.
    if let Some(content_type) = message.body.as_ref().and_then(|body| body.content_type.clone()) {
        if !metadata
            .keys()
            .any(|key| key.eq_ignore_ascii_case("contentType") || key.eq_ignore_ascii_case("content-type"))
        {
            metadata.insert("contentType".to_string(), Value::String(content_type));
        }
    }
    let v3 = Message {
        description: message.description.clone(),
        provider_states: message.states.clone(),
        contents,
        metadata,
        matching_rules: message.matching_rules.clone().unwrap_or_default(),
        ..Message::default()
    };
    if spec == PactSpecification::V4 {
        let mut asynchronous = pact_models::interaction::Interaction::as_v4_async_message(&v3)
            .ok_or_else(|| anyhow!("cannot convert the message to V4"))?;
        asynchronous.pending = extras.pending;
        asynchronous.comments = extras.comments();
        let pact = V4Pact {
            consumer: Consumer { name: consumer.into() },
            provider: Provider { name: provider.into() },
            interactions: vec![asynchronous.boxed_v4()],
            ..V4Pact::default()
        };
        return pact.to_json(PactSpecification::V4);
    }
    if !extras.is_empty() {
        bail!("pending interactions and comments need a V4 pact, but this feature is {spec}");
    }
    // Message pacts start at V3.
    let spec = PactSpecification::V3;
    let pact = MessagePact {
        consumer: Consumer { name: consumer.into() },
        provider: Provider { name: provider.into() },
        messages: vec![v3],
        specification_version: spec,
        ..MessagePact::default()
    };
    pact.to_json(spec)
}
