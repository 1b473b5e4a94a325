//! HTTP to the broker: authentication, bounded retries, HAL links, and errors that say what
//! went wrong without printing credentials.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{BrokerAuth, BrokerError, BrokerSettings};
use crate::util::redact;

/// Attempts per request: the first, then retries on 5xx and 429.
const ATTEMPTS: u32 = 4;
/// The longest `Retry-After` we honour, so a broker cannot stall the test.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A broker connection: one pooled client with the broker's credentials and CA bundle. Its
/// `Debug` hides the credentials, also those in a URL.
#[derive(Clone)]
pub struct BrokerClient {
    client: reqwest::Client,
    base_url: String,
    auth: Option<BrokerAuth>,
    retry_base: Duration,
}

impl std::fmt::Debug for BrokerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerClient")
            .field("base_url", &redact::url(&self.base_url))
            .field("auth", &self.auth)
            .field("retry_base", &self.retry_base)
            .finish_non_exhaustive()
    }
}

impl BrokerClient {
    /// A client for `settings.base_url`, trusting `settings.ca_bundle` besides the system roots.
    pub fn new(
        base_url: &str,
        auth: Option<BrokerAuth>,
        ca_bundle: Option<&std::path::Path>,
        timeout: Duration,
    ) -> Result<BrokerClient, BrokerError> {
        crate::util::install_crypto_provider();
        let mut builder =
            reqwest::Client::builder().user_agent(concat!("pact-runtime/", env!("CARGO_PKG_VERSION"))).timeout(timeout);
        if let Some(path) = ca_bundle {
            let pem = std::fs::read(path)
                .map_err(|err| BrokerError(format!("cannot read the CA bundle {}: {err}", path.display())))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| {
                BrokerError(format!("the CA bundle {} is not PEM certificates: {err}", path.display()))
            })?;
            if certificates.is_empty() {
                return Err(BrokerError(format!("the CA bundle {} holds no certificates", path.display())));
            }
            builder = builder.tls_certs_merge(certificates);
        }
        let client =
            builder.build().map_err(|err| BrokerError(format!("cannot build the broker's HTTP client: {err}")))?;
        Ok(BrokerClient {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth,
            retry_base: Duration::from_millis(250),
        })
    }

    /// A client for a broker's settings.
    pub fn for_settings(settings: &BrokerSettings, timeout: Duration) -> Result<BrokerClient, BrokerError> {
        Self::new(&settings.base_url, settings.auth.clone(), settings.ca_bundle.as_deref(), timeout)
    }

    /// The base URL, without credentials.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET` a HAL document.
    pub async fn get(&self, url: &str) -> Result<Value, BrokerError> {
        self.send(Method::GET, url, None).await
    }

    /// Sends JSON with `method` and parses the answer (an empty answer is `null`).
    pub async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Result<Value, BrokerError> {
        let url = self.resolve(url);
        let shown = redact::url(&url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request =
                self.client.request(method.clone(), &url).header("Accept", "application/hal+json, application/json");
            request = match &self.auth {
                Some(BrokerAuth::Basic { username, password, .. }) => {
                    request.basic_auth(username, Some(password.expose()))
                }
                Some(BrokerAuth::Bearer { token, .. }) => request.bearer_auth(token.expose()),
                None => request,
            };
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = match request.send().await {
                Ok(response) => response,
                // A TLS failure (an untrusted certificate, say) does not go away by retrying.
                Err(err)
                    if attempt < ATTEMPTS && (err.is_connect() || err.is_timeout()) && tls_error(&err).is_none() =>
                {
                    tokio::time::sleep(self.backoff(attempt, None)).await;
                    continue;
                }
                Err(err) => {
                    let hint = match tls_error(&err) {
                        Some(rustls::Error::InvalidCertificate(_)) => "; the broker's TLS certificate is not trusted: set PACT_BROKER_CA_BUNDLE (or `ca_bundle`) to a PEM file with the CA that signed it",
                        _ => "",
                    };
                    return Err(BrokerError(format!(
                        "cannot reach the Pact Broker at {shown}: {} (after {attempt} attempt(s)){hint}",
                        self.scrub(&error_chain(&err))
                    )));
                }
            };
            let status = response.status();
            if (status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) && attempt < ATTEMPTS {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                tokio::time::sleep(self.backoff(attempt, retry_after)).await;
                continue;
            }
            let text = self.scrub(&response.text().await.unwrap_or_default());
            return self.interpret(&method, &shown, status, &text, attempt);
        }
    }

    /// `text` without our credentials, in case a broker or proxy echoes them back in an error.
    fn scrub(&self, text: &str) -> String {
        let mut secrets: Vec<String> = Vec::new();
        match &self.auth {
            Some(BrokerAuth::Basic { username, password, .. }) => {
                // Even with an empty password: the username may be a token given as the URL's user.
                if !password.expose().is_empty() {
                    secrets.push(password.expose().to_string());
                }
                let pair = format!("{username}:{}", password.expose());
                secrets.push(base64_encode(pair.as_bytes()));
            }
            Some(BrokerAuth::Bearer { token, .. }) if !token.expose().is_empty() => {
                secrets.push(token.expose().to_string())
            }
            _ => {}
        }
        if let Ok(url) = url::Url::parse(&self.base_url) {
            if let Some(password) = url.password().filter(|password| !password.is_empty()) {
                secrets.push(password.to_string());
            }
            if !url.username().is_empty() {
                let pair = format!("{}:{}", url.username(), url.password().unwrap_or_default());
                secrets.push(base64_encode(pair.as_bytes()));
            }
        }
        // Longest first, so a secret inside another never leaves the rest of it behind.
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        let text = secrets.iter().fold(text.to_string(), |text, secret| text.replace(secret.as_str(), "***"));
        redact::text(&text)
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        retry_after.map(|wait| wait.min(MAX_RETRY_AFTER)).unwrap_or(self.retry_base * 2u32.pow(attempt - 1))
    }

    fn interpret(
        &self,
        method: &Method,
        shown: &str,
        status: StatusCode,
        text: &str,
        attempts: u32,
    ) -> Result<Value, BrokerError> {
        match status {
            status if status.is_success() => {
                if text.trim().is_empty() {
                    return Ok(Value::Null);
                }
                serde_json::from_str(text).map_err(|err| {
                    BrokerError(format!(
                        "the Pact Broker's answer to {method} {shown} is not JSON ({err}): {}",
                        excerpt(text)
                    ))
                })
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let credentials = match &self.auth {
                    Some(auth) => format!("the credentials from {} were used (values not shown)", auth.source()),
                    None => "no credentials were given: set PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD".to_string(),
                };
                Err(BrokerError(format!(
                    "Pact Broker authentication failed: {method} {shown} answered {status}; {credentials}"
                )))
            }
            status => {
                let detail = serde_json::from_str::<Value>(text)
                    .ok()
                    .and_then(|body| body.get("errors").cloned())
                    .map(|errors| format_errors(&errors))
                    .unwrap_or_else(|| excerpt(text));
                let retried = if attempts > 1 { format!(" after {attempts} attempts") } else { String::new() };
                Err(BrokerError(format!("the Pact Broker answered {status} to {method} {shown}{retried}: {detail}")))
            }
        }
    }

    /// An absolute URL for a HAL href (brokers may answer relative ones).
    pub fn resolve(&self, href: &str) -> String {
        if href.starts_with("http://") || href.starts_with("https://") {
            href.to_string()
        } else {
            format!("{}/{}", self.base_url, href.trim_start_matches('/'))
        }
    }
}

/// The href of link `rel` in a HAL document, with `{name}` template values filled in.
pub(crate) fn link(document: &Value, rel: &str, values: &[(&str, &str)]) -> Result<String, BrokerError> {
    let href = document
        .get("_links")
        .and_then(|links| links.get(rel))
        .and_then(|link| link.get("href"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            BrokerError(format!(
                "the Pact Broker's document has no `{rel}` link (is the URL a Pact Broker, and new enough?)"
            ))
        })?;
    Ok(values.iter().fold(href.to_string(), |href, (name, value)| {
        href.replace(
            &format!("{{{name}}}"),
            &url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20"),
        )
    }))
}

/// `err` and its causes, as `a: b: c`, without credentials.
fn error_chain(err: &reqwest::Error) -> String {
    redact::error(err)
}

/// The TLS error behind `err`, if the request failed in the TLS handshake. It sits inside
/// `io::Error`s, whose `source()` skips the error they wrap, so those are unwrapped by hand.
fn tls_error(err: &reqwest::Error) -> Option<&rustls::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(error) = cause {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cause = match error.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner),
            None => error.source(),
        };
    }
    None
}

/// Standard base64 with padding, as HTTP basic auth encodes `user:password`.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, byte)| n | (u32::from(*byte) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

fn format_errors(errors: &Value) -> String {
    match errors {
        Value::Object(fields) => fields
            .iter()
            .map(|(field, messages)| match messages {
                Value::Array(list) => format!("{field}: {}", list.iter().map(plain).collect::<Vec<_>>().join("; ")),
                other => format!("{field}: {}", plain(other)),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Array(list) => list.iter().map(plain).collect::<Vec<_>>().join("; "),
        other => plain(other),
    }
}

fn plain(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_string();
    }
    let cut: String = trimmed.chars().take(200).collect();
    if cut.len() < trimmed.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod scrub_tests {
    use super::*;
    use crate::broker::Secret;

    #[test]
    fn base64_matches_basic_auth() {
        assert_eq!(base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64_encode(b"a"), "YQ==");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_encode(b""), "");
    }

    #[test]
    fn echoed_credentials_are_scrubbed() {
        let auth = BrokerAuth::Basic { username: "pact".into(), password: Secret::new("s3cret"), source: "test" };
        let client = BrokerClient::new("https://broker.example", Some(auth), None, Duration::from_secs(1)).unwrap();
        let echoed = format!("got Basic {} and s3cret", base64_encode(b"pact:s3cret"));
        assert_eq!(client.scrub(&echoed), "got Basic *** and ***");
        let client =
            BrokerClient::new("https://u:pw-in-url@broker.example", None, None, Duration::from_secs(1)).unwrap();
        assert_eq!(client.scrub("pw-in-url"), "***");
        assert!(!format!("{client:?}").contains("pw-in-url"));
    }
}
