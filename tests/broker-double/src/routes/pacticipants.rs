//! Pacticipants, their versions, tags and branches.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::hal::{bad_request, field_error, hal, link, no_content, not_found, ok, parse_body, timestamp, Base};
use crate::{repr, Shared};

type Shr = State<Arc<Shared>>;

pub(super) async fn list(State(shared): Shr, base: Base) -> Response {
    let state = shared.state();
    let items: Vec<Value> = state.pacticipants.iter().map(|p| repr::pacticipant(&state, &base, p)).collect();
    let links: Vec<Value> =
        state.pacticipants.iter().map(|p| link(base.pacticipant(&p.name), Some(&p.name), Some(&p.name))).collect();
    ok(json!({
        "_embedded": { "pacticipants": items },
        "_links": { "self": link(base.pacticipants(), Some("Pacticipants"), None), "pb:pacticipants": links }
    }))
}

/// Applies the writable fields of a pacticipant body; `replace` clears fields that are absent.
fn apply_fields(shared: &Shared, name: &str, body: &Value, replace: bool) -> Result<(), Response> {
    let text = |key: &str| -> Result<Option<Option<String>>, Response> {
        match body.get(key) {
            None if replace => Ok(Some(None)),
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) if s.trim().is_empty() => Err(field_error(key, "must not be blank")),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(field_error(key, "must be a string")),
        }
    };
    let display_name = text("displayName")?;
    let main_branch = text("mainBranch")?;
    let repository_url = text("repositoryUrl")?;
    let mut state = shared.state();
    state.ensure_pacticipant(name);
    let now = state.now();
    let p = state.pacticipant_mut(name).expect("just ensured");
    if let Some(v) = display_name {
        p.display_name = v;
    }
    if let Some(v) = main_branch {
        p.main_branch = v;
    }
    if let Some(v) = repository_url {
        p.repository_url = v;
    }
    p.updated_at = Some(now);
    Ok(())
}

fn pacticipant_response(shared: &Shared, base: &Base, name: &str, status: StatusCode) -> Response {
    let state = shared.state();
    match state.pacticipant(name) {
        Some(p) => hal(status, repr::pacticipant(&state, base, p)),
        None => not_found(&format!("Pacticipant '{name}'")),
    }
}

pub(super) async fn create(State(shared): Shr, base: Base, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(name) = body.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty()).map(str::to_string)
    else {
        return field_error("name", "is required and must be a non-blank string");
    };
    if shared.state().pacticipant(&name).is_some() {
        return hal(
            StatusCode::CONFLICT,
            json!({ "errors": { "name": [format!("a pacticipant named '{name}' already exists")] } }),
        );
    }
    if let Err(response) = apply_fields(&shared, &name, &body, false) {
        return response;
    }
    pacticipant_response(&shared, &base, &name, StatusCode::CREATED)
}

pub(super) async fn get_one(State(shared): Shr, base: Base, Path(name): Path<String>) -> Response {
    pacticipant_response(&shared, &base, &name, StatusCode::OK)
}

async fn write(shared: Arc<Shared>, base: Base, name: String, body: Bytes, replace: bool) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Some(other) = body.get("name").and_then(Value::as_str).filter(|n| *n != name) {
        return bad_request(json!({ "name": [format!("'{other}' does not match the name in the URL ('{name}')")] }));
    }
    let existed = shared.state().pacticipant(&name).is_some();
    if let Err(response) = apply_fields(&shared, &name, &body, replace) {
        return response;
    }
    pacticipant_response(&shared, &base, &name, if existed { StatusCode::OK } else { StatusCode::CREATED })
}

pub(super) async fn put_one(State(shared): Shr, base: Base, Path(name): Path<String>, body: Bytes) -> Response {
    write(shared, base, name, body, true).await
}

pub(super) async fn patch_one(State(shared): Shr, base: Base, Path(name): Path<String>, body: Bytes) -> Response {
    write(shared, base, name, body, false).await
}

pub(super) async fn versions(State(shared): Shr, base: Base, Path(name): Path<String>) -> Response {
    let state = shared.state();
    if state.pacticipant(&name).is_none() {
        return not_found(&format!("Pacticipant '{name}'"));
    }
    // Newest first, like the real broker.
    let items: Vec<Value> =
        state.versions_of(&name).into_iter().rev().map(|v| repr::version(&state, &base, v)).collect();
    ok(json!({
        "_embedded": { "versions": items },
        "_links": { "self": link(base.versions(&name), Some("Versions"), None) }
    }))
}

pub(super) async fn get_version(
    State(shared): Shr,
    base: Base,
    Path((name, number)): Path<(String, String)>,
) -> Response {
    let state = shared.state();
    match state.version(&name, &number) {
        Some(v) => ok(repr::version(&state, &base, v)),
        None => not_found(&format!("Version {number} of '{name}'")),
    }
}

pub(super) async fn put_version(
    State(shared): Shr,
    base: Base,
    Path((name, number)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mut state = shared.state();
    let new = state.ensure_version(&name, &number);
    let build_url = body.get("buildUrl").and_then(Value::as_str).map(str::to_string);
    state.set_build_url(&name, &number, build_url);
    if let Some(branch) = body.get("branch").and_then(Value::as_str).filter(|b| !b.is_empty()) {
        state.add_branch_version(&name, &number, branch);
    }
    for tag in body.get("tags").and_then(Value::as_array).into_iter().flatten() {
        if let Some(tag) = tag.as_str().or_else(|| tag.get("name").and_then(Value::as_str)) {
            state.add_tag(&name, &number, tag);
        }
    }
    let json = repr::version(&state, &base, state.version(&name, &number).expect("just ensured"));
    hal(if new { StatusCode::CREATED } else { StatusCode::OK }, json)
}

pub(super) async fn latest_version(State(shared): Shr, base: Base, Path(name): Path<String>) -> Response {
    let state = shared.state();
    match state.latest_version(&name) {
        Some(v) => ok(repr::version(&state, &base, v)),
        None => not_found(&format!("A version of '{name}'")),
    }
}

pub(super) async fn latest_tagged_version(
    State(shared): Shr,
    base: Base,
    Path((name, tag)): Path<(String, String)>,
) -> Response {
    let state = shared.state();
    match state.latest_version_with_tag(&name, &tag) {
        Some(v) => ok(repr::version(&state, &base, v)),
        None => not_found(&format!("A version of '{name}' tagged '{tag}'")),
    }
}

fn tag_response(shared: &Shared, base: &Base, name: &str, number: &str, tag: &str, status: StatusCode) -> Response {
    let state = shared.state();
    let found = state.version(name, number).and_then(|v| v.tags.iter().find(|t| t.name == tag));
    match found {
        Some(t) => hal(status, repr::tag(base, name, number, tag, Some(timestamp(&t.created_at)))),
        None => not_found(&format!("Tag '{tag}' of version {number} of '{name}'")),
    }
}

pub(super) async fn get_tag(
    State(shared): Shr,
    base: Base,
    Path((name, number, tag)): Path<(String, String, String)>,
) -> Response {
    tag_response(&shared, &base, &name, &number, &tag, StatusCode::OK)
}

/// Creates pacticipant, version and tag as needed (the real broker does the same).
pub(super) async fn put_tag(
    State(shared): Shr,
    base: Base,
    Path((name, number, tag)): Path<(String, String, String)>,
) -> Response {
    let new = shared.state().add_tag(&name, &number, &tag);
    tag_response(&shared, &base, &name, &number, &tag, if new { StatusCode::CREATED } else { StatusCode::OK })
}

pub(super) async fn delete_tag(
    State(shared): Shr,
    Path((name, number, tag)): Path<(String, String, String)>,
) -> Response {
    if shared.state().remove_tag(&name, &number, &tag) {
        no_content()
    } else {
        not_found(&format!("Tag '{tag}' of version {number} of '{name}'"))
    }
}

fn branch_json(shared: &Shared, base: &Base, name: &str, branch: &str) -> Option<Value> {
    let state = shared.state();
    let b = state.branch(name, branch)?;
    let latest = state.branch_head(name, branch).map(|v| repr::embedded_version(base, v));
    Some(json!({
        "name": b.name,
        "createdAt": timestamp(&b.created_at),
        "_embedded": { "latestVersion": latest },
        "_links": {
            "self": link(base.branch(name, branch), Some("Branch"), Some(branch)),
            "pb:pacticipant": link(base.pacticipant(name), Some("Pacticipant"), Some(name)),
        }
    }))
}

pub(super) async fn branches(State(shared): Shr, base: Base, Path(name): Path<String>) -> Response {
    if shared.state().pacticipant(&name).is_none() {
        return not_found(&format!("Pacticipant '{name}'"));
    }
    let names: Vec<String> =
        shared.state().branches.iter().filter(|b| b.pacticipant == name).map(|b| b.name.clone()).collect();
    let items: Vec<Value> = names.iter().filter_map(|b| branch_json(&shared, &base, &name, b)).collect();
    ok(json!({
        "_embedded": { "branches": items },
        "_links": { "self": link(format!("{}/branches", base.pacticipant(&name)), Some("Branches"), None) }
    }))
}

pub(super) async fn get_branch(
    State(shared): Shr,
    base: Base,
    Path((name, branch)): Path<(String, String)>,
) -> Response {
    match branch_json(&shared, &base, &name, &branch) {
        Some(json) => ok(json),
        None => not_found(&format!("Branch '{branch}' of '{name}'")),
    }
}

fn branch_version_response(
    shared: &Shared,
    base: &Base,
    name: &str,
    branch: &str,
    number: &str,
    status: StatusCode,
) -> Response {
    let state = shared.state();
    let Some(version) = state.version(name, number).filter(|v| v.on_branch(branch)) else {
        return not_found(&format!("Version {number} of '{name}' on branch '{branch}'"));
    };
    hal(
        status,
        json!({
            "name": branch,
            "latest": state.branch_head(name, branch).is_some_and(|head| head.number == number),
            "_embedded": { "version": repr::embedded_version(base, version) },
            "_links": {
                "self": link(base.branch_version(name, branch, number), Some("Branch version"), Some(branch)),
                "pb:branch": link(base.branch(name, branch), Some("Branch"), Some(branch)),
                "pb:version": link(base.version(name, number), Some("Version"), Some(number)),
            }
        }),
    )
}

pub(super) async fn get_branch_version(
    State(shared): Shr,
    base: Base,
    Path((name, branch, number)): Path<(String, String, String)>,
) -> Response {
    branch_version_response(&shared, &base, &name, &branch, &number, StatusCode::OK)
}

/// What `pb:branch-version` points at: adds a version (created if needed) to a branch.
pub(super) async fn put_branch_version(
    State(shared): Shr,
    base: Base,
    Path((name, branch, number)): Path<(String, String, String)>,
) -> Response {
    let new = shared.state().add_branch_version(&name, &number, &branch);
    branch_version_response(
        &shared,
        &base,
        &name,
        &branch,
        &number,
        if new { StatusCode::CREATED } else { StatusCode::OK },
    )
}
