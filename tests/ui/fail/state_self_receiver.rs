use pact_runtime::provider_state;

struct Store;

impl Store {
    #[provider_state("a user exists")]
    fn a_user_exists(&self) {}
}

fn main() {
    Store.a_user_exists();
}
