use pact_runtime::after_each;

#[after_each]
fn count_rows() -> u64 {
    0
}

fn main() {}
