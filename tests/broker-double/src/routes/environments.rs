//! Environments, deployments (`pb:record-deployment`) and releases (`pb:record-release`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::hal::{bad_request, created, field_error, hal, link, no_content, not_found, ok, parse_body, Base};
use crate::query::parse_nested;
use crate::{repr, Shared};

type Shr = State<Arc<Shared>>;

pub(super) async fn list(State(shared): Shr, base: Base) -> Response {
    let state = shared.state();
    let items: Vec<Value> = state.environments.iter().map(|e| repr::environment(&base, e)).collect();
    let links: Vec<Value> = state
        .environments
        .iter()
        .map(|e| link(base.environment(&e.uuid), Some(e.display_name.as_deref().unwrap_or(&e.name)), Some(&e.name)))
        .collect();
    ok(json!({
        "_embedded": { "environments": items },
        "_links": { "self": link(base.environments(), Some("Environments"), None), "pb:environments": links }
    }))
}

struct EnvironmentFields {
    name: String,
    display_name: Option<String>,
    production: bool,
    contacts: Option<Value>,
}

/// Environment names are used in URLs and CLI arguments, so the real broker keeps them simple.
fn validate_environment(body: &Value) -> Result<EnvironmentFields, Response> {
    let mut errors = Map::new();
    let name = body.get("name").and_then(Value::as_str).map(str::to_string);
    match &name {
        None => {
            errors.insert("name".into(), json!(["is required"]));
        }
        Some(n) if n.trim().is_empty() || n.chars().any(char::is_whitespace) => {
            errors.insert("name".into(), json!(["must not be blank or contain spaces"]));
        }
        _ => {}
    }
    let production = match body.get("production") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.insert("production".into(), json!(["must be true or false"]));
            false
        }
    };
    if !errors.is_empty() {
        return Err(bad_request(Value::Object(errors)));
    }
    Ok(EnvironmentFields {
        name: name.unwrap_or_default(),
        display_name: body.get("displayName").and_then(Value::as_str).map(str::to_string),
        production,
        contacts: body.get("contacts").cloned(),
    })
}

pub(super) async fn create(State(shared): Shr, base: Base, body: Bytes) -> Response {
    let fields = match parse_body(&body).and_then(|b| validate_environment(&b)) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let mut state = shared.state();
    if state.environment_by_name(&fields.name).is_some() {
        return field_error("name", format!("another environment is already called '{}'", fields.name));
    }
    let environment = state.create_environment(&fields.name, fields.display_name, fields.production, fields.contacts);
    let url = base.environment(&environment.uuid);
    created(repr::environment(&base, &environment), Some(&url))
}

pub(super) async fn get_one(State(shared): Shr, base: Base, Path(uuid): Path<String>) -> Response {
    let state = shared.state();
    match state.environment_by_uuid(&uuid) {
        Some(e) => ok(repr::environment(&base, e)),
        None => not_found(&format!("Environment {uuid}")),
    }
}

pub(super) async fn update(State(shared): Shr, base: Base, Path(uuid): Path<String>, body: Bytes) -> Response {
    let fields = match parse_body(&body).and_then(|b| validate_environment(&b)) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let mut state = shared.state();
    if state.environments.iter().any(|e| e.name == fields.name && e.uuid != uuid) {
        return field_error("name", format!("another environment is already called '{}'", fields.name));
    }
    let now = state.now();
    let Some(environment) = state.environments.iter_mut().find(|e| e.uuid == uuid) else {
        return not_found(&format!("Environment {uuid}"));
    };
    environment.name = fields.name;
    environment.display_name = fields.display_name;
    environment.production = fields.production;
    environment.contacts = fields.contacts;
    environment.updated_at = Some(now);
    let environment = environment.clone();
    ok(repr::environment(&base, &environment))
}

pub(super) async fn delete(State(shared): Shr, Path(uuid): Path<String>) -> Response {
    let mut state = shared.state();
    let before = state.environments.len();
    state.environments.retain(|e| e.uuid != uuid);
    if state.environments.len() == before {
        not_found(&format!("Environment {uuid}"))
    } else {
        no_content()
    }
}

fn query_param(query: &Option<String>, key: &str) -> Option<String> {
    parse_nested(query.as_deref().unwrap_or("")).get(key).and_then(Value::as_str).map(str::to_string)
}

pub(super) async fn currently_deployed(
    State(shared): Shr,
    base: Base,
    Path(uuid): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let state = shared.state();
    if state.environment_by_uuid(&uuid).is_none() {
        return not_found(&format!("Environment {uuid}"));
    }
    let pacticipant = query_param(&query, "pacticipant");
    let instance = query_param(&query, "applicationInstance").or_else(|| query_param(&query, "target"));
    let items: Vec<Value> = state
        .deployments
        .iter()
        .filter(|d| d.environment == uuid && d.currently_deployed)
        .filter(|d| pacticipant.as_ref().is_none_or(|p| &d.pacticipant == p))
        .filter(|d| instance.is_none() || d.application_instance == instance)
        .map(|d| repr::deployed_version(&state, &base, d))
        .collect();
    let url = format!("{}/deployed-versions/currently-deployed", base.environment(&uuid));
    ok(json!({
        "_embedded": { "deployedVersions": items },
        "_links": { "self": link(url, Some("Currently deployed versions"), None) }
    }))
}

pub(super) async fn currently_supported(
    State(shared): Shr,
    base: Base,
    Path(uuid): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let state = shared.state();
    if state.environment_by_uuid(&uuid).is_none() {
        return not_found(&format!("Environment {uuid}"));
    }
    let pacticipant = query_param(&query, "pacticipant");
    let items: Vec<Value> = state
        .releases
        .iter()
        .filter(|r| r.environment == uuid && r.currently_supported)
        .filter(|r| pacticipant.as_ref().is_none_or(|p| &r.pacticipant == p))
        .map(|r| repr::released_version(&state, &base, r))
        .collect();
    let url = format!("{}/released-versions/currently-supported", base.environment(&uuid));
    ok(json!({
        "_embedded": { "releasedVersions": items },
        "_links": { "self": link(url, Some("Currently supported released versions"), None) }
    }))
}

pub(super) async fn deployed_for_version(
    State(shared): Shr,
    base: Base,
    Path((name, number, uuid)): Path<(String, String, String)>,
) -> Response {
    let state = shared.state();
    let items: Vec<Value> = state
        .deployments
        .iter()
        .filter(|d| d.pacticipant == name && d.version == number && d.environment == uuid)
        .map(|d| repr::deployed_version(&state, &base, d))
        .collect();
    ok(json!({
        "_embedded": { "deployedVersions": items },
        "_links": { "self": link(base.deployed_versions_for(&name, &number, &uuid), Some("Deployed versions"), None) }
    }))
}

/// `POST` on a `pb:record-deployment` link. The version and environment must exist.
pub(super) async fn record_deployment(
    State(shared): Shr,
    base: Base,
    Path((name, number, uuid)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let instance = body
        .get("applicationInstance")
        .or_else(|| body.get("target"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let mut state = shared.state();
    if state.version(&name, &number).is_none() {
        return not_found(&format!("Version {number} of '{name}'"));
    }
    if state.environment_by_uuid(&uuid).is_none() {
        return not_found(&format!("Environment {uuid}"));
    }
    let deployment = state.record_deployment(&name, &number, &uuid, instance);
    let url = base.deployed_version(&deployment.uuid);
    created(repr::deployed_version(&state, &base, &deployment), Some(&url))
}

pub(super) async fn released_for_version(
    State(shared): Shr,
    base: Base,
    Path((name, number, uuid)): Path<(String, String, String)>,
) -> Response {
    let state = shared.state();
    let items: Vec<Value> = state
        .releases
        .iter()
        .filter(|r| r.pacticipant == name && r.version == number && r.environment == uuid)
        .map(|r| repr::released_version(&state, &base, r))
        .collect();
    ok(json!({
        "_embedded": { "releasedVersions": items },
        "_links": { "self": link(base.released_versions_for(&name, &number, &uuid), Some("Released versions"), None) }
    }))
}

pub(super) async fn record_release(
    State(shared): Shr,
    base: Base,
    Path((name, number, uuid)): Path<(String, String, String)>,
) -> Response {
    let mut state = shared.state();
    if state.version(&name, &number).is_none() {
        return not_found(&format!("Version {number} of '{name}'"));
    }
    if state.environment_by_uuid(&uuid).is_none() {
        return not_found(&format!("Environment {uuid}"));
    }
    let release = state.record_release(&name, &number, &uuid);
    let url = base.released_version(&release.uuid);
    created(repr::released_version(&state, &base, &release), Some(&url))
}

pub(super) async fn get_deployed_version(State(shared): Shr, base: Base, Path(uuid): Path<String>) -> Response {
    let state = shared.state();
    match state.deployments.iter().find(|d| d.uuid == uuid) {
        Some(d) => ok(repr::deployed_version(&state, &base, d)),
        None => not_found(&format!("Deployed version {uuid}")),
    }
}

/// `{"currentlyDeployed": false}` records an undeployment (what `record-undeployment` sends).
pub(super) async fn patch_deployed_version(
    State(shared): Shr,
    base: Base,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mut state = shared.state();
    let now = state.now();
    let Some(deployment) = state.deployments.iter_mut().find(|d| d.uuid == uuid) else {
        return not_found(&format!("Deployed version {uuid}"));
    };
    match body.get("currentlyDeployed") {
        Some(Value::Bool(false)) if deployment.currently_deployed => {
            deployment.currently_deployed = false;
            deployment.undeployed_at = Some(now);
        }
        Some(Value::Bool(true)) if !deployment.currently_deployed => {
            return field_error("currentlyDeployed", "an undeployed version cannot be marked as deployed again");
        }
        None | Some(Value::Bool(_)) => {}
        Some(_) => return field_error("currentlyDeployed", "must be true or false"),
    }
    let deployment = deployment.clone();
    hal(StatusCode::OK, repr::deployed_version(&state, &base, &deployment))
}

pub(super) async fn get_released_version(State(shared): Shr, base: Base, Path(uuid): Path<String>) -> Response {
    let state = shared.state();
    match state.releases.iter().find(|r| r.uuid == uuid) {
        Some(r) => ok(repr::released_version(&state, &base, r)),
        None => not_found(&format!("Released version {uuid}")),
    }
}

/// `{"currentlySupported": false}` ends support for a release.
pub(super) async fn patch_released_version(
    State(shared): Shr,
    base: Base,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mut state = shared.state();
    let now = state.now();
    let Some(release) = state.releases.iter_mut().find(|r| r.uuid == uuid) else {
        return not_found(&format!("Released version {uuid}"));
    };
    match body.get("currentlySupported") {
        Some(Value::Bool(false)) if release.currently_supported => {
            release.currently_supported = false;
            release.support_ended_at = Some(now);
        }
        Some(Value::Bool(true)) if !release.currently_supported => {
            return field_error("currentlySupported", "support cannot be restarted for a release");
        }
        None | Some(Value::Bool(_)) => {}
        Some(_) => return field_error("currentlySupported", "must be true or false"),
    }
    let release = release.clone();
    hal(StatusCode::OK, repr::released_version(&state, &base, &release))
}
