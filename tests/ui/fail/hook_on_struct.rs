use pact_runtime::before_each;

#[before_each]
struct Database;

fn main() {}
