//! The provider-state endpoint: a real HTTP server on loopback that speaks the standard Pact
//! state-change protocol, so our engine and any other Pact verifier can drive the registered
//! `#[provider_state]` functions.
//!
//! Every path is under a secret segment made per endpoint, `/{secret}{path}`, which
//! [`StateEndpoint::url`] includes: the engine and the verifiers given that URL reach it,
//! nothing else on the machine does.
//!
//! | request | answer |
//! |---|---|
//! | any path without the secret segment | `403`, nothing runs |
//! | a non-empty body without `Content-Type: application/json` | `415`, nothing runs |
//! | `POST {path}` with `{"state", "params", "action"}` (or the same as a query string) | `200` and the JSON object of the function's values |
//! | an empty `state` (verifiers send one for interactions without states) | `200 {}` |
//! | malformed JSON, no `state`, an unknown `action`, a body over 64 KiB | `400 {"error": ...}` |
//! | a body that takes longer than [`CONNECTION_TIMEOUT`] to arrive | `408 {"error": ...}`, nothing runs |
//! | no function serves the state (the message lists the closest registered states and a stub to paste), two do, or it failed, panicked or timed out | `422 {"error": ...}` |
//! | any other path under the secret | `404` |
//!
//! Started with [`StateEndpoint::start_with_messages`] (as `#[pact_provider_test]` does), it
//! also serves the `#[message]` functions at [`DEFAULT_MESSAGE_PATH`] (`/_pact/messages`), in
//! the protocol Pact verifiers use for message providers: see [`mod@crate::message`].
//!
//! State failures answer `422`, not `5xx`, because Pact verifiers retry `5xx` answers and a
//! failing state function fails the same way every time.
//!
//! A connection has [`CONNECTION_TIMEOUT`] to send a request's headers, counted from when it
//! opens or from the end of its previous answer: one that sends them too slowly, or sits idle
//! that long, is closed, so no local process can hold connections open forever.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::functions::ProviderFunctions;
use crate::message::protocol::parse_message_request;
use crate::message::registry::{MessageRegistry, ProduceError};
use crate::message::{DEFAULT_MESSAGE_PATH, METADATA_HEADER};
use crate::states::protocol::parse_state_change;
use crate::states::{StateAction, StateRegistry};

/// The default path of the state-change endpoint.
pub const DEFAULT_STATE_PATH: &str = "/_pact/provider_states";

/// The largest state-change body the endpoint accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a connection to the endpoint may take to send a request's headers (and then its
/// body), counted from when it opens or from the end of its previous answer; a connection that
/// is slower, or idle that long, is closed. The engine's client (`http_client`) lets its pooled
/// connections go after half as long, so it never reuses one the endpoint is about to close.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// A running state endpoint. Dropping it shuts the server down.
#[derive(Debug)]
pub struct StateEndpoint {
    url: String,
    address: SocketAddr,
    /// The per-run path segment every request must start with.
    secret: String,
    shutdown: Option<oneshot::Sender<()>>,
}

/// A fresh unguessable path segment: 128 random bits in hex.
fn run_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|err| std::io::Error::other(format!("no randomness for the endpoint's secret: {err}")))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

impl StateEndpoint {
    /// Starts the endpoint on `127.0.0.1` and an ephemeral port, serving `registry` at `path`.
    /// State changes run one at a time, so a provider's states never interleave.
    pub async fn start(registry: StateRegistry, path: &str, state_timeout: Duration) -> std::io::Result<StateEndpoint> {
        Self::start_with_messages(registry, MessageRegistry::default(), path, state_timeout).await
    }

    /// Like [`StateEndpoint::start`], and also serves the producers of `messages` at
    /// [`DEFAULT_MESSAGE_PATH`] (see [`mod@crate::message`]); each has `state_timeout` to produce
    /// its message. A state `path` equal to the message path serves only states.
    pub async fn start_with_messages(
        registry: StateRegistry,
        messages: MessageRegistry,
        path: &str,
        state_timeout: Duration,
    ) -> std::io::Result<StateEndpoint> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let secret = run_secret()?;
        let functions = ProviderFunctions::new(registry, messages, state_timeout);
        let mut inner = Router::new().route(path, any(handle_state_change));
        if path != DEFAULT_MESSAGE_PATH {
            inner = inner.route(DEFAULT_MESSAGE_PATH, any(handle_message));
        }
        let inner = inner.fallback(|| async {
            (StatusCode::NOT_FOUND, error_body("not found: state changes are POSTed to the state path"))
        });
        // Only who knows the run's secret reaches a function: any other local process (or a web
        // page in a browser on this machine) gets 403 and runs nothing.
        let router = Router::new()
            .nest(&format!("/{secret}"), inner)
            .fallback(|| async {
                (
                    StatusCode::FORBIDDEN,
                    error_body(
                        "forbidden: use the state-change URL this run gives out (StateServer::state_change_url)",
                    ),
                )
            })
            .with_state(functions.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, router, stopped));
        Ok(StateEndpoint { url: format!("http://{address}/{secret}{path}"), address, secret, shutdown: Some(shutdown) })
    }

    /// The full URL to POST state changes to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The full URL to POST message requests to: [`DEFAULT_MESSAGE_PATH`] on this endpoint.
    pub fn message_url(&self) -> String {
        format!("http://{}/{}{DEFAULT_MESSAGE_PATH}", self.address, self.secret)
    }

    /// The loopback address the endpoint listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for StateEndpoint {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Serves `router` on `listener` until `stopped` fires, each connection bounded by
/// [`CONNECTION_TIMEOUT`]. Connections still open then are dropped with the server.
async fn serve(listener: TcpListener, router: Router, stopped: oneshot::Receiver<()>) {
    let mut connections = tokio::task::JoinSet::new();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, say: wait a little instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(CONNECTION_TIMEOUT);
            let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
        });
    }
}

/// The body of `request`, at most [`MAX_BODY_BYTES`] of it, within [`CONNECTION_TIMEOUT`].
async fn read_body(request: Request, what: &str) -> Result<axum::body::Bytes, Response> {
    // A declared length over the limit is refused at once, not after waiting for the body.
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|declared| *declared > MAX_BODY_BYTES as u64) {
        return Err(bad_request(format!(
            "{what} body is {declared} bytes (Content-Length), larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    match tokio::time::timeout(CONNECTION_TIMEOUT, to_bytes(request.into_body(), MAX_BODY_BYTES)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(_)) => Err(bad_request(format!("{what} body is larger than {MAX_BODY_BYTES} bytes"))),
        Err(_) => Err((
            StatusCode::REQUEST_TIMEOUT,
            error_body(&format!("{what} body did not arrive within {CONNECTION_TIMEOUT:?}")),
        )
            .into_response()),
    }
}

async fn handle_state_change(State(functions): State<ProviderFunctions>, request: Request) -> Response {
    if request.method() != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")], error_body("state changes use POST"))
            .into_response();
    }
    let query = request.uri().query().map(str::to_string);
    let json_body = is_json(request.headers());
    let body = match read_body(request, "state-change").await {
        Ok(body) => body,
        Err(response) => return response,
    };
    // A body must say it is JSON: a browser sends `text/plain` cross-origin without asking first.
    if !json_body && !body.iter().all(u8::is_ascii_whitespace) {
        return unsupported_media_type("state-change bodies are JSON: send `Content-Type: application/json`, or the state as a query string with an empty body");
    }
    let change = match parse_state_change(&body, query.as_deref()) {
        Ok(change) => change,
        Err(error) => return (status(error.status), error_body(&error.message)).into_response(),
    };
    let (params, action) = (change.params.clone(), change.action);
    match functions.change_state(change).await {
        Ok(changed) => {
            // Only a setup's values reach `fromProviderState` expressions.
            let values = if action == StateAction::Setup { changed.answer(&params) } else { changed.returned };
            (StatusCode::OK, axum::Json(Value::Object(values))).into_response()
        }
        Err(error) => (status(error.status), error_body(&error.message)).into_response(),
    }
}

async fn handle_message(State(functions): State<ProviderFunctions>, request: Request) -> Response {
    if request.method() != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")], error_body("message requests use POST"))
            .into_response();
    }
    let json_body = is_json(request.headers());
    let body = match read_body(request, "message request").await {
        Ok(body) => body,
        Err(response) => return response,
    };
    if !json_body {
        return unsupported_media_type("message requests are JSON: send `Content-Type: application/json`");
    }
    let request = match parse_message_request(&body) {
        Ok(request) => request,
        Err(error) => return (status(error.status), error_body(&error.message)).into_response(),
    };
    match functions.produce_message(request).await {
        Ok(message) => {
            use base64::Engine as _;
            let metadata =
                base64::engine::general_purpose::STANDARD.encode(Value::Object(message.metadata().clone()).to_string());
            let mut response = Response::new(axum::body::Body::from(message.contents().to_vec()));
            if let Ok(content_type) = header::HeaderValue::from_str(message.content_type()) {
                response.headers_mut().insert(header::CONTENT_TYPE, content_type);
            }
            if let Ok(metadata) = header::HeaderValue::from_str(&metadata) {
                response.headers_mut().insert(METADATA_HEADER, metadata);
            }
            response
        }
        Err(ProduceError { endpoint: error, .. }) => (status(error.status), error_body(&error.message)).into_response(),
    }
}

/// True for `application/json` and `application/*+json`, with any parameters.
fn is_json(headers: &header::HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn unsupported_media_type(message: &str) -> Response {
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, error_body(message)).into_response()
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, error_body(&message)).into_response()
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn error_body(message: &str) -> axum::Json<Value> {
    axum::Json(json!({ "error": message }))
}
