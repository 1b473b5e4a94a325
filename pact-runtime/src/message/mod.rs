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
//!
//! # The protocol
//!
//! The generated endpoint (see [`StateServer`](crate::StateServer)) serves messages at
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

pub(crate) mod protocol;
pub(crate) mod registry;

use std::fmt::{self, Display};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// The path the generated endpoint serves messages at.
pub const DEFAULT_MESSAGE_PATH: &str = "/_pact/messages";

/// The header that carries a message's metadata, as base64-encoded JSON.
pub const METADATA_HEADER: &str = "Pact-Message-Metadata";

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
