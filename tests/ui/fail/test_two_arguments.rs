use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService")]
async fn app(listener: tokio::net::TcpListener, port: u16) {
    let _ = (listener, port);
}

fn main() {}
