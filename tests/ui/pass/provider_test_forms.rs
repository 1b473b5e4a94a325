//! Every app form `#[pact_provider_test]` accepts, with every option.
//!
//! The expansion type-checks each app function in every build; `main` also checks closure
//! forms against the same bound.

use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService", pacts = "pacts")]
async fn router() -> axum::Router {
    axum::Router::new()
}

#[pact_provider_test(
    provider = "UserService",
    pacts = "pacts/a.json",
    pacts = "http://127.0.0.1:9/pacts/b.json",
    state_path = "/_custom/states",
    boot_timeout_ms = 2500,
)]
#[rustfmt::skip] // keeps the trailing comma
async fn listener(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, axum::Router::new()).await
}

#[pact_provider_test(provider = "UserService")]
async fn listener_unit(listener: tokio::net::TcpListener) {
    let _ = axum::serve(listener, axum::Router::new()).await;
}

#[pact_provider_test(provider = "UserService")]
async fn url() -> String {
    "http://127.0.0.1:8080".to_string()
}

#[pact_provider_test(provider = "UserService")]
async fn static_url() -> &'static str {
    "http://127.0.0.1:8080"
}

#[pact_provider_test]
#[ignore = "attributes after the macro are kept on the test"]
async fn fallible_router() -> Result<axum::Router, std::io::Error> {
    Ok(axum::Router::new())
}

#[pact_provider_test(provider = "UserService")]
#[allow(unused_variables)]
pub async fn public_with_allow() -> axum::Router {
    let unused = 1;
    axum::Router::new()
}

fn boots<Form, App: pact_runtime::app::ProviderApp<Form>>(_: App) {}

fn main() {
    boots(|| async { axum::Router::new() });
    boots(|listener: tokio::net::TcpListener| async { axum::serve(listener, axum::Router::new()).await });
    boots(|listener: tokio::net::TcpListener| async move { drop(listener) });
    boots(|| async { "http://127.0.0.1:8080".to_string() });
    boots(|| async { "http://127.0.0.1:8080" });
    boots(|| async { Ok::<_, std::io::Error>(axum::Router::new()) });
    boots(|| async { Err::<String, _>("no config".to_string()) });
}
