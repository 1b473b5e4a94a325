//! The `#[message]` functions of the test binary, collected by `inventory`: finding the one
//! that produces a description, running it, and the "did you mean" help when none does.

use std::fmt::{self, Display, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

use pact_syntax::pattern::StatePattern;

use super::{FromMessageRequest, Message, MessageError, MessageRequest};
use crate::report::Failure;
use crate::states::arguments::FromStatePlaceholder;
use crate::states::SourceLocation;
use crate::util::suggest::{alike, content_words, edit_distance, function_name, normalise, write_help};
use crate::util::{run_bounded, Bounded, EndpointError};

/// How many producers "did you mean" lists at most.
const MAX_SUGGESTIONS: usize = 3;

/// Resolves the argument `name` from the text its `{name}` placeholder of `pattern` captured in
/// the description (used by the macro expansion).
pub fn message_placeholder_argument<T: FromStatePlaceholder>(
    request: &MessageRequest,
    pattern: &str,
    name: &str,
) -> Result<T, MessageError> {
    let captured = StatePattern::parse(pattern)
        .ok()
        .and_then(|pattern| pattern.captures(&squash(&request.description)))
        .and_then(|captures| captures.into_iter().find(|(placeholder, _)| placeholder == name))
        .map(|(_, text)| text)
        .ok_or_else(|| {
            MessageError(format!("message `{}` has no value for placeholder `{{{name}}}`", request.description))
        })?;
    T::from_placeholder(&captured).map_err(|err| {
        MessageError(format!(
            "message `{}`: cannot parse `{captured}` for argument `{name}`: {err}",
            request.description
        ))
    })
}

/// How a producer's description, parsed as `pattern`, matches `wanted` (a squashed message
/// description): `Some(true)` exactly, `Some(false)` through its `{placeholders}`.
fn match_kind(registration: &MessageRegistration, pattern: Option<&StatePattern>, wanted: &str) -> Option<bool> {
    match pattern {
        Some(pattern) if pattern.is_literal() => (pattern.bare_text() == wanted).then_some(true),
        Some(pattern) => pattern.captures(wanted).map(|_| false),
        // Hand-written registrations the macro did not check: their text as is.
        None => (squash(registration.description) == wanted).then_some(true),
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
    /// With each, its description parsed as a pattern once (`None` when it does not parse).
    entries: Vec<(&'static MessageRegistration, Option<StatePattern>)>,
    /// Producers scoped to other providers: never served, only suggested.
    others: Vec<&'static MessageRegistration>,
    /// The largest message body produced; `None` is the default `max_body_bytes`.
    max_body_bytes: Option<u64>,
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
        let (entries, others): (Vec<_>, Vec<_>) = registrations
            .into_iter()
            .partition(|registration| registration.provider.is_none_or(|scope| scope == provider));
        let entries = entries
            .into_iter()
            .map(|registration| (registration, StatePattern::parse(registration.description).ok()))
            .collect();
        MessageRegistry { entries, others, max_body_bytes: None }
    }

    /// The same producers, refusing a produced message whose body is larger than `bytes` (the
    /// run's `max_body_bytes`).
    pub fn with_max_body_bytes(mut self, bytes: u64) -> MessageRegistry {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// All producers in this registry.
    pub fn registrations(&self) -> impl Iterator<Item = &'static MessageRegistration> + '_ {
        self.entries.iter().map(|(registration, _)| *registration)
    }

    /// The producer of `description`: its text equals the description (runs of whitespace
    /// count as one space), or its `{placeholders}` capture the rest. A producer scoped to the
    /// provider wins over an unscoped one; then an exact text wins over a pattern, so a
    /// catch-all `{description}` serves only what no other producer does.
    pub fn lookup(&self, description: &str) -> Result<&'static MessageRegistration, MessageLookupError> {
        let wanted = squash(description);
        let mut found: Vec<(&'static MessageRegistration, bool)> = self
            .entries
            .iter()
            .filter_map(|(registration, pattern)| {
                match_kind(registration, pattern.as_ref(), &wanted).map(|exact| (*registration, exact))
            })
            .collect();
        if found.iter().any(|(registration, _)| registration.provider.is_some()) {
            found.retain(|(registration, _)| registration.provider.is_some());
        }
        if found.iter().any(|(_, exact)| *exact) {
            found.retain(|(_, exact)| *exact);
        }
        let found: Vec<&'static MessageRegistration> =
            found.into_iter().map(|(registration, _)| registration).collect();
        match found.len() {
            0 => Err(MessageLookupError::Missing),
            1 => Ok(found[0]),
            _ => Err(MessageLookupError::Ambiguous(found)),
        }
    }

    /// Every pair of producers of one description at the same scope.
    pub fn conflicts(&self) -> Vec<(&'static MessageRegistration, &'static MessageRegistration)> {
        let mut conflicts = Vec::new();
        for (i, (first, _)) in self.entries.iter().enumerate() {
            for (second, _) in &self.entries[i + 1..] {
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
        let candidates = self.entries.iter().map(|(registration, _)| (*registration, true));
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
    pub async fn produce(&self, request: MessageRequest, timeout: Duration) -> Result<Message, ProduceError> {
        let unprocessable = EndpointError::unprocessable;
        // The look-up counts toward `timeout` too.
        let started = std::time::Instant::now();
        if let Some(error) =
            crate::functions::too_long("message description", &request.description, "#[message] descriptions", "")
        {
            return Err(unprocessable(error).into());
        }
        let registration = match self.lookup(&request.description) {
            Ok(registration) => registration,
            Err(MessageLookupError::Missing) => {
                let help = self.missing(&request.description).map(|help| format!("\n{help}")).unwrap_or_default();
                return Err(
                    unprocessable(format!("no #[message] function produces `{}`{help}", request.description)).into()
                );
            }
            Err(MessageLookupError::Ambiguous(found)) => {
                let locations: Vec<String> =
                    found.iter().map(|r| format!("{} at {}", r.function, r.location)).collect();
                return Err(unprocessable(format!(
                    "message `{}` is produced by more than one #[message] function: {}",
                    request.description,
                    locations.join(", ")
                ))
                .into());
            }
        };
        let description = request.description.clone();
        let function = registration.function;
        let limit = self.max_body_bytes.unwrap_or(crate::util::DEFAULT_MAX_BODY_BYTES);
        let raise = "raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if messages this large are expected";
        // (what the endpoint answers, what a run reports after naming the function)
        let timed_out = {
            let description = description.clone();
            move || Failure::Producer {
                message: format!("it timed out after {timeout:?} (`state_timeout_ms`, PACT_STATE_TIMEOUT_MS)"),
                description,
                function: function.to_string(),
            }
        };
        let (endpoint, producer) = match run_bounded(
            (registration.handler)(request),
            timeout.saturating_sub(started.elapsed()),
            timed_out,
        )
        .await
        {
            Bounded::Finished(Ok(message)) if message.contents().len() as u64 > limit => {
                let size = message.contents().len();
                (
                    format!("message `{description}` produced by `{function}` is {size} bytes, more than `max_body_bytes` ({limit} bytes); {raise}"),
                    format!("the message is {size} bytes, more than `max_body_bytes` ({limit} bytes); {raise}"),
                )
            }
            // Metadata counts too: it is matched, reported and sent as a header like the body.
            Bounded::Finished(Ok(message)) if message.contents().len() as u64 + metadata_bytes(&message) > limit => {
                let (contents, metadata) = (message.contents().len() as u64, metadata_bytes(&message));
                let parts = format!("({contents} bytes of contents, {metadata} bytes of metadata as JSON), more than `max_body_bytes` ({limit} bytes); {raise}");
                let size = contents + metadata;
                (
                    format!(
                        "message `{description}` produced by `{function}` is {size} bytes with its metadata {parts}"
                    ),
                    format!("the message is {size} bytes with its metadata {parts}"),
                )
            }
            Bounded::Finished(Ok(message)) => return Ok(message),
            Bounded::Finished(Err(error)) => {
                (format!("producing message `{description}` failed in `{function}`: {error}"), error.to_string())
            }
            Bounded::Panicked(panic) => (
                format!("producing message `{description}` panicked in `{function}`: {panic}"),
                format!("it panicked: {panic}"),
            ),
            Bounded::NotStarted(cause) => (
                format!("producing message `{description}` did not run `{function}`: {cause}"),
                format!("it did not run: {cause}"),
            ),
            Bounded::TimedOut => {
                let bound = "(`state_timeout_ms`, PACT_STATE_TIMEOUT_MS)";
                (
                    format!("producing message `{description}` timed out after {timeout:?} in `{function}` {bound}"),
                    format!("it timed out after {timeout:?} {bound}"),
                )
            }
        };
        Err(ProduceError {
            endpoint: unprocessable(endpoint),
            producer: Some(ProducerFailure { function, description, message: producer }),
        })
    }
}

/// Why no message was produced: what the message endpoint answers, and the `#[message]` function
/// when it ran and failed, so that a run reports the producer's failure rather than a request's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceError {
    /// The endpoint's answer: its status and a message naming the description and the function.
    pub endpoint: EndpointError,
    /// The function that ran and failed, if one did (none when no function matched).
    pub producer: Option<ProducerFailure>,
}

impl From<EndpointError> for ProduceError {
    fn from(endpoint: EndpointError) -> ProduceError {
        ProduceError { endpoint, producer: None }
    }
}

/// A `#[message]` function that ran and failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerFailure {
    /// The function's name.
    pub function: &'static str,
    /// The description it was asked to produce.
    pub description: String,
    /// What went wrong: its error, its panic, its timeout or its message's size.
    pub message: String,
}

/// The size of a message's metadata as JSON, counted without writing it out.
fn metadata_bytes(message: &Message) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len() as u64;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing into a counter cannot fail.
    let _ = serde_json::to_writer(&mut count, message.metadata());
    count.0
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
        write_help(f, &self.suggestions, &self.stub)
    }
}

/// A `#[message]` function producing exactly `description`, to paste and fill in.
pub fn stub(description: &str) -> String {
    let mut text = String::new();
    // Braces are placeholders in the attribute: a literal one is written twice.
    let _ = writeln!(text, "#[message({:?})]", description.replace('{', "{{").replace('}', "}}"));
    let name = function_name(description).replacen("state_", "message_", 1);
    let _ = writeln!(text, "async fn {name}() -> pact_runtime::Message {{");
    let _ =
        writeln!(text, "    todo!({:?})", format!("produce `{}`", description.replace('{', "{{").replace('}', "}}")));
    text.push('}');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_catch_all_produces_what_no_exact_producer_does_and_captures_its_placeholders() {
        let catch_all = registration("{description}", None);
        let topic = registration("a {topic} created event", None);
        let exact = registration("an order created event", None);
        let registry = MessageRegistry::from_registrations("P", [catch_all, topic, exact]);
        assert!(registry.conflicts().is_empty());
        assert!(std::ptr::eq(registry.lookup("an order  created event").unwrap(), exact));
        assert!(std::ptr::eq(registry.lookup("anything at all").unwrap(), catch_all));
        // Two patterns that both match are ambiguous, as two states are.
        assert!(
            matches!(registry.lookup("a product created event"), Err(MessageLookupError::Ambiguous(found)) if found.len() == 2)
        );
        let request = MessageRequest {
            description: "a  product created event".into(),
            provider_states: Vec::new(),
            params: serde_json::Map::new(),
            request: None,
        };
        let topic_text: String = message_placeholder_argument(&request, "a {topic} created event", "topic").unwrap();
        assert_eq!(topic_text, "product");
        let error = message_placeholder_argument::<u32>(&request, "a {topic} created event", "topic").unwrap_err();
        assert!(error.0.contains("cannot parse `product` for argument `topic`"), "{error}");
        // A literal brace is written twice.
        let braces = registration("a {{json}} event", None);
        let registry = MessageRegistry::from_registrations("P", [braces]);
        assert!(registry.lookup("a {json} event").is_ok());
        assert!(stub("a {json} event").starts_with("#[message(\"a {{json}} event\")]"), "{}", stub("a {json} event"));
    }

    /// A description of 8 KB took 4.75 s to look up against `a {entity} {change} event`
    /// (backtracking); one longer than 16 KiB is refused, naming the limit. Bound: 5 s.
    #[tokio::test]
    async fn long_descriptions_are_matched_in_linear_time_and_too_long_ones_are_refused() {
        let registry = MessageRegistry::from_registrations("P", [registration("a {entity} {change} event", None)]);
        let started = std::time::Instant::now();
        let unmatched = format!("a {}", "x ".repeat(4 * 1024));
        assert!(registry.missing(&unmatched).is_some());
        assert!(registry.lookup(&format!("{unmatched}event")).is_ok());
        let request = |description: String| MessageRequest {
            description,
            provider_states: Vec::new(),
            params: serde_json::Map::new(),
            request: None,
        };
        assert!(registry.produce(request(format!("{unmatched}event")), Duration::from_secs(5)).await.is_ok());
        let error = registry
            .produce(request(format!("a {}event", "x ".repeat(9 * 1024))), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(
            error.endpoint.message,
            "the message description `a x x x x x x x x x x x x x x x x x x x ...` is 18439 bytes, more than the 16384 bytes pact-runtime matches against #[message] descriptions: shorten it in the pact"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    }
}
