use pact_runtime::pact_provider_test;

#[pact_provider_test(provider = "UserService")]
struct App;

fn main() {}
