use pact_runtime::message::Json;
use pact_runtime::{message, Message, MessageRequest};
use serde_json::{json, Map, Value};

#[message("a text message")]
fn text() -> String {
    "hello".to_string()
}

#[message("a json value", provider = "OrderService")]
async fn value() -> Value {
    json!({ "id": 1 })
}

#[derive(serde::Serialize)]
struct Created {
    id: u64,
}

#[derive(serde::Deserialize)]
struct Params {
    id: u64,
}

#[message("a serialised struct")]
fn serialised(params: Params, request: MessageRequest, all: Map<String, Value>) -> Json<Created> {
    let _ = (request, all);
    Json(Created { id: params.id })
}

#[message("a fallible message")]
async fn fallible(request: MessageRequest) -> Result<Message, std::io::Error> {
    Ok(Message::bytes("application/octet-stream", request.description.into_bytes()).with_metadata("k", 1))
}

mod renamed {
    extern crate pact_runtime as my_pact;

    #[my_pact::message("a message through a renamed crate", crate = "my_pact")]
    pub fn renamed() -> my_pact::Message {
        my_pact::Message::text("ok")
    }
}

fn main() {
    let _ = text();
    let _ = renamed::renamed();
}
