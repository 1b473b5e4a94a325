use pact_runtime::provider_state;

struct Params {
    name: String,
}

#[provider_state("a user exists")]
fn a_user_exists(params: Params) {
    let _ = params.name;
}

fn main() {}
