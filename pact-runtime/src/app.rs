//! Booting the provider under test. The runtime picks the way to boot from the type of the
//! `#[pact_provider_test]` function, through [`ProviderApp`]:
//!
//! | the function | what happens |
//! |---|---|
//! | `async fn() -> axum::Router` | the router is served on `127.0.0.1:0` |
//! | `async fn(tokio::net::TcpListener)` | the listener is bound to `127.0.0.1:0`; the function serves on it |
//! | `async fn() -> String` (or `&'static str`, `url::Url`) | the server already runs at that base URL |
//! | `async fn() -> tonic::transport::server::Router` (`plugins` feature) | the gRPC server is served on `127.0.0.1:0` (HTTP/2), and the pact's `grpc` transport points at it |
//! | `async fn() -> (axum::Router, tonic::transport::server::Router)` (`plugins` feature) | each on a port of its own: HTTP interactions go to the axum app, `grpc` ones to the tonic server |
//!
//! Each may also return `Result<_, E: Display>`; an `Err` fails the test with its message.
//!
//! A single tonic service is served as a router: `Server::builder().add_service(svc)`, or
//! `tonic::service::Routes::new(svc)` given to `Server::builder().add_routes(..)`.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A provider that is up: where to reach it, and the task serving it (if we started one).
#[doc(hidden)] // what `ProviderApp` answers; only the runtime looks inside
#[derive(Debug)]
pub struct BootedApp {
    base_url: String,
    server: Option<JoinHandle<Result<(), String>>>,
    /// Why the server task ended, once it has: a finished task can be read only once.
    exited: Option<String>,
    /// The ports of the app's other transports (`grpc`), by name, on the base URL's host.
    transports: Vec<(String, u16)>,
    /// A second server task (the gRPC one of a mixed app).
    other_server: Option<JoinHandle<Result<(), String>>>,
}

impl BootedApp {
    /// A provider running elsewhere, reached at `base_url`.
    pub fn external(base_url: impl Into<String>) -> BootedApp {
        BootedApp {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            server: None,
            exited: None,
            transports: Vec::new(),
            other_server: None,
        }
    }

    /// A provider served by `server` on `listener_address`.
    pub fn served(listener_address: std::net::SocketAddr, server: JoinHandle<Result<(), String>>) -> BootedApp {
        BootedApp {
            base_url: format!("http://{listener_address}"),
            server: Some(server),
            exited: None,
            transports: Vec::new(),
            other_server: None,
        }
    }

    /// The app also serves `transport` (such as `grpc`) on `port` of the same host.
    pub fn with_transport(mut self, transport: impl Into<String>, port: u16) -> BootedApp {
        self.transports.push((transport.into(), port));
        self
    }

    /// The ports of the app's other transports, by name.
    pub fn transports(&self) -> &[(String, u16)] {
        &self.transports
    }

    /// The provider's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Why the server task ended, if it has.
    pub fn exit_reason(&mut self) -> Option<String> {
        if self.exited.is_none() {
            let server = self.server.as_mut()?;
            if !server.is_finished() {
                return None;
            }
            let outcome = futures::FutureExt::now_or_never(server)?;
            self.server = None;
            self.exited = Some(match outcome {
                Ok(Ok(())) => "the provider app stopped serving".to_string(),
                Ok(Err(error)) => format!("the provider app failed: {error}"),
                Err(join_error) if join_error.is_panic() => format!(
                    "the provider app panicked: {}",
                    crate::util::panic_message(join_error.into_panic().as_ref())
                ),
                Err(_) => "the provider app was cancelled".to_string(),
            });
        }
        self.exited.clone()
    }

    /// Waits until the provider answers on its address, or fails after `timeout` naming the
    /// address it tried.
    ///
    /// Accepting a TCP connection is not enough: a bound listener that nobody serves on
    /// completes the handshake too. So each attempt sends `HEAD /` and waits for the app to
    /// answer anything, or close the connection; its status does not matter.
    pub async fn wait_until_ready(&mut self, timeout: Duration) -> Result<(), AppError> {
        let address = socket_address(&self.base_url)?;
        let deadline = Instant::now() + timeout;
        let mut silent = false;
        loop {
            if let Some(reason) = self.exit_reason() {
                return Err(AppError(format!("{reason} before it accepted connections on {address}")));
            }
            match probe(&address, deadline.saturating_duration_since(Instant::now())).await {
                Probe::Answered => return Ok(()),
                Probe::Refused => {}
                Probe::Silent => silent = true,
            }
            if Instant::now() >= deadline {
                return Err(AppError(if silent {
                    format!(
                        "the provider app accepts TCP connections on {address} but did not answer an HTTP request within {timeout:?}: does the app function serve on the listener it is given? (raise `boot_timeout_ms` or PACT_APP_BOOT_TIMEOUT_MS if it boots slowly)"
                    )
                } else {
                    format!(
                        "the provider app did not accept connections on {address} within {timeout:?} (raise `boot_timeout_ms` or PACT_APP_BOOT_TIMEOUT_MS if it boots slowly)"
                    )
                }));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for BootedApp {
    fn drop(&mut self) {
        for server in [&self.server, &self.other_server].into_iter().flatten() {
            server.abort();
        }
    }
}

/// What one readiness attempt saw.
enum Probe {
    /// The app answered `HEAD /`, or accepted and closed the connection.
    Answered,
    /// Nothing accepts connections on the address.
    Refused,
    /// A TCP connection was accepted, but nothing answered before the deadline.
    Silent,
}

async fn probe(address: &str, remaining: Duration) -> Probe {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let remaining = remaining.max(Duration::from_millis(50));
    let Ok(Ok(mut stream)) =
        tokio::time::timeout(remaining.min(Duration::from_millis(500)), TcpStream::connect(address)).await
    else {
        return Probe::Refused;
    };
    let request = format!("HEAD / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return Probe::Refused;
    }
    let mut first = [0u8; 1];
    match tokio::time::timeout(remaining, stream.read(&mut first)).await {
        Ok(Ok(_)) => Probe::Answered,
        Ok(Err(_)) => Probe::Refused,
        Err(_) => Probe::Silent,
    }
}

/// A failure to boot the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError(pub String);

impl Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AppError {}

fn socket_address(base_url: &str) -> Result<String, AppError> {
    let url = url::Url::parse(base_url)
        .map_err(|err| AppError(format!("the provider base URL `{base_url}` is not a URL: {err}")))?;
    let host = url.host_str().ok_or_else(|| AppError(format!("the provider base URL `{base_url}` has no host")))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| AppError(format!("the provider base URL `{base_url}` has no port")))?;
    Ok(match url.host() {
        Some(url::Host::Ipv6(_)) => format!("{host}:{port}"),
        _ => format!("{}:{port}", host.trim_start_matches('[').trim_end_matches(']')),
    })
}

/// Marks the `async fn()` form of [`ProviderApp`].
#[derive(Debug)]
pub enum BuildsApp {}

/// Marks the `async fn(TcpListener)` form of [`ProviderApp`].
#[derive(Debug)]
pub enum ServesOnListener {}

/// Functions that can provide the app under test. See the [module docs](self) for the forms.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot boot a provider for #[pact_provider_test]",
    note = "write `async fn app() -> axum::Router`, `async fn app(listener: tokio::net::TcpListener)` that serves on the listener, or `async fn app() -> String` returning the base URL of a running server"
)]
pub trait ProviderApp<Form>: Send + 'static {
    /// Boots the provider and answers where it is.
    fn boot(self) -> BoxFuture<'static, Result<BootedApp, AppError>>;
}

impl<F, Fut> ProviderApp<BuildsApp> for F
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoBootedApp,
{
    fn boot(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        Box::pin(async move { self().await.into_booted_app().await })
    }
}

impl<F, Fut> ProviderApp<ServesOnListener> for F
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ServerExit,
{
    fn boot(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        Box::pin(async move {
            let (listener, address) = bind_loopback().await?;
            let server = tokio::spawn(async move { self(listener).await.into_exit() });
            Ok(BootedApp::served(address, server))
        })
    }
}

async fn bind_loopback() -> Result<(TcpListener, std::net::SocketAddr), AppError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|err| AppError(format!("cannot bind 127.0.0.1:0 for the provider app: {err}")))?;
    let address = listener.local_addr().map_err(|err| AppError(err.to_string()))?;
    Ok((listener, address))
}

/// What an `async fn()` provider function may return.
#[diagnostic::on_unimplemented(
    message = "a #[pact_provider_test] function cannot return `{Self}`",
    note = "return an `axum::Router`, a `tonic::transport::server::Router` (with pact-runtime's `plugins` feature), or the base URL of a running server as `String`, `&'static str` or `url::Url`"
)]
pub trait IntoBootedApp: Send + 'static {
    /// Starts serving, if needed, and answers where the app is.
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>>;
}

impl IntoBootedApp for axum::Router {
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        Box::pin(async move {
            let (listener, address) = bind_loopback().await?;
            let server = tokio::spawn(async move { axum::serve(listener, self).await.map_err(|err| err.to_string()) });
            Ok(BootedApp::served(address, server))
        })
    }
}

/// Serves a tonic router on a loopback listener of its own.
#[cfg(feature = "plugins")]
async fn serve_grpc(
    router: tonic::transport::server::Router,
) -> Result<(std::net::SocketAddr, JoinHandle<Result<(), String>>), AppError> {
    let (listener, address) = bind_loopback().await?;
    // TCP_NODELAY, as tonic's own `Server::serve` sets it; it sets none on an incoming it is
    // given, and then an answer written in parts can wait for the client's delayed ACK.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = tokio::spawn(async move { router.serve_with_incoming(incoming).await.map_err(|err| err.to_string()) });
    Ok((address, server))
}

#[cfg(feature = "plugins")]
impl IntoBootedApp for tonic::transport::server::Router {
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        Box::pin(async move {
            let (address, server) = serve_grpc(self).await?;
            Ok(BootedApp::served(address, server).with_transport("grpc", address.port()))
        })
    }
}

#[cfg(feature = "plugins")]
impl IntoBootedApp for (axum::Router, tonic::transport::server::Router) {
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        Box::pin(async move {
            let (http, grpc) = self;
            let mut booted = http.into_booted_app().await?;
            let (address, server) = serve_grpc(grpc).await?;
            booted.other_server = Some(server);
            Ok(booted.with_transport("grpc", address.port()))
        })
    }
}

impl IntoBootedApp for String {
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        Box::pin(async move { Ok(BootedApp::external(self)) })
    }
}

impl IntoBootedApp for &'static str {
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        self.to_string().into_booted_app()
    }
}

impl IntoBootedApp for url::Url {
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        String::from(self).into_booted_app()
    }
}

impl<T: IntoBootedApp, E: Display + Send + 'static> IntoBootedApp for Result<T, E> {
    fn into_booted_app(self) -> BoxFuture<'static, Result<BootedApp, AppError>> {
        match self {
            Ok(app) => app.into_booted_app(),
            Err(error) => Box::pin(async move { Err(AppError(format!("building the provider app failed: {error}"))) }),
        }
    }
}

/// What an `async fn(TcpListener)` provider function may return when it stops serving.
#[diagnostic::on_unimplemented(
    message = "a #[pact_provider_test] function that takes a listener cannot return `{Self}`",
    note = "serve on the listener and return `()` or `Result<(), E: Display>`"
)]
pub trait ServerExit {
    /// `Err` with the reason when the server failed.
    fn into_exit(self) -> Result<(), String>;
}

impl ServerExit for () {
    fn into_exit(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Display> ServerExit for Result<(), E> {
    fn into_exit(self) -> Result<(), String> {
        self.map_err(|err| err.to_string())
    }
}
