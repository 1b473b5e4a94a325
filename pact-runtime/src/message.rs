//! Message pacts: `#[message]` functions produce the messages a provider publishes, and the
//! generated endpoint serves them in the protocol the standard Pact verifiers use.
//!
//! # The types
//!
//! - [`Message`]: what a producer returns, the contents with their content type, and metadata.
//! - [`MessageRequest`]: what a producer may take: the description, the interaction's provider
//!   states and their merged params (and, for a V4 synchronous message, its request).
//! - [`Json`]: returns any `Serialize` value as a JSON message.
//! - [`IntoMessage`] and [`FromMessageRequest`]: the traits behind return values and arguments.
//! - [`MessageRegistry`]: the `#[message]` functions that serve one provider.
//!
//! # The protocol
//!
//! The generated endpoint (see [`crate::state_endpoint`]) serves messages at
//! [`DEFAULT_MESSAGE_PATH`], `/_pact/messages`, on the state endpoint's port, as Pact's
//! verifiers expect of a message provider:
//!
//! | request | answer |
//! |---|---|
//! | `POST /_pact/messages` with `{"description": "...", "providerStates": [{"name": "...", "params": {...}}]}` (and `"request"` for a synchronous message) | `200`, the message as the body with its `Content-Type`, and its metadata as base64 JSON in the `Pact-Message-Metadata` header |
//! | no function produces the description (the message lists the closest ones and a stub to paste), two do, or it failed, panicked or timed out | `422 {"error": ...}` |
//! | malformed JSON, no `description` | `400 {"error": ...}` |
//!
//! The endpoint does not set the states up: a verifier POSTs them to the state path first, as
//! for HTTP interactions. An external verifier is pointed at it with a `message` transport:
//!
//! ```
//! use pact_verifier::{ProviderInfo, ProviderTransport};
//!
//! # let port = 8080;
//! let provider = ProviderInfo {
//!     name: "OrderService".to_string(),
//!     host: "127.0.0.1".to_string(),
//!     transports: vec![ProviderTransport {
//!         transport: "message".to_string(),
//!         port: Some(port), // the state endpoint's port
//!         path: Some(pact_runtime::message::DEFAULT_MESSAGE_PATH.to_string()),
//!         scheme: Some("http".to_string()),
//!     }],
//!     ..ProviderInfo::default()
//! };
//! # let _ = provider;
//! ```

use std::fmt::{self, Display, Write as _};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Duration;

use futures::FutureExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::registry::missing::{alike, content_words, edit_distance, function_name, normalise};
use crate::registry::SourceLocation;
use crate::state_endpoint::StateChangeError;

/// The path the generated endpoint serves messages at.
pub const DEFAULT_MESSAGE_PATH: &str = "/_pact/messages";

/// The header that carries a message's metadata, as base64-encoded JSON.
pub const METADATA_HEADER: &str = "Pact-Message-Metadata";

/// How many producers "did you mean" lists at most.
const MAX_SUGGESTIONS: usize = 3;

/// A message a `#[message]` function produces: contents, their content type, and metadata.
///
/// ```
/// use pact_runtime::Message;
/// use serde_json::json;
///
/// let created = Message::json(json!({ "id": 1, "name": "pizza" }))
///     .with_metadata("topic", "products")
///     .with_metadata("version", 2);
/// assert_eq!(created.content_type(), "application/json");
/// assert_eq!(created.metadata()["topic"], "products");
///
/// let greeting = Message::text("hello");
/// assert_eq!(greeting.content_type(), "text/plain");
///
/// let image = Message::bytes("image/png", vec![0x89, b'P', b'N', b'G']);
/// assert_eq!(image.contents(), &[0x89, b'P', b'N', b'G']);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    contents: Vec<u8>,
    content_type: String,
    metadata: Map<String, Value>,
}

impl Message {
    /// A JSON message (`application/json`). For any `Serialize` value, return [`Json`] instead.
    pub fn json(value: impl Into<Value>) -> Message {
        Message::bytes("application/json", value.into().to_string())
    }

    /// A text message (`text/plain`).
    pub fn text(text: impl Into<String>) -> Message {
        Message::bytes("text/plain", text.into())
    }

    /// A message of any content type, e.g. `application/xml` or `application/octet-stream`.
    pub fn bytes(content_type: impl Into<String>, contents: impl Into<Vec<u8>>) -> Message {
        Message { contents: contents.into(), content_type: content_type.into(), metadata: Map::new() }
    }

    /// Adds (or replaces) a metadata entry, such as the topic or a routing key. Pacts compare
    /// metadata with their matching rules, or by equality.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Message {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Replaces the content type, e.g. `application/vnd.example+json` for a JSON message.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Message {
        self.content_type = content_type.into();
        self
    }

    /// The contents, as sent.
    pub fn contents(&self) -> &[u8] {
        &self.contents
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The metadata.
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }
}

/// Returns any `Serialize` value as a JSON message (`application/json`).
///
/// ```
/// use pact_runtime::{message, message::Json};
///
/// #[derive(serde::Serialize)]
/// struct ProductCreated { id: u64, name: String }
///
/// #[message("a product created event")]
/// fn product_created() -> Json<ProductCreated> {
///     Json(ProductCreated { id: 10, name: "pizza".into() })
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

/// An error from producing a message. Its text is what users see in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageError(pub String);

impl Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MessageError {}

/// Return types of `#[message]` functions.
///
/// Implemented for [`Message`], `serde_json::Value` (a JSON message), [`Json`] around any
/// `Serialize` value, `String` (a text message), and `Result<T, E: Display>` of any of these
/// (an `Err` fails the interaction with its message).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a `#[message]` function",
    note = "return `pact_runtime::Message` (`Message::json(..)`, `Message::text(..)`, `Message::bytes(..)`), a `serde_json::Value`, `pact_runtime::message::Json(..)` around a `Serialize` value, or a `Result` of one of these"
)]
pub trait IntoMessage {
    /// Converts the return value into the message.
    fn into_message(self) -> Result<Message, MessageError>;
}

impl IntoMessage for Message {
    fn into_message(self) -> Result<Message, MessageError> {
        Ok(self)
    }
}

impl IntoMessage for Value {
    fn into_message(self) -> Result<Message, MessageError> {
        Ok(Message::json(self))
    }
}

impl IntoMessage for String {
    fn into_message(self) -> Result<Message, MessageError> {
        Ok(Message::text(self))
    }
}

impl<T: Serialize> IntoMessage for Json<T> {
    fn into_message(self) -> Result<Message, MessageError> {
        serde_json::to_value(&self.0)
            .map(Message::json)
            .map_err(|err| MessageError(format!("could not serialise the message: {err}")))
    }
}

impl<T: IntoMessage, E: Display> IntoMessage for Result<T, E> {
    fn into_message(self) -> Result<Message, MessageError> {
        self.map_err(|err| MessageError(err.to_string()))?.into_message()
    }
}

/// One provider state of the interaction whose message is produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct MessageState {
    /// The state text.
    pub name: String,
    /// Its params (empty for V1/V2 states).
    #[serde(default)]
    pub params: Map<String, Value>,
}

/// What a `#[message]` function may learn about the message it produces. Take it as an
/// argument of this type.
///
/// ```
/// use pact_runtime::{message, Message, MessageRequest};
///
/// #[message("an order created event")]
/// fn order_created(request: MessageRequest) -> Message {
///     let id = request.params.get("id").cloned().unwrap_or(1.into());
///     Message::json(serde_json::json!({ "id": id, "states": request.provider_states.len() }))
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageRequest {
    /// The interaction's description, as the pact writes it.
    pub description: String,
    /// The interaction's provider states, in order. They are set up before the message is
    /// produced (the state functions run first), exactly as for HTTP interactions.
    pub provider_states: Vec<MessageState>,
    /// The params of every state, merged in order (a later state's value wins).
    pub params: Map<String, Value>,
    /// For a V4 synchronous message, its request as the verifier sends it (`{"contents": ...,
    /// "metadata": ...}` in Pact's JSON form); `None` for asynchronous messages.
    pub request: Option<Value>,
}

/// Types an argument of a `#[message]` function can have: [`MessageRequest`], or anything
/// deserialisable from the merged params of the interaction's states, such as
/// `serde_json::Map<String, Value>` or your own `#[derive(Deserialize)]` struct.
#[diagnostic::on_unimplemented(
    message = "`#[message]` argument type `{Self}` cannot be built from the message request",
    note = "take `pact_runtime::MessageRequest`, a `serde_json::Map<String, Value>` of the states' params, or a type that implements `serde::Deserialize`"
)]
pub trait FromMessageRequest: Sized {
    /// Builds the argument.
    fn from_message_request(request: &MessageRequest) -> Result<Self, String>;
}

impl FromMessageRequest for MessageRequest {
    fn from_message_request(request: &MessageRequest) -> Result<Self, String> {
        Ok(request.clone())
    }
}

impl<T: DeserializeOwned> FromMessageRequest for T {
    fn from_message_request(request: &MessageRequest) -> Result<Self, String> {
        serde_json::from_value(Value::Object(request.params.clone())).map_err(|err| err.to_string())
    }
}

/// Resolves the argument `name` (used by the macro expansion).
pub fn message_argument<T: FromMessageRequest>(request: &MessageRequest, name: &str) -> Result<T, MessageError> {
    T::from_message_request(request).map_err(|err| {
        MessageError(format!(
            "message `{}`: cannot build argument `{name}` from params {}: {err}",
            request.description,
            Value::Object(request.params.clone())
        ))
    })
}

/// The future a type-erased message producer returns.
pub type MessageFuture = Pin<Box<dyn Future<Output = Result<Message, MessageError>> + Send>>;

/// One `#[message]` function, as the macro registers it.
#[derive(Debug)]
pub struct MessageRegistration {
    /// The message description it produces, as the pact writes it.
    pub description: &'static str,
    /// `Some(name)` scopes the producer to one provider.
    pub provider: Option<&'static str>,
    /// The annotated function's name.
    pub function: &'static str,
    /// Where it was written.
    pub location: SourceLocation,
    /// Calls the function with arguments resolved from a [`MessageRequest`].
    pub handler: fn(MessageRequest) -> MessageFuture,
}

inventory::collect!(MessageRegistration);

/// Why no single producer serves a description.
#[derive(Debug, Clone)]
pub enum MessageLookupError {
    /// No producer serves it.
    Missing,
    /// More than one producer serves it at the same scope.
    Ambiguous(Vec<&'static MessageRegistration>),
}

/// The `#[message]` functions that serve one provider.
#[derive(Debug, Clone, Default)]
pub struct MessageRegistry {
    entries: Vec<&'static MessageRegistration>,
    /// Producers scoped to other providers: never served, only suggested.
    others: Vec<&'static MessageRegistration>,
}

impl MessageRegistry {
    /// Every producer in the binary that serves `provider`: those scoped to it and the
    /// unscoped ones.
    pub fn for_provider(provider: &str) -> MessageRegistry {
        Self::from_registrations(provider, inventory::iter::<MessageRegistration>)
    }

    /// Builds a registry from explicit registrations, for tests and tools.
    pub fn from_registrations(
        provider: &str,
        registrations: impl IntoIterator<Item = &'static MessageRegistration>,
    ) -> MessageRegistry {
        let (entries, others) = registrations
            .into_iter()
            .partition(|registration| registration.provider.is_none_or(|scope| scope == provider));
        MessageRegistry { entries, others }
    }

    /// All producers in this registry.
    pub fn registrations(&self) -> impl Iterator<Item = &'static MessageRegistration> + '_ {
        self.entries.iter().copied()
    }

    /// The producer of `description`: its text equals the description (runs of whitespace
    /// count as one space); a producer scoped to the provider wins over an unscoped one.
    pub fn lookup(&self, description: &str) -> Result<&'static MessageRegistration, MessageLookupError> {
        let wanted = squash(description);
        let mut found: Vec<&'static MessageRegistration> =
            self.entries.iter().copied().filter(|registration| squash(registration.description) == wanted).collect();
        if found.iter().any(|registration| registration.provider.is_some()) {
            found.retain(|registration| registration.provider.is_some());
        }
        match found.len() {
            0 => Err(MessageLookupError::Missing),
            1 => Ok(found[0]),
            _ => Err(MessageLookupError::Ambiguous(found)),
        }
    }

    /// Every pair of producers of one description at the same scope.
    pub fn conflicts(&self) -> Vec<(&'static MessageRegistration, &'static MessageRegistration)> {
        let mut conflicts = Vec::new();
        for (i, first) in self.entries.iter().enumerate() {
            for second in &self.entries[i + 1..] {
                if first.provider == second.provider && squash(first.description) == squash(second.description) {
                    conflicts.push((*first, *second));
                }
            }
        }
        conflicts
    }

    /// Help for a description no producer serves; `None` when one does (or several do).
    pub fn missing(&self, description: &str) -> Option<MissingMessageHelp> {
        match self.lookup(description) {
            Err(MessageLookupError::Missing) => Some(MissingMessageHelp {
                description: description.to_string(),
                suggestions: self.suggestions(description),
                stub: stub(description),
            }),
            Ok(_) | Err(MessageLookupError::Ambiguous(_)) => None,
        }
    }

    /// The producers closest to `description`, best first: same text for another provider or
    /// in another letter case, then texts a few edits away or sharing most of their words.
    pub fn suggestions(&self, description: &str) -> Vec<String> {
        let wanted = normalise(description);
        let wanted_words = content_words(&wanted);
        let mut ranked: Vec<(usize, usize, String)> = Vec::new();
        let candidates = self.entries.iter().map(|registration| (*registration, true));
        let others = self.others.iter().map(|registration| (*registration, false));
        for (registration, same_provider) in candidates.chain(others) {
            let shown =
                format!("`{}` ({} at {})", registration.description, registration.function, registration.location);
            let text = normalise(registration.description);
            let rank = if text == wanted && !same_provider {
                Some((
                    0,
                    0,
                    format!("{shown}: it serves provider `{}` only", registration.provider.unwrap_or_default()),
                ))
            } else if text == wanted {
                Some((0, 0, format!("{shown}: the texts differ in letter case")))
            } else if same_provider {
                let distance = edit_distance(&wanted, &text);
                let words = content_words(&text);
                let shared = wanted_words.iter().filter(|word| words.iter().any(|other| alike(word, other))).count();
                let close = distance <= (wanted.chars().count() / 3).max(2);
                let alike = shared >= 2 || (shared == 1 && wanted_words.len() == 1);
                (close || alike).then(|| (1, distance.saturating_sub(shared * 2), shown))
            } else {
                None
            };
            if let Some(rank) = rank {
                if !ranked.iter().any(|known| known.2 == rank.2) {
                    ranked.push(rank);
                }
            }
        }
        ranked.sort();
        ranked.into_iter().take(MAX_SUGGESTIONS).map(|(_, _, text)| text).collect()
    }

    /// Produces the message `request` asks for: finds the producer and runs it, catching
    /// panics, within `timeout`. Errors carry the HTTP status the endpoint answers with.
    pub async fn produce(&self, request: MessageRequest, timeout: Duration) -> Result<Message, StateChangeError> {
        let unprocessable = |message: String| StateChangeError { status: 422, message };
        let registration = match self.lookup(&request.description) {
            Ok(registration) => registration,
            Err(MessageLookupError::Missing) => {
                let help = self.missing(&request.description).map(|help| format!("\n{help}")).unwrap_or_default();
                return Err(unprocessable(format!("no #[message] function produces `{}`{help}", request.description)));
            }
            Err(MessageLookupError::Ambiguous(found)) => {
                let locations: Vec<String> =
                    found.iter().map(|r| format!("{} at {}", r.function, r.location)).collect();
                return Err(unprocessable(format!(
                    "message `{}` is produced by more than one #[message] function: {}",
                    request.description,
                    locations.join(", ")
                )));
            }
        };
        let description = request.description.clone();
        let function = registration.function;
        let running = AssertUnwindSafe((registration.handler)(request)).catch_unwind();
        match tokio::time::timeout(timeout, running).await {
            Ok(Ok(Ok(message))) => Ok(message),
            Ok(Ok(Err(error))) => {
                Err(unprocessable(format!("producing message `{description}` failed in `{function}`: {error}")))
            }
            Ok(Err(panic)) => Err(unprocessable(format!(
                "producing message `{description}` panicked in `{function}`: {}",
                crate::state_endpoint::panic_message(panic.as_ref())
            ))),
            Err(_) => Err(unprocessable(format!(
                "producing message `{description}` timed out after {timeout:?} in `{function}`"
            ))),
        }
    }
}

/// Runs of whitespace as one space, trimmed.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What to tell the user about a message description that no `#[message]` function produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingMessageHelp {
    /// The description, as the pact writes it.
    pub description: String,
    /// The closest producers, best first, each as `` `description` (function at file:line:column) ``.
    pub suggestions: Vec<String>,
    /// A `#[message]` function to paste and fill in.
    pub stub: String,
}

impl Display for MissingMessageHelp {
    /// The suggestions ("did you mean ...?") and the stub, on their own lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::registry::missing::write_help(f, &self.suggestions, &self.stub)
    }
}

/// A `#[message]` function producing exactly `description`, to paste and fill in.
pub fn stub(description: &str) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "#[message({description:?})]");
    let name = function_name(description).replacen("state_", "message_", 1);
    let _ = writeln!(text, "async fn {name}() -> pact_runtime::Message {{");
    let _ =
        writeln!(text, "    todo!({:?})", format!("produce `{}`", description.replace('{', "{{").replace('}', "}}")));
    text.push('}');
    text
}

/// Parses a message request as Pact verifiers send it: `{"description", "providerStates",
/// "request"}`. Params are merged from the states in order.
pub fn parse_message_request(body: &[u8]) -> Result<MessageRequest, StateChangeError> {
    let bad = |message: String| StateChangeError { status: 400, message };
    let value: Value =
        serde_json::from_slice(body).map_err(|err| bad(format!("message request body is not valid JSON: {err}")))?;
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

    fn noop(_: MessageRequest) -> MessageFuture {
        Box::pin(async { Ok(Message::text("")) })
    }

    fn registration(description: &'static str, provider: Option<&'static str>) -> &'static MessageRegistration {
        Box::leak(Box::new(MessageRegistration {
            description,
            provider,
            function: "f",
            location: SourceLocation { file: "f.rs", line: 1, column: 1 },
            handler: noop,
        }))
    }

    #[test]
    fn looks_up_scoped_first_and_suggests_close_descriptions() {
        let scoped = registration("an order created event", Some("P"));
        let registry = MessageRegistry::from_registrations(
            "P",
            [registration("an order created event", None), scoped, registration("a user deleted event", Some("Q"))],
        );
        assert!(std::ptr::eq(registry.lookup("an  order created event").unwrap(), scoped));
        let help = registry.missing("an order created evnt").unwrap();
        assert_eq!(help.suggestions[0], "`an order created event` (f at f.rs:1:1)");
        let help = registry.missing("a user deleted event").unwrap();
        assert_eq!(help.suggestions, ["`a user deleted event` (f at f.rs:1:1): it serves provider `Q` only"]);
        assert_eq!(
            help.stub,
            "#[message(\"a user deleted event\")]\nasync fn a_user_deleted_event() -> pact_runtime::Message {\n    todo!(\"produce `a user deleted event`\")\n}"
        );
    }

    #[test]
    fn two_producers_of_one_message_conflict() {
        let registry = MessageRegistry::from_registrations(
            "P",
            [registration("an order paid event", None), registration("an  order paid event", None)],
        );
        assert_eq!(registry.conflicts().len(), 1);
        assert!(
            matches!(registry.lookup("an order paid event"), Err(MessageLookupError::Ambiguous(found)) if found.len() == 2)
        );
        assert!(registry.missing("an order paid event").is_none());
    }

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
