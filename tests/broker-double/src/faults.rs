//! Fault injection and request recording (outermost middleware).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{json, Value};

use super::hal::{hal, HAL_JSON};
use super::{RecordedRequest, Shared};

/// What an injected fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status code (normally a 5xx) and a small JSON error body.
    Status(u16),
    /// Answer `429 Too Many Requests` with `Retry-After: <seconds>`.
    RateLimited {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer normally, but without the document's `_embedded` (a broken `pacts for
    /// verification` response, for instance).
    MissingEmbedded,
    /// Answer normally, but with `href` removed from every link in the document.
    LinksWithoutHref,
    /// Answer 200 with a HAL content type and a body that is not valid JSON.
    InvalidJson,
}

/// A fault to inject into the next matching requests. Build one with the constructors, then
/// narrow it with [`Fault::times`], [`Fault::always`], [`Fault::on_path`] and [`Fault::on_method`].
///
/// Faults apply to the broker API only, never to the `/_double/...` control endpoints. When
/// several are set, the oldest matching one is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What happens to a matching request.
    pub kind: FaultKind,
    /// How many matching requests it affects; `None` means until cleared.
    pub times: Option<usize>,
    /// Only requests whose path contains this text.
    pub path_contains: Option<String>,
    /// Only requests with this method (upper case, e.g. `POST`).
    pub method: Option<String>,
}

impl Fault {
    fn new(kind: FaultKind) -> Self {
        Fault { kind, times: Some(1), path_contains: None, method: None }
    }

    /// The next request answers with `status` (e.g. 500, 502, 503).
    pub fn server_error(status: u16) -> Self {
        Self::new(FaultKind::Status(status))
    }

    /// The next request answers `429` with `Retry-After: retry_after_secs`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(FaultKind::RateLimited { retry_after_secs })
    }

    /// The next request is answered after `delay`.
    pub fn delay(delay: Duration) -> Self {
        Self::new(FaultKind::Delay(delay))
    }

    /// The next response loses its `_embedded`.
    pub fn missing_embedded() -> Self {
        Self::new(FaultKind::MissingEmbedded)
    }

    /// The next response has links without `href`.
    pub fn links_without_href() -> Self {
        Self::new(FaultKind::LinksWithoutHref)
    }

    /// The next response is not valid JSON.
    pub fn invalid_json() -> Self {
        Self::new(FaultKind::InvalidJson)
    }

    /// Affects the next `n` matching requests (the default is 1).
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Affects every matching request until the faults are cleared.
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Only affects requests whose path contains `fragment` (e.g. `"/for-verification"`).
    pub fn on_path(mut self, fragment: impl Into<String>) -> Self {
        self.path_contains = Some(fragment.into());
        self
    }

    /// Only affects requests with this HTTP method.
    pub fn on_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into().to_ascii_uppercase());
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.path_contains.as_ref().is_none_or(|f| path.contains(f.as_str()))
            && self.method.as_ref().is_none_or(|m| m == method)
    }

    /// Reads a fault from the admin endpoint's JSON:
    /// `{"type": "status", "status": 503, "times": 2, "path": "/for-verification", "method": "POST"}`
    /// with `type` one of `status`, `rate-limit` (`retryAfter`), `delay` (`delayMs`),
    /// `missing-embedded`, `links-without-href`, `invalid-json`; `times: null` means always.
    pub fn from_json(value: &Value) -> Result<Fault, String> {
        let kind = match value.get("type").and_then(Value::as_str) {
            Some("status") => {
                let status = value.get("status").and_then(Value::as_u64).unwrap_or(500);
                if !(100..=599).contains(&status) {
                    return Err(format!("{status} is not an HTTP status code"));
                }
                FaultKind::Status(status as u16)
            }
            Some("rate-limit") => FaultKind::RateLimited {
                retry_after_secs: value.get("retryAfter").and_then(Value::as_u64).unwrap_or(1),
            },
            Some("delay") => FaultKind::Delay(Duration::from_millis(
                value.get("delayMs").and_then(Value::as_u64).ok_or("delay needs delayMs")?,
            )),
            Some("missing-embedded") => FaultKind::MissingEmbedded,
            Some("links-without-href") => FaultKind::LinksWithoutHref,
            Some("invalid-json") => FaultKind::InvalidJson,
            other => return Err(format!("unknown fault type {other:?}")),
        };
        let mut fault = Fault::new(kind);
        match value.get("times") {
            None => {}
            Some(Value::Null) => fault.times = None,
            Some(n) => fault.times = Some(n.as_u64().ok_or("times must be a number or null")? as usize),
        }
        if let Some(path) = value.get("path").and_then(Value::as_str) {
            fault = fault.on_path(path);
        }
        if let Some(method) = value.get("method").and_then(Value::as_str) {
            fault = fault.on_method(method);
        }
        Ok(fault)
    }

    pub(crate) fn to_json(&self) -> Value {
        let (kind, extra) = match &self.kind {
            FaultKind::Status(status) => ("status", json!({ "status": status })),
            FaultKind::RateLimited { retry_after_secs } => ("rate-limit", json!({ "retryAfter": retry_after_secs })),
            FaultKind::Delay(d) => ("delay", json!({ "delayMs": d.as_millis() as u64 })),
            FaultKind::MissingEmbedded => ("missing-embedded", json!({})),
            FaultKind::LinksWithoutHref => ("links-without-href", json!({})),
            FaultKind::InvalidJson => ("invalid-json", json!({})),
        };
        let mut json = json!({ "type": kind, "times": self.times, "path": self.path_contains, "method": self.method });
        if let (Some(target), Some(extra)) = (json.as_object_mut(), extra.as_object()) {
            target.extend(extra.clone());
        }
        json
    }
}

impl Shared {
    /// Takes one use of the first fault matching the request.
    fn take_fault(&self, method: &str, path: &str) -> Option<FaultKind> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let index = faults.iter().position(|f| f.matches(method, path))?;
        let kind = faults[index].kind.clone();
        if let Some(times) = faults[index].times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                faults.remove(index);
            }
        }
        Some(kind)
    }
}

fn strip_hrefs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(links) = map.get_mut("_links").and_then(Value::as_object_mut) {
                for link in links.values_mut() {
                    match link {
                        Value::Object(l) => {
                            l.remove("href");
                        }
                        Value::Array(items) => {
                            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                                item.remove("href");
                            }
                        }
                        _ => {}
                    }
                }
            }
            for (key, child) in map.iter_mut() {
                if key != "_links" {
                    strip_hrefs(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_hrefs),
        _ => {}
    }
}

async fn rewrite(response: Response, edit: impl FnOnce(&mut Value)) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return hal(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": "could not read the response" }));
    };
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut value) => {
            edit(&mut value);
            value.to_string()
        }
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Applies the first matching fault, if any.
pub(crate) async fn inject(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let fault = shared.take_fault(request.method().as_str(), request.uri().path());
    match fault {
        None => next.run(request).await,
        Some(FaultKind::Status(status)) => hal(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({ "error": format!("injected fault: status {status}") }),
        ),
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut response = hal(StatusCode::TOO_MANY_REQUESTS, json!({ "error": "injected fault: rate limited" }));
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Some(FaultKind::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(FaultKind::MissingEmbedded) => {
            rewrite(next.run(request).await, |value| {
                if let Some(map) = value.as_object_mut() {
                    map.remove("_embedded");
                }
            })
            .await
        }
        Some(FaultKind::LinksWithoutHref) => rewrite(next.run(request).await, strip_hrefs).await,
        Some(FaultKind::InvalidJson) => {
            let mut response = Response::new(Body::from("{\"_links\": {\"self\": {\"href\": "));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(HAL_JSON));
            response
        }
    }
}

/// Records every broker API request with the status it was answered with.
pub(crate) async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let response = next.run(request).await;
    if !path.starts_with("/_double") {
        let entry = RecordedRequest { method, path, status: response.status().as_u16() };
        shared.requests.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
    }
    response
}
