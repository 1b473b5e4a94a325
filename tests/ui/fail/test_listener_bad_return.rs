use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService")]
async fn app(listener: tokio::net::TcpListener) -> u16 {
    listener.local_addr().unwrap().port()
}

fn main() {}
