//! Lifecycle hooks and request filters: `#[before_each]`, `#[after_each]` and
//! `#[request_filter]` functions, collected by `inventory` like provider states.
//!
//! For each interaction the engine runs, in order:
//!
//! 1. every `#[before_each]` hook;
//! 2. the setup of each provider state (stopping at the first failure);
//! 3. every `#[request_filter]`, then the request (only when everything before succeeded);
//! 4. the teardown of each state that was set up, in reverse order;
//! 5. every `#[after_each]` hook.
//!
//! Every hook runs exactly once per interaction, also when a hook, a setup or the request
//! failed: so an `after_each` can always clean up after a `before_each`. A failing
//! `before_each` skips the setups and the request. A hook's error (or panic) fails the
//! interaction with its message. Hooks of one kind run in source order (file, then line).
//!
//! Hooks are in-process: they run under this crate's engine (`#[pact_provider_test]` and the
//! [harness](crate::harness)), not when another Pact verifier drives the state endpoint. An
//! interaction the run skips because the app had stopped runs no hook.

use std::collections::HashMap;
use std::fmt::{self, Display};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use pact_models::bodies::OptionalBody;
use pact_models::http_parts::HttpPart;
use pact_models::v4::http_parts::HttpRequest;

use crate::report::Failure;
use crate::states::SourceLocation;
use crate::util::{run_bounded, Bounded};

/// What a hook may learn about the interaction it runs around. A hook takes it as its one
/// optional argument.
///
/// ```
/// use pact_runtime::{before_each, HookContext};
///
/// #[before_each]
/// fn log_interaction(interaction: HookContext) {
///     println!("verifying {} › {}", interaction.consumer, interaction.description);
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookContext {
    /// The provider verified.
    pub provider: String,
    /// The consumer that wrote the pact.
    pub consumer: String,
    /// The interaction's description.
    pub description: String,
    /// The interaction's provider states, in order.
    pub states: Vec<String>,
    /// The interaction's id, when the pact has one.
    pub interaction_id: Option<String>,
}

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookKind {
    /// Before the interaction's state setups.
    BeforeEach,
    /// After the interaction's state teardowns.
    AfterEach,
}

impl HookKind {
    /// `before_each` or `after_each`, as the attribute is spelt.
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::BeforeEach => "before_each",
            HookKind::AfterEach => "after_each",
        }
    }
}

impl Display for HookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The future a type-erased hook returns.
pub type HookFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// The future a type-erased request filter returns; it borrows the request.
pub type RequestFilterFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// One `#[before_each]` or `#[after_each]` function, as the macro registers it.
#[derive(Debug)]
pub struct HookRegistration {
    /// Before or after each interaction.
    pub kind: HookKind,
    /// `Some(name)` runs it only when verifying provider `name`.
    pub provider: Option<&'static str>,
    /// The annotated function's name.
    pub function: &'static str,
    /// Where it was written.
    pub location: SourceLocation,
    /// Calls the function.
    pub handler: fn(HookContext) -> HookFuture,
}

inventory::collect!(HookRegistration);

/// One `#[request_filter]` function, as the macro registers it.
#[derive(Debug)]
pub struct RequestFilterRegistration {
    /// `Some(name)` applies it only when verifying provider `name`.
    pub provider: Option<&'static str>,
    /// The annotated function's name.
    pub function: &'static str,
    /// Where it was written.
    pub location: SourceLocation,
    /// Calls the function on the request.
    pub handler: for<'a> fn(&'a mut ProviderRequest) -> RequestFilterFuture<'a>,
}

inventory::collect!(RequestFilterRegistration);

/// What a hook or request filter may return: `()`, or `Result<(), E: Display>` whose `Err`
/// fails the interaction with its message.
#[diagnostic::on_unimplemented(
    message = "a hook or request filter cannot return `{Self}`",
    note = "return `()` or `Result<(), E>` where `E: Display`"
)]
pub trait IntoHookResult {
    /// `Err` with the message when the hook failed.
    fn into_hook_result(self) -> Result<(), String>;
}

impl IntoHookResult for () {
    fn into_hook_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Display> IntoHookResult for Result<(), E> {
    fn into_hook_result(self) -> Result<(), String> {
        self.map_err(|err| err.to_string())
    }
}

/// The request the engine is about to send to the provider, for `#[request_filter]` functions
/// to change: add an auth header, rewrite a path, sign a body.
///
/// ```
/// use pact_runtime::{request_filter, ProviderRequest};
///
/// #[request_filter]
/// fn add_auth(request: &mut ProviderRequest) {
///     request.set_header("Authorization", "Bearer test-token");
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone)]
pub struct ProviderRequest {
    request: HttpRequest,
}

impl ProviderRequest {
    /// Wraps a Pact request.
    pub fn new(request: HttpRequest) -> ProviderRequest {
        ProviderRequest { request }
    }

    /// The request method, upper case.
    pub fn method(&self) -> &str {
        &self.request.method
    }

    /// The path, with the base path already prefixed.
    pub fn path(&self) -> &str {
        &self.request.path
    }

    /// Replaces the path.
    pub fn set_path(&mut self, path: impl Into<String>) {
        self.request.path = path.into();
    }

    /// The value of a header (case-insensitive), several values joined with `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        self.request.lookup_header_value(name)
    }

    /// Sets a header, replacing any value it had (whatever its case).
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.remove_header(name);
        self.request.headers_mut().insert(name.to_string(), vec![value.into()]);
    }

    /// Removes a header (case-insensitive).
    pub fn remove_header(&mut self, name: &str) {
        if let Some(headers) = &mut self.request.headers {
            headers.retain(|key, _| !key.eq_ignore_ascii_case(name));
        }
    }

    /// The query parameters.
    pub fn query(&self) -> Option<&HashMap<String, Vec<Option<String>>>> {
        self.request.query.as_ref()
    }

    /// Adds a value to a query parameter.
    pub fn add_query(&mut self, name: &str, value: impl Into<String>) {
        self.request
            .query
            .get_or_insert_with(HashMap::new)
            .entry(name.to_string())
            .or_default()
            .push(Some(value.into()));
    }

    /// The body as text, if it has one.
    pub fn body_text(&self) -> Option<String> {
        self.request.body.value().and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
    }

    /// Replaces the body, keeping its content type.
    pub fn set_body(&mut self, body: impl Into<String>) {
        let content_type = self.request.body.content_type();
        self.request.body = OptionalBody::from(body.into()).with_content_type(content_type);
    }

    /// The whole Pact request, for what the methods above do not cover.
    pub fn pact_request_mut(&mut self) -> &mut HttpRequest {
        &mut self.request
    }

    /// The Pact request, as it will be sent.
    pub fn into_pact_request(self) -> HttpRequest {
        self.request
    }
}

/// The hooks and request filters that apply to one provider's run.
#[derive(Debug, Clone)]
pub struct Hooks {
    before_each: Vec<&'static HookRegistration>,
    after_each: Vec<&'static HookRegistration>,
    request_filters: Vec<&'static RequestFilterRegistration>,
    /// How long one hook may run: the run's `state_timeout`.
    timeout: Duration,
}

impl Default for Hooks {
    fn default() -> Hooks {
        Hooks {
            before_each: Vec::new(),
            after_each: Vec::new(),
            request_filters: Vec::new(),
            timeout: DEFAULT_HOOK_TIMEOUT,
        }
    }
}

/// The bound of a hook when the run sets none: the default `state_timeout_ms`.
const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(30);

fn source_order(location: &SourceLocation) -> (&'static str, u32, u32) {
    (location.file, location.line, location.column)
}

impl Hooks {
    /// Every hook and request filter in the binary that applies to `provider`: the unscoped
    /// ones and those scoped to it, in source order.
    pub fn for_provider(provider: &str) -> Hooks {
        Self::from_registrations(
            provider,
            inventory::iter::<HookRegistration>,
            inventory::iter::<RequestFilterRegistration>,
        )
    }

    /// Builds the hooks from explicit registrations, for tests and tools.
    pub fn from_registrations(
        provider: &str,
        hooks: impl IntoIterator<Item = &'static HookRegistration>,
        filters: impl IntoIterator<Item = &'static RequestFilterRegistration>,
    ) -> Hooks {
        let applies = |scope: Option<&str>| scope.is_none_or(|scope| scope == provider);
        let mut all: Vec<&'static HookRegistration> = hooks.into_iter().filter(|hook| applies(hook.provider)).collect();
        all.sort_by_key(|hook| source_order(&hook.location));
        let mut request_filters: Vec<&'static RequestFilterRegistration> =
            filters.into_iter().filter(|filter| applies(filter.provider)).collect();
        request_filters.sort_by_key(|filter| source_order(&filter.location));
        let (before_each, after_each) = all.into_iter().partition(|hook| hook.kind == HookKind::BeforeEach);
        Hooks { before_each, after_each, request_filters, timeout: DEFAULT_HOOK_TIMEOUT }
    }

    /// The same hooks, each bounded by `timeout` (the run's `state_timeout`).
    pub fn with_timeout(mut self, timeout: Duration) -> Hooks {
        self.timeout = timeout;
        self
    }

    /// True when there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.before_each.is_empty() && self.after_each.is_empty() && self.request_filters.is_empty()
    }

    /// Runs every hook of `kind`, each once, and answers the failures.
    pub async fn run(&self, kind: HookKind, context: &HookContext) -> Vec<Failure> {
        let hooks = match kind {
            HookKind::BeforeEach => &self.before_each,
            HookKind::AfterEach => &self.after_each,
        };
        let mut failures = Vec::new();
        for hook in hooks {
            let (function, timeout) = (hook.function, self.timeout);
            let timed_out = move || Failure::Hook {
                kind: kind.to_string(),
                function: function.to_string(),
                message: hook_timed_out(timeout),
            };
            let message = match run_bounded((hook.handler)(context.clone()), self.timeout, timed_out).await {
                Bounded::Finished(Ok(())) => None,
                Bounded::Finished(Err(message)) => Some(message),
                Bounded::Panicked(panic) => Some(format!("panicked: {panic}")),
                Bounded::NotStarted(cause) => Some(format!("did not run: {cause}")),
                Bounded::TimedOut => Some(hook_timed_out(self.timeout)),
            };
            if let Some(message) = message {
                failures.push(Failure::Hook { kind: kind.to_string(), function: hook.function.to_string(), message });
            }
        }
        failures
    }

    /// Whether any request filter is registered.
    #[cfg(feature = "plugins")]
    pub(crate) fn filters_requests(&self) -> bool {
        !self.request_filters.is_empty()
    }

    /// Passes `request` through every request filter, in order; the first error stops it.
    /// Each filter runs within the hooks' bound, like the hooks (see [`run_bounded`]).
    pub async fn filter_request(&self, request: HttpRequest) -> Result<HttpRequest, Failure> {
        if self.request_filters.is_empty() {
            return Ok(request);
        }
        let mut request = ProviderRequest::new(request);
        for filter in &self.request_filters {
            let handler = filter.handler;
            // The filter borrows the request: the future owns it, and hands it back.
            let mut owned = request;
            let filtered = async move {
                let outcome = handler(&mut owned).await;
                (owned, outcome)
            };
            let (function, timeout) = (filter.function, self.timeout);
            let timed_out = move || Failure::Hook {
                kind: "request_filter".to_string(),
                function: function.to_string(),
                message: filter_timed_out(timeout),
            };
            let message = match run_bounded(filtered, self.timeout, timed_out).await {
                Bounded::Finished((filtered, Ok(()))) => {
                    request = filtered;
                    continue;
                }
                Bounded::Finished((_, Err(message))) => message,
                Bounded::Panicked(panic) => format!("panicked: {panic}"),
                Bounded::NotStarted(cause) => format!("did not run: {cause}"),
                Bounded::TimedOut => filter_timed_out(self.timeout),
            };
            return Err(Failure::Hook {
                kind: "request_filter".to_string(),
                function: filter.function.to_string(),
                message,
            });
        }
        Ok(request.into_pact_request())
    }
}

/// The message of a hook that overran `state_timeout_ms`.
fn hook_timed_out(timeout: Duration) -> String {
    format!("timed out after {timeout:?} (`state_timeout_ms`, PACT_STATE_TIMEOUT_MS, bounds hooks too)")
}

/// The message of a request filter that overran `state_timeout_ms`.
fn filter_timed_out(timeout: Duration) -> String {
    format!("timed out after {timeout:?} (`state_timeout_ms`, PACT_STATE_TIMEOUT_MS, bounds request filters too)")
}
