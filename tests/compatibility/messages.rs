//! The message provider of message scenarios: "a provider is started that can generate the
//! "basic" message with ..." becomes a `#[message]` producer.
//!
//! `#[message("basic")]` needs the description when the test compiles, but the suite names
//! its messages in the feature files. So the harness builds, at run time, the same
//! [`MessageRegistration`] the macro would generate, for each message of the scenario, around
//! one producer ([`produce`]) that answers the scenario's messages by description. The
//! registrations are scoped to the scenario's provider and served by pact-runtime's own state
//! endpoint, in the message protocol the engine (and any Pact verifier) uses.

use std::sync::{LazyLock, Mutex, PoisonError};

use pact_runtime::__private::{MessageFuture, MessageRegistration, MessageRegistry, SourceLocation};
use pact_runtime::message::MessageError;
use pact_runtime::{Message, MessageRequest};

use crate::events::{record, Event};
use crate::pacts::MessageDef;

static MESSAGES: LazyLock<Mutex<Vec<MessageDef>>> = LazyLock::new(Default::default);

/// Sets the messages the provider of the current scenario can generate.
pub fn set(messages: Vec<MessageDef>) {
    *MESSAGES.lock().unwrap_or_else(PoisonError::into_inner) = messages;
}

/// The producer behind every registration: the scenario's message with the description.
pub fn produce(request: MessageRequest) -> MessageFuture {
    let found = MESSAGES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|m| m.description == request.description)
        .cloned();
    record(Event::MessageProduced { description: request.description.clone() });
    Box::pin(async move {
        let definition = found.ok_or_else(|| {
            MessageError(format!("the provider cannot generate the `{}` message", request.description))
        })?;
        let (content_type, bytes) = match &definition.body {
            Some(body) => (body.content_type.clone().unwrap_or_else(|| "text/plain".to_string()), body.bytes.clone()),
            None => ("text/plain".to_string(), Vec::new()),
        };
        let mut message = Message::bytes(content_type, bytes);
        for (key, value) in definition.metadata {
            message = message.with_metadata(key, value);
        }
        Ok(message)
    })
}

/// The registry of `provider`'s producers: one registration per message the scenario's
/// provider can generate, as `#[message("<description>", provider = "<provider>")]` would make.
pub fn registry(provider: &'static str, messages: &[MessageDef]) -> MessageRegistry {
    let registrations: Vec<&'static MessageRegistration> = messages
        .iter()
        .map(|message| {
            let registration = MessageRegistration {
                description: Box::leak(message.description.clone().into_boxed_str()),
                provider: Some(provider),
                function: "compatibility::messages::produce",
                location: SourceLocation { file: file!(), line: line!(), column: column!() },
                handler: produce,
            };
            &*Box::leak(Box::new(registration))
        })
        .collect();
    MessageRegistry::from_registrations(provider, registrations)
}
