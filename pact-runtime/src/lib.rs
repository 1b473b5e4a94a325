//! Pact provider verification for Rust web apps.
//!
//! Annotate provider-state functions with [`provider_state`], write one
//! [`pact_provider_test`], and `cargo test` boots your app, runs your state functions
//! in-process, and verifies the app against your pacts with a fast engine built from Pact's own matching.
//!
//! # Quickstart
//!
//! ```no_run
//! use pact_runtime::{pact_provider_test, provider_state};
//!
//! #[provider_state("user {id} exists")]
//! async fn user_exists(id: u64) {
//!     // insert user `id` into the store the app reads
//! # let _ = id;
//! }
//!
//! #[provider_state("user {id} doesn't exist")]
//! fn user_missing(id: u64) {
//!     // make sure user `id` is absent
//! # let _ = id;
//! }
//!
//! #[pact_provider_test(provider = "UserService", pacts = "pacts")]
//! async fn verify_user_service() -> axum::Router {
//!     axum::Router::new() // your app
//! }
//! ```
//!
//! # Messages
//!
//! Message pacts (V3 messages, V4 asynchronous and synchronous messages) verify in the same
//! [`pact_provider_test`] as HTTP interactions, even within one pact. A [`macro@message`]
//! function produces the [`Message`] for a description; the interaction's provider states are
//! set up first, then the message is matched with Pact's own message matching (the body with
//! the pact's matching rules, and the metadata).
//!
//! ```no_run
//! use pact_runtime::{message, pact_provider_test, provider_state, Message};
//! use serde_json::json;
//!
//! #[provider_state("product 10 exists")]
//! fn product_exists() {}
//!
//! #[message("a product created event")]
//! fn product_created() -> Message {
//!     Message::json(json!({ "id": "10", "name": "28 Degrees" })).with_metadata("topic", "products")
//! }
//!
//! // Verifies the HTTP interactions against the app, and the messages through `#[message]`.
//! #[pact_provider_test(provider = "ProductService", pacts = "pacts")]
//! async fn verify_product_service() -> axum::Router {
//!     axum::Router::new() // your app
//! }
//! # fn main() {}
//! ```
//!
//! The generated endpoint also serves the messages to other Pact verifiers, at
//! `POST /_pact/messages` in the protocol of Pact's message providers: see [`mod@message`].
//! A V4 synchronous message with several responses is reported as unsupported (Pact's matching
//! compares one response).
//!
//! # gRPC, protobuf and Pact plugins
//!
//! With the `plugins` feature, interactions that need a Pact plugin are verified through it, as
//! `pact_verifier` verifies them (Pact's plugin driver): V4 synchronous messages over a `grpc`
//! transport, and protobuf message bodies that `#[message]` functions produce, through the
//! protobuf plugin. The function under `#[pact_provider_test]` returns the tonic router, which
//! is served on a loopback port (HTTP/2) for the pact's `grpc` transport:
//!
//! ```ignore
//! // [dev-dependencies] pact-runtime = { version = "0.1", features = ["plugins"] }
//! #[provider_state("user {id} exists")]
//! fn user_exists(id: u64) {
//!     STORE.insert(User { id, ..User::default() });
//! }
//!
//! #[pact_provider_test(provider = "UserService", pacts = "pacts")]
//! async fn user_service_honours_its_pacts() -> tonic::transport::server::Router {
//!     tonic::transport::Server::builder().add_service(UsersServer::new(UsersService::new(STORE.clone())))
//! }
//! ```
//!
//! Plugins are found where Pact's tools install them: `$PACT_PLUGIN_DIR`, else
//! `~/.pact/plugins`. Each plugin a pact names is started once (the highest installed version
//! that satisfies the pact), every call to it is bounded by `request_timeout_ms`, and every
//! plugin process is shut down when the run ends. Without the feature, such an interaction fails
//! on its own, naming the plugin and the feature, and the rest of its pact is verified. The
//! provider app forms are in [`mod@app`].
//!
//! # What is stable
//!
//! This crate follows semver. Its public API, the promise, is:
//!
//! | item | what |
//! |---|---|
//! | [`provider_state`], [`pact_provider_test`], [`macro@message`], [`before_each`], [`after_each`], [`request_filter`] | the attributes, their options and the function forms they take |
//! | [`Message`], [`MessageRequest`], [`Json`], [`mod@message`] | producing messages, and the message protocol the endpoint speaks |
//! | [`StateValues`], [`HookContext`], [`ProviderRequest`] | what state functions return, and what hooks and request filters take |
//! | [`FromStatePlaceholder`], [`FromStateParams`], [`IntoStateValues`], [`IntoHookResult`] | the traits that name the argument and return types state functions and hooks may have (the runtime implements them; compile errors name them) |
//! | [`Settings`], [`config`] | the configuration: every option, its environment variable, and the settings of a run in code ([`Settings::builder`]; `Settings` has no public fields, each option is read with the method of its name) |
//! | [`verify_provider`], [`RunError`] | a whole run in code, for assertions on its report |
//! | [`VerificationReport`], [`InteractionResult`], [`Failure`], [`report`] | what a run found, and the JSON report's schema |
//! | [`harness`] | a test per interaction |
//! | [`app`] | the forms of the app function |
//! | [`StateServer`] | the state and message endpoint on its own, for an external Pact verifier |
//! | [`install_crypto_provider`] | the rustls crypto provider `pact_verifier`'s client needs |
//!
//! So that it can grow without breaking you, what a run reports is `#[non_exhaustive]`: the
//! report types, the JSON report's types, [`Failure`] and [`RunError`] (match them with a `_`
//! arm; new failure kinds and fields come in minor versions), and so are the settings'
//! read-only parts ([`config::BrokerSettings`], [`config::PublishSettings`],
//! [`config::InteractionFilter`]). And no type of another crate is
//! part of this API: the selectors, the harness's `Arguments` and `Conclusion` are our own, so
//! a new `pact_verifier` or `libtest-mimic` does not change it.
//!
//! Everything else is private. The one exception is `pact_runtime::__private`, hidden from
//! these docs: what the macros expand to, and the internals this repository's own tests and
//! benchmarks drive (the engine, the state endpoint, the registries, the broker client). It is
//! **not** covered by semver; never name it in your code.
//!
//! # Architecture
//!
//! A run flows through layers, and each module uses only the layers below it:
//!
//! | layer | modules | what |
//! |---|---|---|
//! | 1 | [`report`], `util` | results and their renderings; redaction of secrets, panic messages, "did you mean" ranking |
//! | 2 | `pacts`, `states`, [`app`] | pact sources, screening and filters; the `#[provider_state]` registrations, their traits and protocol; booting the app |
//! | 3 | `broker`, [`mod@message`], `hooks` | the Pact Broker client (pacts for verification, publishing); the `#[message]` and hook registrations |
//! | 4 | `functions` | the provider's state and message functions, run one at a time within `state_timeout_ms` |
//! | 5 | `endpoint` | the loopback state and message endpoint, for other verifiers |
//! | 6 | `engine`, [`config`] | the interaction loop around Pact's matching, one pooled client, the functions called in-process; options and environment variables resolved into [`Settings`] |
//! | 7 | `session` | one run: load the pacts, check the registrations, boot (the app, the engine: the one boot path), publish |
//! | 8 | `provider_test`, [`harness`], `state_server` | the plain test and [`verify_provider`], a test per interaction, the endpoint for external verifiers |
//!
//! The macros (`pact-macros`, with their logic in `pact-macros-core`) expand to this crate's
//! registrations and runners; the option table and the state-pattern grammar live in
//! `pact-syntax`, which the macros check with at expansion time and the runtime resolves with.
//!
//! # App adapters
//!
//! The `#[pact_provider_test]` function hands over the provider in one of three forms (see
//! [`app`]), and together they fit every Rust web stack. `examples/web-stacks` verifies one
//! greetings API, `GET /greetings/{name}`, in each of these ways under `cargo test`:
//!
//! | stack | form | tested example |
//! |---|---|---|
//! | axum | `async fn() -> axum::Router` | `examples/web-stacks/tests/axum_router.rs` |
//! | hyper, or any tokio server | `async fn(tokio::net::TcpListener)` | `examples/web-stacks/tests/hyper_listener.rs` |
//! | actix-web | `async fn(tokio::net::TcpListener)`, actix on its own thread | `examples/web-stacks/tests/actix.rs` |
//! | a running server: another language, `docker compose` | `async fn() -> String` | `examples/web-stacks/tests/running_server.rs` |
//! | an app mounted under a path | any form, with `base_path = "/api"` | `examples/web-stacks/tests/base_path.rs` |
//!
//! Each form may return `Result<_, E: Display>`: an `Err`, or a server that ends before it
//! accepts connections, fails the test with the reason.
//!
//! ## axum: return the router
//!
//! The runtime serves it on an ephemeral loopback port.
//!
//! ```no_run
//! use pact_runtime::pact_provider_test;
//!
//! #[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
//! async fn axum_router_honours_the_pact() -> axum::Router {
//!     axum::Router::new() // your app
//! }
//! # fn main() {}
//! ```
//!
//! ## Any tokio server: serve on the listener
//!
//! The runtime binds a `tokio::net::TcpListener` to `127.0.0.1:0` and passes it in. Serve on it
//! until the future is dropped, which the runtime does when the verification is over.
//!
//! ```no_run
//! use pact_runtime::pact_provider_test;
//!
//! #[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
//! async fn serves_on_the_listener(listener: tokio::net::TcpListener) -> std::io::Result<()> {
//!     axum::serve(listener, axum::Router::new()).await
//! }
//! # fn main() {}
//! ```
//!
//! With hyper 1 and hyper-util, a plain accept loop. `STORE` is the examples' `Greetings` that
//! the provider states change, and `greeting_response` their framework-free handler:
//!
//! ```ignore
//! // examples/web-stacks/tests/hyper_listener.rs
//! use std::convert::Infallible;
//!
//! use http_body_util::Full;
//! use hyper::body::{Bytes, Incoming};
//! use hyper::header::CONTENT_TYPE;
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//! use hyper::{Method, Request, Response, StatusCode};
//! use hyper_util::rt::TokioIo;
//! use pact_runtime::pact_provider_test;
//! use web_stacks::{greeting_response, Greetings};
//!
//! async fn route(greetings: Greetings, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     let name = request.uri().path().strip_prefix("/greetings/").filter(|name| !name.is_empty() && !name.contains('/'));
//!     let (status, body) = match (request.method(), name) {
//!         (&Method::GET, Some(name)) => greeting_response(&greetings, name),
//!         _ => (404, serde_json::json!({ "error": "not found" })),
//!     };
//!     let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
//!     *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
//!     response.headers_mut().insert(CONTENT_TYPE, "application/json".parse().expect("a valid header value"));
//!     Ok(response)
//! }
//!
//! #[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
//! async fn hyper_honours_the_pact(listener: tokio::net::TcpListener) -> std::io::Result<()> {
//!     loop {
//!         let (stream, _) = listener.accept().await?;
//!         let greetings = STORE.clone();
//!         tokio::spawn(async move {
//!             let service = service_fn(move |request| route(greetings.clone(), request));
//!             if let Err(error) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
//!                 eprintln!("hyper connection error: {error}");
//!             }
//!         });
//!     }
//! }
//! ```
//!
//! ## actix-web: its own system on its own thread
//!
//! actix-web serves a std listener in an actix `System`. Run that system on a thread of its own,
//! resolve when its server ends (so a crash fails the test), and stop the server when the
//! runtime drops the future, or the thread and its workers outlive the verification:
//!
//! ```ignore
//! // examples/web-stacks/tests/actix.rs
//! use actix_web::dev::ServerHandle;
//! use actix_web::http::StatusCode;
//! use actix_web::{rt::System, web, App, HttpResponse, HttpServer};
//! use pact_runtime::pact_provider_test;
//! use web_stacks::{greeting_response, Greetings};
//!
//! async fn get_greeting(greetings: web::Data<Greetings>, name: web::Path<String>) -> HttpResponse {
//!     let (status, body) = greeting_response(&greetings, &name);
//!     HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)).json(body)
//! }
//!
//! #[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
//! async fn actix_web_honours_the_pact(listener: tokio::net::TcpListener) -> Result<(), String> {
//!     // actix serves a std listener; `into_std` keeps it non-blocking, as actix's `listen` wants.
//!     let listener = listener.into_std().map_err(|err| err.to_string())?;
//!     let greetings = STORE.clone();
//!     let server = HttpServer::new(move || {
//!         App::new().app_data(web::Data::new(greetings.clone())).route("/greetings/{name}", web::get().to(get_greeting))
//!     })
//!     .workers(1)
//!     .disable_signals()
//!     .listen(listener)
//!     .map_err(|err| err.to_string())?
//!     .run();
//!     // pact-runtime drops this future when verification ends: stop the server, and so its thread.
//!     let _stop = StopOnDrop(server.handle());
//!     let (ended, server_ended) = tokio::sync::oneshot::channel();
//!     std::thread::spawn(move || {
//!         let _ = ended.send(System::new().block_on(server));
//!     });
//!     match server_ended.await {
//!         Ok(outcome) => outcome.map_err(|err| format!("actix-web failed: {err}")),
//!         Err(_) => Err("the actix-web server thread panicked".to_string()),
//!     }
//! }
//!
//! /// Stops an actix server when dropped.
//! struct StopOnDrop(ServerHandle);
//!
//! impl Drop for StopOnDrop {
//!     fn drop(&mut self) {
//!         // `stop` sends the command at once; the returned future only waits for it to finish.
//!         drop(self.0.stop(false));
//!     }
//! }
//! ```
//!
//! ## A server that is already running: return its base URL
//!
//! For a provider written in another language, or one that `docker compose` started, return
//! where it listens; the runtime only waits until it accepts connections. The provider states
//! must then reach that server, e.g. through a test-only endpoint of its own.
//!
//! ```no_run
//! use pact_runtime::pact_provider_test;
//!
//! #[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
//! async fn compose_service_honours_the_pact() -> Result<String, std::env::VarError> {
//!     std::env::var("GREETING_SERVICE_URL") // e.g. `http://127.0.0.1:8080`, set by the CI job
//! }
//! # fn main() {}
//! ```
//!
//! A server started once, outside the test's function, on its own thread and runtime:
//!
//! ```no_run
//! use std::sync::LazyLock;
//!
//! use pact_runtime::pact_provider_test;
//!
//! /// The base URL of the greetings server, started on first use.
//! static RUNNING_SERVER: LazyLock<String> = LazyLock::new(|| {
//!     let (bound, address) = std::sync::mpsc::channel();
//!     std::thread::spawn(move || {
//!         let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
//!         runtime.block_on(async move {
//!             let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("a loopback port");
//!             bound.send(listener.local_addr().expect("a bound address")).expect("the test waits for the address");
//!             axum::serve(listener, axum::Router::new()).await.expect("the greetings server runs");
//!         });
//!     });
//!     format!("http://{}", address.recv().expect("the greetings server binds"))
//! });
//!
//! #[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
//! async fn running_server_honours_the_pact() -> String {
//!     RUNNING_SERVER.clone()
//! }
//! # fn main() {}
//! ```
//!
//! ## A base path
//!
//! When the app is mounted under a path, `base_path` (or `PACT_PROVIDER_BASE_PATH`, see
//! [`config`]) prefixes every request path in the pacts with it. It works with every form.
//!
//! ```no_run
//! use pact_runtime::pact_provider_test;
//!
//! #[pact_provider_test(provider = "GreetingService", pacts = "pacts", base_path = "/api")]
//! async fn api_under_base_path_honours_the_pact() -> axum::Router {
//!     axum::Router::new().nest("/api", axum::Router::new()) // your app's routes
//! }
//! # fn main() {}
//! ```

#![doc = include_str!("../docs/guide.md")]
#![deny(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]

// Each module uses only the layers below its own (see "Architecture" above).
pub mod app;
mod broker;
pub mod config;
mod endpoint;
mod engine;
mod functions;
pub mod harness;
mod hooks;
pub mod message;
mod pacts;
mod provider_test;
pub mod report;
mod session;
mod state_server;
mod states;
mod util;

pub use config::Settings;
pub use hooks::{HookContext, IntoHookResult, ProviderRequest};
pub use message::{Json, Message, MessageRequest};
pub use provider_test::verify_provider;
pub use report::{Failure, InteractionResult, VerificationReport};
pub use session::RunError;
pub use state_server::StateServer;
pub use states::{FromStateParams, FromStatePlaceholder, IntoStateValues, StateValues};
pub use util::install_crypto_provider;

/// Registers a provider-state function.
///
/// The attribute takes the state text as the pact writes it, with optional `{placeholders}`,
/// and these options:
///
/// | option | meaning |
/// |---|---|
/// | `provider = "Name"` | serve this state only when verifying provider `Name` (unscoped states serve every provider; a scoped state wins over an unscoped one) |
/// | `teardown` | run after the interaction instead of before it |
/// | `crate = "path"` | where `pact_runtime` is, if you renamed it |
///
/// # Arguments
///
/// The runtime resolves each argument by its name and type; the macro does not look at types:
///
/// - an argument named like a `{placeholder}` is parsed from the captured text with `FromStr`;
/// - any other argument is deserialised from the state's params object: a
///   `serde_json::Map<String, Value>`, a `HashMap<String, Value>`, or your own
///   `#[derive(Deserialize)]` struct.
///
/// # Matching rules
///
/// - `user {id} exists` serves the state `user 42 exists` (`id` = `"42"`). Each placeholder
///   captures at least one character; `{{` and `}}` are literal braces.
/// - It also serves the V3 state `user exists` with params `{"id": 42}`: the pattern's text
///   with its placeholders taken out, when the params hold every placeholder.
/// - A pattern that is one placeholder, `{state}`, is a catch-all: it serves every state (the
///   argument `state` gets the text). Another function of the same scope that serves a state
///   overlaps it; keep the catch-all unscoped and scope specific functions with `provider`,
///   which then win:
///
/// ```
/// use pact_runtime::provider_state;
/// use serde_json::{Map, Value};
///
/// // Every state without a function of its own, e.g. loaded from fixtures.
/// #[provider_state("{state}")]
/// fn any_state(state: String, params: Map<String, Value>) -> Result<(), String> {
///     println!("setting up `{state}` with {params:?}");
///     Ok(())
/// }
///
/// // Scoped, so it wins over the catch-all when verifying `UserService`.
/// #[provider_state("user {id} exists", provider = "UserService")]
/// fn user_exists(id: u64) {
/// # let _ = id;
/// }
/// # fn main() {}
/// ```
///
/// - An empty state text is a no-op. A teardown with no function is a no-op.
/// - Two functions that serve the same state for the same provider are an error before any
///   interaction runs, listing both locations.
///
/// # Return values
///
/// `()`, `Result<T, E: Display>` (an `Err` fails the interaction with its message),
/// `Option<T>`, or values for `fromProviderState` generators: a `serde_json::Map`, a
/// `HashMap<String, _>`, or [`StateValues`] around any `Serialize` struct.
///
/// A `fromProviderState` expression (`${id}`) looks a name up in the values the states'
/// functions returned, then in the states' params, then in the placeholders their patterns
/// matched, typed as the argument took them (integers and floats as JSON numbers, `bool` as a
/// boolean, anything else as its text). So `fn user_exists(id: u64)` for `user {id} exists`
/// feeds `${id}` without returning it. A name none of them has fails the interaction before its
/// request.
///
/// ```
/// use pact_runtime::{provider_state, StateValues};
/// use serde_json::{Map, Value};
///
/// #[provider_state("a user exists")]
/// async fn a_user_exists(params: Map<String, Value>) -> Result<(), String> {
///     params.get("name").map(|_| ()).ok_or_else(|| "no name given".to_string())
/// }
///
/// #[derive(serde::Serialize)]
/// struct Created { id: u64 }
///
/// #[provider_state("an order {order} exists", provider = "OrderService")]
/// fn an_order_exists(order: u32) -> StateValues<Created> {
///     StateValues(Created { id: u64::from(order) })
/// }
///
/// #[provider_state("an order {order} exists", teardown)]
/// fn remove_order(order: u32) {
/// # let _ = order;
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use pact_macros::provider_state;

/// Generates a `#[test]` that boots the provider and verifies it against pacts.
///
/// It goes on an `async fn` that builds the provider, in one of these forms (see [`app`]):
///
/// - `async fn() -> axum::Router`: the router is served on an ephemeral loopback port;
/// - `async fn(tokio::net::TcpListener)`: serve on the listener (any tokio server);
/// - `async fn() -> String`: the base URL of a server that is already running.
///
/// Options (every one can be overridden by an environment variable, see [`config`]):
///
/// | option | meaning |
/// |---|---|
/// | `provider = "Name"` | the provider to verify (default: the one the pacts name) |
/// | `pacts = "..."` | a pact file, a directory or an `http(s)://` URL; repeat for more (default: `pacts`) |
/// | `state_path = "/..."` | path of the state endpoint [`StateServer`] serves (default: `/_pact/provider_states`; the test itself calls its functions in-process) |
/// | `boot_timeout_ms = N` | how long the app may take to accept connections (default: 10000) |
/// | `max_body_bytes = N` | the largest response or message body read; a larger one fails its interaction (default: 16777216, 16 MiB) |
/// | `broker_url = "..."` | verify the pacts a Pact Broker selects instead of local ones |
/// | `consumer_version_selectors = r#"[...]"#` | selectors as JSON (checked when the macro expands) |
/// | `publish = true` | publish verification results (needs `provider_version` or `GIT_COMMIT`) |
/// | `custom_headers = "Name: value"` | headers added to every request to the provider (repeatable, comma-separated) |
/// | `junit_report = "path"`, `json_report = "path"`, `html_report = "path"` | write JUnit XML, JSON and HTML reports (see [`report`]) |
/// | `fail_fast = true` | stop at the first interaction that fails the run; the rest are reported as skipped, and nothing is published |
/// | `last_failed = "path"` | verify only the interactions that failed in that JSON report (`true`: the one `json_report` names) |
/// | `dedupe_interactions = false` | verify each pact's copy of an interaction identical in several pacts of one consumer (on by default: verified once, reported for each pact) |
/// | `harness` | generate the `fn main` of a `harness = false` target with a test per interaction (see [`harness`]) |
/// | `crate = "path"` | where `pact_runtime` is, if you renamed it |
///
/// Every option, with the environment variables that override it (broker credentials, branch,
/// tags, pending, WIP, filters, webhook mode), is in the table of the [`config`] module.
///
/// The test prints a report with a line per interaction and fails with a summary naming every
/// failing interaction: consumer, description, states and mismatches.
///
/// ```no_run
/// use pact_runtime::pact_provider_test;
///
/// #[pact_provider_test(provider = "UserService", pacts = "pacts/consumer-UserService.json")]
/// async fn serves_on_listener(listener: tokio::net::TcpListener) -> std::io::Result<()> {
///     axum::serve(listener, axum::Router::new()).await
/// }
///
/// #[pact_provider_test(provider = "UserService")]
/// async fn already_running() -> String {
///     "http://127.0.0.1:8080".to_string()
/// }
/// # fn main() {}
/// ```
///
/// Every attribute option at once (each one is overridable from the environment; credentials
/// only come from the environment or the broker URL's userinfo):
///
/// ```no_run
/// use pact_runtime::pact_provider_test;
///
/// #[pact_provider_test(
///     provider = "UserService",
///     pacts = "pacts",
///     pacts = "https://pacts.example/latest.json",
///     base_path = "/api",
///     state_path = "/_pact/provider_states",
///     boot_timeout_ms = 10000,
///     request_timeout_ms = 30000,
///     follow_redirects = false,
///     state_timeout_ms = 30000,
///     max_body_bytes = 16777216,
///     broker_url = "https://broker.example",
///     ca_bundle = "certs/ca.pem",
///     consumer_version_selectors = r#"[{"mainBranch": true}, {"deployedOrReleased": true}]"#,
///     provider_branch = "main",
///     provider_tags = "dev, candidate",
///     enable_pending = true,
///     include_wip_pacts_since = "2024-01-01",
///     publish = true,
///     provider_version = "1.0.0",
///     build_url = "https://ci.example/builds/1",
///     filter_description = "^a request for user",
///     filter_state = "exists$",
///     filter_consumer = "UserServiceClient",
///     custom_headers = "Authorization: Bearer test-token",
///     junit_report = "target/pact-junit.xml",
///     json_report = "target/pact-report.json",
///     fail_fast = true,
///     last_failed = "target/pact-report.json",
///     dedupe_interactions = true,
///     missing_states = "warn",
///     unused_states = "warn",
///     no_pacts = "fail",
///     crate = "pact_runtime",
/// )]
/// async fn every_option() -> axum::Router {
///     axum::Router::new()
/// }
///
/// // `filter_no_state` excludes `filter_state`; `harness` writes a `harness = false` target's
/// // `fn main` with a test per interaction (see [`harness`]).
/// #[pact_provider_test(harness, provider = "UserService", filter_no_state = true)]
/// async fn per_interaction() -> axum::Router {
///     axum::Router::new()
/// }
/// ```
#[doc(inline)]
pub use pact_macros::pact_provider_test;

/// Registers a function that runs before each interaction, ahead of its state setups.
///
/// The function is `fn` or `async fn`, takes nothing or a [`HookContext`], and returns `()` or
/// `Result<(), E: Display>`; an `Err` (or a panic) fails the interaction with its message and
/// skips its setups and request. For each interaction the engine runs, in order:
///
/// 1. every `#[before_each]` hook;
/// 2. the setup of each provider state (stopping at the first failure);
/// 3. every [`macro@request_filter`], then the request (only when everything before succeeded);
/// 4. the teardown of each state that was set up, in reverse order;
/// 5. every [`macro@after_each`] hook.
///
/// Every hook runs exactly once per interaction, also when a hook, a setup or the request
/// failed: so an `after_each` can always clean up after a `before_each`. Hooks of one kind run
/// in source order (file, then line). Hooks are in-process: they run under this crate's engine
/// (`#[pact_provider_test]` and the [`harness`]), not when another Pact verifier drives a
/// [`StateServer`]; an interaction skipped because the app had stopped runs no hook. Options:
///
/// | option | meaning |
/// |---|---|
/// | `provider = "Name"` | run only when verifying provider `Name` (unscoped hooks run for every provider) |
/// | `crate = "path"` | where `pact_runtime` is, if you renamed it |
///
/// ```
/// use pact_runtime::{after_each, before_each, HookContext};
///
/// #[before_each]
/// fn start_clean() {
///     // truncate the tables the app reads
/// }
///
/// #[before_each(provider = "UserService")]
/// async fn log(interaction: HookContext) -> Result<(), String> {
///     println!("{} › {}", interaction.consumer, interaction.description);
///     Ok(())
/// }
///
/// #[after_each]
/// fn check_no_leftovers() -> Result<(), std::io::Error> {
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use pact_macros::before_each;

/// Registers a function that runs after each interaction, after its state teardowns.
///
/// It runs exactly once per interaction, whatever failed before it. Same forms and options as
/// [`macro@before_each`]; an `Err` fails the interaction with its message.
///
/// ```
/// use pact_runtime::after_each;
///
/// #[after_each(provider = "UserService")]
/// async fn flush_caches() {}
/// # fn main() {}
/// ```
#[doc(inline)]
pub use pact_macros::after_each;

/// Registers a function that changes every request before it is sent to the provider, e.g. to
/// add an auth header the pact leaves out.
///
/// It takes `&mut` [`ProviderRequest`], is `fn` or `async fn`, and returns `()` or
/// `Result<(), E: Display>`; an `Err` (or a panic) fails the interaction, and its request is
/// not sent. Like the hooks, each is bounded by `state_timeout_ms` (see the README, "When things
/// go wrong"): a filter that blocks or never returns fails its interaction, naming the
/// filter and the bound, and the next interactions go on. Filters run in source order, after
/// the state setups. Same options as
/// [`macro@before_each`]. For fixed headers, the `custom_headers` option (or
/// `PACT_CUSTOM_HEADERS`) needs no code.
///
/// ```
/// use pact_runtime::{request_filter, ProviderRequest};
///
/// #[request_filter(provider = "UserService")]
/// fn add_auth(request: &mut ProviderRequest) {
///     request.set_header("Authorization", "Bearer test-token");
/// }
///
/// #[request_filter]
/// async fn sign(request: &mut ProviderRequest) -> Result<(), String> {
///     let body = request.body_text().unwrap_or_default();
///     request.set_header("X-Signature", format!("{}", body.len()));
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use pact_macros::request_filter;

/// Registers a function that produces a message, for message pacts (V3 messages, V4
/// asynchronous and synchronous messages).
///
/// The attribute takes the message's description as the pact writes it (runs of whitespace
/// count as one space), with optional `{placeholders}` under the same rules as
/// [`provider_state`]: each captures at least one character into the argument of its name
/// (parsed with `FromStr`), and `{{`/`}}` are literal braces. One function can so produce a
/// table of messages, and `{description}` alone is a catch-all. A producer scoped to the
/// provider wins over an unscoped one, then an exact description over a pattern; two patterns
/// that match one description are an error naming both. Options:
///
/// | option | meaning |
/// |---|---|
/// | `provider = "Name"` | produce it only when verifying provider `Name` (a scoped producer wins over an unscoped one) |
/// | `crate = "path"` | where `pact_runtime` is, if you renamed it |
///
/// The interaction's provider states are set up first, by the `#[provider_state]` functions,
/// exactly as for HTTP interactions; then the function produces the message, which is matched
/// with Pact's own message matching (body with the pact's matching rules, and metadata).
///
/// # Arguments
///
/// None, or any number resolved by type through [`message::FromMessageRequest`]:
/// [`MessageRequest`] (the description, the states, their merged params, and a synchronous
/// message's request), or anything deserialisable from the merged params of the states: a
/// `serde_json::Map<String, Value>` or your own `#[derive(Deserialize)]` struct.
///
/// # Return values
///
/// [`Message`] (`Message::json(..)`, `Message::text(..)`, `Message::bytes(content_type, ..)`,
/// each `.with_metadata(key, value)`), a `serde_json::Value` (a JSON message),
/// [`message::Json`] around any `Serialize` value, a `String` (a text message), or a
/// `Result` of one of these whose `Err: Display` fails the interaction with its message.
/// The function is `fn` or `async fn`.
///
/// ```
/// use pact_runtime::{message, message::Json, Message, MessageRequest};
/// use serde_json::json;
///
/// #[message("an order created event")]
/// fn order_created() -> Message {
///     Message::json(json!({ "id": 1, "total": 9.5 })).with_metadata("topic", "orders")
/// }
///
/// #[derive(serde::Deserialize)]
/// struct Params { id: u64 }
///
/// #[derive(serde::Serialize)]
/// struct Shipped { id: u64, carrier: &'static str }
///
/// #[message("an order shipped event", provider = "OrderService")]
/// async fn order_shipped(params: Params) -> Result<Json<Shipped>, String> {
///     Ok(Json(Shipped { id: params.id, carrier: "post" }))
/// }
///
/// #[message("an audit line")]
/// fn audit_line(request: MessageRequest) -> Message {
///     Message::text(format!("{} with {} state(s)", request.description, request.provider_states.len()))
/// }
///
/// // One producer for a table of events: `a product created event`, `a price changed event`, ...
/// #[message("a {entity} {change} event", provider = "CatalogueService")]
/// fn catalogue_event(entity: String, change: String) -> Result<Message, String> {
///     let body = match (entity.as_str(), change.as_str()) {
///         ("product", "created") => json!({ "type": "ProductCreated", "id": "10" }),
///         ("price", "changed") => json!({ "type": "PriceChanged", "price": 9.5 }),
///         _ => return Err(format!("no `{entity} {change}` event in the catalogue")),
///     };
///     Ok(Message::json(body).with_metadata("topic", entity))
/// }
///
/// // The catch-all: every description no other producer of the provider serves.
/// #[message("{description}", provider = "AuditService")]
/// fn any_message(description: String) -> Message {
///     Message::text(format!("generic payload for {description}"))
/// }
/// # fn main() {}
/// ```
///
/// The generated endpoint serves these messages to other Pact verifiers too, at
/// `/_pact/messages` (see [`mod@message`]).
#[doc(inline)]
pub use pact_macros::message;

/// What the macros expand to, and the internals this repository's tests, benchmarks and
/// compatibility harness reach for. **Not a public API**: nothing here is covered by semver, and
/// any of it may change in a patch release.
#[doc(hidden)]
pub mod __private {
    // What the macros expand to.
    pub use crate::config::ProviderTestSpec;
    pub use crate::harness::run as run_harness;
    pub use crate::hooks::{
        HookContext, HookFuture, HookKind, HookRegistration, IntoHookResult, ProviderRequest, RequestFilterFuture,
        RequestFilterRegistration,
    };
    pub use crate::message::registry::{
        message_argument, message_placeholder_argument, MessageFuture, MessageRegistration,
    };
    pub use crate::message::{IntoMessage, MessageRequest};
    pub use crate::provider_test::run_provider_test;
    pub use crate::states::arguments::{params_argument, placeholder_argument};
    pub use crate::states::{IntoStateValues, SourceLocation, StateAction, StateCall, StateFuture, StateRegistration};
    pub use inventory;

    /// Type-checks a `#[pact_provider_test]` function in every build, not only under `cargo test`.
    pub fn assert_provider_app<Form, App: crate::app::ProviderApp<Form>>(_app: App) {}

    // The internals the repository's own tests, benchmarks and compatibility harness drive.
    pub use crate::broker::BrokerClient;
    pub use crate::endpoint::{StateEndpoint, CONNECTION_TIMEOUT, DEFAULT_STATE_PATH, MAX_BODY_BYTES};
    pub use crate::engine::{http_client, http_client_with, Engine, EngineConfig, RunChecks, SupervisedChecks};
    pub use crate::functions::ProviderFunctions;
    pub use crate::hooks::Hooks;
    pub use crate::message::registry::MessageRegistry;
    pub use crate::pacts::{load_pacts, LoadedPact};
    pub use crate::report::progress::Progress;
    pub use crate::states::protocol::parse_state_change;
    pub use crate::states::StateRegistry;
    pub use pact_syntax::options::OPTIONS;
    pub use pact_syntax::pattern::{Segment, StatePattern};
}
