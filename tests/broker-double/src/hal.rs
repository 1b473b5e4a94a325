//! HAL plumbing: the absolute base URL of a request, URL builders for every resource and JSON
//! response helpers.

use axum::extract::FromRequestParts;
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::sync::Arc;

use super::Shared;

/// The content type of every document the double serves.
pub(crate) const HAL_JSON: &str = "application/hal+json;charset=utf-8";

/// Percent-encodes one path segment (or query value): everything but RFC 3986 unreserved
/// characters, the way `ERB::Util.url_encode` and Rust's `urlencoding` do.
pub(crate) fn enc(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// RFC 3339 timestamps with a `+00:00` offset, as the real broker writes them.
pub(crate) fn timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The absolute base URL (`scheme://host:port`, no trailing slash) that links are built on.
///
/// Taken from the request's `Host` header, so links work for whatever name the client used;
/// falls back to the bound address, then the path prefix, if any. A configured public base URL
/// wins over all of them (it names the prefix itself).
#[derive(Debug, Clone)]
pub(crate) struct Base(pub String);

impl FromRequestParts<Arc<Shared>> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        Ok(Base(base_url(parts, shared)))
    }
}

pub(crate) fn base_url(parts: &Parts, shared: &Shared) -> String {
    if let Some(base) = &shared.config.public_base_url {
        return base.trim_end_matches('/').to_string();
    }
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| shared.config.local_addr.to_string());
    format!("{}://{}{}", shared.config.scheme, host, shared.config.path_prefix)
}

impl Base {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }

    pub fn index(&self) -> String {
        self.0.clone()
    }

    pub fn pacticipants(&self) -> String {
        self.url("/pacticipants")
    }

    pub fn pacticipant(&self, name: &str) -> String {
        self.url(&format!("/pacticipants/{}", enc(name)))
    }

    pub fn versions(&self, pacticipant: &str) -> String {
        format!("{}/versions", self.pacticipant(pacticipant))
    }

    pub fn version(&self, pacticipant: &str, number: &str) -> String {
        format!("{}/versions/{}", self.pacticipant(pacticipant), enc(number))
    }

    pub fn tag(&self, pacticipant: &str, number: &str, tag: &str) -> String {
        format!("{}/tags/{}", self.version(pacticipant, number), enc(tag))
    }

    pub fn branch(&self, pacticipant: &str, branch: &str) -> String {
        format!("{}/branches/{}", self.pacticipant(pacticipant), enc(branch))
    }

    pub fn branch_version(&self, pacticipant: &str, branch: &str, number: &str) -> String {
        format!("{}/versions/{}", self.branch(pacticipant, branch), enc(number))
    }

    pub fn provider_pacts(&self, provider: &str) -> String {
        self.url(&format!("/pacts/provider/{}", enc(provider)))
    }

    pub fn for_verification(&self, provider: &str) -> String {
        format!("{}/for-verification", self.provider_pacts(provider))
    }

    pub fn pact_pair(&self, provider: &str, consumer: &str) -> String {
        format!("{}/consumer/{}", self.provider_pacts(provider), enc(consumer))
    }

    pub fn pact_for_consumer_version(&self, provider: &str, consumer: &str, version: &str) -> String {
        format!("{}/version/{}", self.pact_pair(provider, consumer), enc(version))
    }

    pub fn pact_version(&self, provider: &str, consumer: &str, sha: &str) -> String {
        format!("{}/pact-version/{}", self.pact_pair(provider, consumer), enc(sha))
    }

    /// A pact URL that carries verification context (used for WIP pacts, so a result published
    /// through it is known to be for a WIP pact).
    pub fn pact_version_with_metadata(&self, provider: &str, consumer: &str, sha: &str, metadata: &str) -> String {
        format!("{}/metadata/{}", self.pact_version(provider, consumer, sha), enc(metadata))
    }

    pub fn verification_results(&self, pact_url: &str) -> String {
        format!("{pact_url}/verification-results")
    }

    pub fn verification_result(&self, provider: &str, consumer: &str, sha: &str, number: u64) -> String {
        format!("{}/verification-results/{number}", self.pact_version(provider, consumer, sha))
    }

    pub fn environments(&self) -> String {
        self.url("/environments")
    }

    pub fn environment(&self, uuid: &str) -> String {
        format!("{}/{}", self.environments(), enc(uuid))
    }

    pub fn deployed_versions_for(&self, pacticipant: &str, number: &str, env_uuid: &str) -> String {
        format!("{}/deployed-versions/environment/{}", self.version(pacticipant, number), enc(env_uuid))
    }

    pub fn released_versions_for(&self, pacticipant: &str, number: &str, env_uuid: &str) -> String {
        format!("{}/released-versions/environment/{}", self.version(pacticipant, number), enc(env_uuid))
    }

    pub fn deployed_version(&self, uuid: &str) -> String {
        self.url(&format!("/deployed-versions/{}", enc(uuid)))
    }

    pub fn released_version(&self, uuid: &str) -> String {
        self.url(&format!("/released-versions/{}", enc(uuid)))
    }
}

/// `{"href": ..}` plus an optional title and name.
pub(crate) fn link(href: String, title: Option<&str>, name: Option<&str>) -> Value {
    let mut link = json!({ "href": href });
    if let Some(title) = title {
        link["title"] = json!(title);
    }
    if let Some(name) = name {
        link["name"] = json!(name);
    }
    link
}

/// A templated link (`{placeholder}`s the client fills in).
pub(crate) fn templated(href: String, title: &str) -> Value {
    json!({ "href": href, "title": title, "templated": true })
}

/// The name the real broker gives a pact: `Pact between Consumer (version) and Provider`.
pub(crate) fn pact_name(consumer: &str, version: &str, provider: &str) -> String {
    format!("Pact between {consumer} ({version}) and {provider}")
}

pub(crate) fn hal(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(HAL_JSON));
    response
}

pub(crate) fn ok(body: Value) -> Response {
    hal(StatusCode::OK, body)
}

pub(crate) fn created(body: Value, location: Option<&str>) -> Response {
    let mut response = hal(StatusCode::CREATED, body);
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        response.headers_mut().insert(axum::http::header::LOCATION, value);
    }
    response
}

pub(crate) fn not_found(what: &str) -> Response {
    hal(StatusCode::NOT_FOUND, json!({ "error": format!("{what} was not found") }))
}

/// `400 {"errors": ...}`: a map of field to messages, or a list of messages.
pub(crate) fn bad_request(errors: Value) -> Response {
    hal(StatusCode::BAD_REQUEST, json!({ "errors": errors }))
}

/// A `400` for a single field.
pub(crate) fn field_error(field: &str, message: impl Into<String>) -> Response {
    bad_request(json!({ field: [message.into()] }))
}

pub(crate) fn conflict(message: impl Into<String>) -> Response {
    hal(StatusCode::CONFLICT, json!({ "errors": { "content": [message.into()] } }))
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Parses a request body as JSON. An empty body is an empty object (the clients PUT `{}` or
/// nothing at all to create a tag or branch version).
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| field_error("body", format!("is not valid JSON: {e}")))
}
