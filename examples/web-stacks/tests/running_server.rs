//! An already-running server: the test returns its base URL. Here the server is started once,
//! outside the test's function, on its own thread with its own runtime, standing in for a
//! provider written in another language or one that `docker compose` started.
//!
//! The states change `STORE`, which this server reads because it runs in the test's process; a
//! provider in another process needs states that reach it, e.g. through a test-only endpoint.

mod common;

use std::sync::LazyLock;

use common::STORE;
use pact_runtime::pact_provider_test;

/// The base URL of the greetings server, started on first use.
static RUNNING_SERVER: LazyLock<String> = LazyLock::new(|| {
    let (bound, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("a loopback port");
            bound.send(listener.local_addr().expect("a bound address")).expect("the test waits for the address");
            axum::serve(listener, web_stacks::app(STORE.clone())).await.expect("the greetings server runs");
        });
    });
    format!("http://{}", address.recv().expect("the greetings server binds"))
});

#[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
async fn running_server_honours_the_pact() -> String {
    RUNNING_SERVER.clone()
}
