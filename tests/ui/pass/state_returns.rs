//! Every return form a state function can have.

use std::collections::HashMap;

use pact_runtime::{provider_state, StateValues};
use serde_json::{json, Map, Value};

#[provider_state("returns unit")]
fn unit() {}

#[provider_state("returns a string error")]
fn string_error() -> Result<(), String> {
    Err("no database".to_string())
}

#[provider_state("returns an io error")]
fn io_error() -> Result<(), std::io::Error> {
    Ok(())
}

#[provider_state("returns an option")]
fn option() -> Option<Map<String, Value>> {
    None
}

#[provider_state("returns a map")]
fn map() -> Map<String, Value> {
    Map::new()
}

#[provider_state("returns a value")]
fn value() -> Value {
    json!({ "id": 1 })
}

#[provider_state("returns a hash map")]
fn hash_map() -> HashMap<String, i32> {
    HashMap::from([("id".to_string(), 1)])
}

#[derive(serde::Serialize)]
struct Created {
    id: u64,
}

#[provider_state("returns state values")]
fn state_values() -> StateValues<Created> {
    StateValues(Created { id: 1 })
}

#[provider_state("returns a result of values")]
fn result_of_values() -> Result<StateValues<Created>, std::fmt::Error> {
    Ok(StateValues(Created { id: 2 }))
}

fn main() {}
