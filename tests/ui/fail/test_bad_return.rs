use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService")]
async fn app() -> u32 {
    8080
}

fn main() {}
