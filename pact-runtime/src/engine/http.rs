//! The HTTP exchange with the provider: a Pact request turned into a `reqwest` request and the
//! answer turned back into a Pact response, as `pact_verifier`'s provider client does, except
//! that bodies are read up to `max_body_bytes` instead of whole.
//!
//! Request: the method (`GET` when it does not parse), the URL joined with
//! `pact_verifier::provider_client::join_paths`, the query pairs sorted by name, every header,
//! and the body; a JSON request whose body is `null` sends `null`. Response: the status, the
//! headers with multi-value headers split by Pact's own header parsing and every value trimmed,
//! and the body with the content type the response declares (an empty body is
//! `OptionalBody::Empty`).

use std::collections::HashMap;

use axum::body::Bytes;
use pact_models::bodies::OptionalBody;
use pact_models::headers::parse_header;
use pact_models::v4::http_parts::{HttpRequest, HttpResponse};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is larger than the limit: `declared` is the `Content-Length` when that said so up
    /// front; otherwise reading stopped at the first chunk past the limit.
    TooLarge { limit: u64, declared: Option<u64> },
    /// The connection failed while reading it.
    Read(reqwest::Error),
}

impl BodyError {
    /// The message, naming `what` body it was (e.g. `the response body`).
    pub(crate) fn describe(&self, what: &str) -> String {
        match self {
            BodyError::TooLarge { limit, declared: Some(declared) } => format!(
                "{what} is {declared} bytes (Content-Length), more than `max_body_bytes` ({limit} bytes), so it was not read; {RAISE}"
            ),
            BodyError::TooLarge { limit, declared: None } => format!(
                "{what} exceeded `max_body_bytes` ({limit} bytes), so reading it stopped there; {RAISE}"
            ),
            BodyError::Read(err) => format!("cannot read {what}: {}", crate::util::redact::error(err)),
        }
    }
}

const RAISE: &str = "raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if bodies this large are expected";

/// Reads the body of `response`, at most `limit` bytes of it: a `Content-Length` over the
/// limit fails before anything is read, and a body without one fails at the first chunk that
/// goes past it. Memory stays within the limit plus one chunk.
pub(crate) async fn read_body(mut response: reqwest::Response, limit: u64) -> Result<Bytes, BodyError> {
    if let Some(declared) = response.content_length().filter(|declared| *declared > limit) {
        return Err(BodyError::TooLarge { limit, declared: Some(declared) });
    }
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut length: u64 = 0;
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        length += chunk.len() as u64;
        if length > limit {
            return Err(BodyError::TooLarge { limit, declared: None });
        }
        chunks.push(chunk);
    }
    Ok(match chunks.len() {
        // One chunk, the usual case for a small body, is kept as it is: no copy.
        0 | 1 => chunks.pop().unwrap_or_default(),
        _ => Bytes::from(chunks.concat()),
    })
}

/// The request `pact_verifier` would send for `request` to the provider at `base_url`.
pub(crate) fn native_request(
    client: &reqwest::Client,
    base_url: &str,
    request: &HttpRequest,
) -> Result<reqwest::RequestBuilder, String> {
    let url = pact_verifier::provider_client::join_paths(base_url, &request.path);
    let method = Method::from_bytes(request.method.as_bytes()).unwrap_or(Method::GET);
    let mut builder = client.request(method, &url);
    if let Some(query) = &request.query {
        let mut names: Vec<&String> = query.keys().collect();
        names.sort();
        let pairs: Vec<(&String, &Option<String>)> =
            names.into_iter().flat_map(|name| query[name].iter().map(move |value| (name, value))).collect();
        builder = builder.query(&pairs);
    }
    if let Some(headers) = &request.headers {
        let mut map = HeaderMap::new();
        for (name, values) in headers {
            for value in values {
                let header = HeaderName::try_from(name.as_str())
                    .map_err(|err| format!("invalid header name `{name}`: {err}"))?;
                let value = HeaderValue::from_str(value)
                    .map_err(|err| format!("invalid value `{value}` of header `{name}`: {err}"))?;
                map.append(header, value);
            }
        }
        if !map.is_empty() {
            builder = builder.headers(map);
        }
    }
    match &request.body {
        OptionalBody::Present(bytes, _, _) => builder = builder.body(bytes.clone()),
        OptionalBody::Null if request.content_type().unwrap_or_default().is_json() => builder = builder.body("null"),
        _ => {}
    }
    Ok(builder)
}

/// The Pact response for `response`, its body read up to `limit` bytes.
pub(crate) async fn pact_response(response: reqwest::Response, limit: u64) -> Result<HttpResponse, BodyError> {
    let mut pact = HttpResponse {
        status: response.status().as_u16(),
        headers: pact_headers(response.headers()),
        ..HttpResponse::default()
    };
    // From the headers alone, as the body is not there yet.
    let content_type = pact.content_type();
    let body = read_body(response, limit).await?;
    pact.body = if body.is_empty() { OptionalBody::Empty } else { OptionalBody::Present(body, content_type, None) };
    Ok(pact)
}

/// The headers as Pact keeps them: lower-case names, multi-value headers split, values
/// trimmed; a value that is not visible ASCII is left out. `None` when there are none.
fn pact_headers(headers: &HeaderMap) -> Option<HashMap<String, Vec<String>>> {
    if headers.is_empty() {
        return None;
    }
    Some(
        headers
            .keys()
            .map(|name| {
                let name = name.as_str();
                let values = headers
                    .get_all(name)
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .flat_map(|value| parse_header(name, value))
                    .map(|value| value.trim().to_string())
                    .collect();
                (name.to_string(), values)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::routing::get;
    use axum::Router;

    use super::*;

    /// Serves `/fixed` (a body of `n` bytes with a Content-Length) and `/chunked` (the same body
    /// in chunks of 1000 bytes, without one), where `n` is the query's number.
    async fn server() -> String {
        use axum::extract::Query;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let size = |query: &HashMap<String, usize>| query.get("n").copied().unwrap_or_default();
        let router = Router::new()
            .route(
                "/fixed",
                get(move |Query(query): Query<HashMap<String, usize>>| async move { vec![b'x'; size(&query)] }),
            )
            .route(
                "/chunked",
                get(move |Query(query): Query<HashMap<String, usize>>| async move {
                    let n = size(&query);
                    let chunks = (0..n.div_ceil(1000))
                        .map(move |i| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; (n - i * 1000).min(1000)])));
                    axum::body::Body::from_stream(futures::stream::iter(chunks))
                }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{address}")
    }

    async fn read(base: &str, path: &str, n: usize, limit: u64) -> Result<Bytes, BodyError> {
        let client = crate::engine::http_client(Duration::from_secs(5)).unwrap();
        let response = client.get(format!("{base}{path}?n={n}")).send().await.unwrap();
        read_body(response, limit).await
    }

    #[tokio::test]
    async fn a_body_exactly_at_the_limit_is_read_and_one_byte_more_is_refused() {
        let base = server().await;
        for path in ["/fixed", "/chunked"] {
            assert_eq!(read(&base, path, 4000, 4000).await.unwrap().len(), 4000, "{path}");
            assert_eq!(read(&base, path, 3999, 4000).await.unwrap().len(), 3999, "{path}");
            assert_eq!(read(&base, path, 0, 4000).await.unwrap().len(), 0, "{path}");
            let declared = if path == "/fixed" { Some(4001) } else { None };
            match read(&base, path, 4001, 4000).await {
                Err(BodyError::TooLarge { limit: 4000, declared: found }) => assert_eq!(found, declared, "{path}"),
                other => panic!("{path}: expected the body to be refused, got {other:?}"),
            }
        }
        let message = read(&base, "/chunked", 4001, 4000).await.unwrap_err().describe("the response body");
        assert_eq!(
            message,
            "the response body exceeded `max_body_bytes` (4000 bytes), so reading it stopped there; raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if bodies this large are expected"
        );
    }

    #[test]
    fn the_request_is_built_as_pact_verifier_builds_it() {
        let client = reqwest::Client::new();
        let request = HttpRequest {
            method: "POST".to_string(),
            path: "/users/1".to_string(),
            query: Some(HashMap::from([
                ("b".to_string(), vec![Some("2".to_string()), Some("3".to_string())]),
                ("a".to_string(), vec![Some("1 1".to_string())]),
            ])),
            headers: Some(HashMap::from([("Content-Type".to_string(), vec!["application/json".to_string()])])),
            body: OptionalBody::Null,
            ..HttpRequest::default()
        };
        let built = native_request(&client, "http://127.0.0.1:9/api/", &request).unwrap().build().unwrap();
        assert_eq!(built.method(), Method::POST);
        assert_eq!(built.url().as_str(), "http://127.0.0.1:9/api/users/1?a=1+1&b=2&b=3");
        assert_eq!(built.headers()["content-type"], "application/json");
        assert_eq!(built.body().and_then(|body| body.as_bytes()), Some(&b"null"[..]));
    }

    #[test]
    fn response_headers_are_split_and_trimmed_as_pact_does() {
        let mut headers = HeaderMap::new();
        headers.insert("access-control-expose-headers", HeaderValue::from_static("Content-Length,  Expires"));
        headers.insert("last-modified", HeaderValue::from_static("Sun, 12 Mar 2023 01:21:35 GMT"));
        let parsed = pact_headers(&headers).unwrap();
        assert_eq!(parsed["access-control-expose-headers"], ["Content-Length", "Expires"]);
        assert_eq!(parsed["last-modified"], ["Sun, 12 Mar 2023 01:21:35 GMT"]);
        assert!(pact_headers(&HeaderMap::new()).is_none());
    }
}
