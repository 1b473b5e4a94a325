use pact_runtime::before_each;

#[before_each]
fn log(description: String) {
    let _ = description;
}

fn main() {}
