use pact_runtime::request_filter;

#[request_filter]
fn no_request() {}

#[request_filter]
fn wrong_request(request: String) {
    let _ = request;
}

fn main() {}
