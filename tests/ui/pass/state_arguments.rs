//! Every argument form a state function can take.

use std::collections::HashMap;

use pact_runtime::provider_state;
use serde_json::{Map, Value};

#[provider_state("nothing is needed")]
fn no_arguments() {}

#[provider_state("user {id} named {name} has {balance} in {currency} and active is {active}")]
fn placeholders(id: u64, name: String, balance: f64, currency: char, active: bool) {
    let _ = (id, name, balance, currency, active);
}

#[provider_state("host {address} is up")]
fn std_from_str(address: std::net::IpAddr) {
    let _ = address;
}

#[provider_state("a user exists")]
fn params_map(params: Map<String, Value>) {
    let _ = params;
}

#[provider_state("an admin exists")]
fn params_hash_map(params: HashMap<String, Value>) {
    let _ = params;
}

#[derive(serde::Deserialize)]
struct NewUser {
    name: String,
    age: Option<u8>,
}

#[provider_state("a user {id} with details exists")]
fn placeholder_and_struct(id: u64, user: NewUser, raw: Map<String, Value>) {
    let _ = (id, user.name, user.age, raw);
}

fn main() {}
