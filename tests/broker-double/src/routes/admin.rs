//! `/_double/...`: the control plane of the double (faults, reset, clock, inspection). Not part
//! of the Pact Broker API; exempt from auth and faults.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};

use crate::faults::Fault;
use crate::hal::{created, field_error, no_content, ok, parse_body};
use crate::selectors::parse_date;
use crate::Shared;

type Shr = State<Arc<Shared>>;

pub(super) async fn add_fault(State(shared): Shr, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    match Fault::from_json(&body) {
        Ok(fault) => {
            let json = fault.to_json();
            shared.faults.lock().unwrap_or_else(|e| e.into_inner()).push(fault);
            created(json, None)
        }
        Err(message) => field_error("fault", message),
    }
}

pub(super) async fn list_faults(State(shared): Shr) -> Response {
    let faults: Vec<Value> =
        shared.faults.lock().unwrap_or_else(|e| e.into_inner()).iter().map(Fault::to_json).collect();
    ok(json!({ "faults": faults }))
}

pub(super) async fn clear_faults(State(shared): Shr) -> Response {
    shared.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    no_content()
}

pub(super) async fn reset(State(shared): Shr) -> Response {
    shared.reset();
    no_content()
}

/// `{"now": "2024-01-01T00:00:00Z"}` freezes the clock; `{"now": null}` lets it run again.
pub(super) async fn set_clock(State(shared): Shr, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let now = match body.get("now") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => match parse_date(text) {
            Some(at) => Some(at),
            None => return field_error("now", format!("'{text}' is not a date-time")),
        },
        Some(_) => return field_error("now", "must be an RFC 3339 date-time or null"),
    };
    shared.state().clock = now;
    no_content()
}

/// Everything stored, for debugging a test.
pub(super) async fn dump_state(State(shared): Shr) -> Response {
    let pacts: Vec<Value> = shared.pact_records().iter().map(|p| p.to_json()).collect();
    let results: Vec<Value> = shared.verification_records().iter().map(|v| v.to_json()).collect();
    let state = shared.state();
    let environments: Vec<Value> = state
        .environments
        .iter()
        .map(|e| json!({ "uuid": e.uuid, "name": e.name, "production": e.production }))
        .collect();
    let deployments: Vec<Value> = state
        .deployments
        .iter()
        .map(|d| {
            json!({
                "pacticipant": d.pacticipant,
                "version": d.version,
                "environment": state.environment_name(&d.environment),
                "applicationInstance": d.application_instance,
                "currentlyDeployed": d.currently_deployed,
            })
        })
        .collect();
    let releases: Vec<Value> = state
        .releases
        .iter()
        .map(|r| {
            json!({
                "pacticipant": r.pacticipant,
                "version": r.version,
                "environment": state.environment_name(&r.environment),
                "currentlySupported": r.currently_supported,
            })
        })
        .collect();
    ok(json!({
        "pacts": pacts,
        "verificationResults": results,
        "environments": environments,
        "deployedVersions": deployments,
        "releasedVersions": releases,
    }))
}

pub(super) async fn requests(State(shared): Shr) -> Response {
    let requests: Vec<Value> = shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|r| json!({ "method": r.method, "path": r.path, "status": r.status }))
        .collect();
    ok(json!({ "requests": requests }))
}

pub(super) async fn clear_requests(State(shared): Shr) -> Response {
    shared.requests.lock().unwrap_or_else(|e| e.into_inner()).clear();
    no_content()
}
