use pact_runtime::provider_state;

#[provider_state("a point exists")]
fn a_point_exists((x, y): (u32, u32)) {
    let _ = x + y;
}

fn main() {}
