//! Issue 5, Pact Broker faults, against a tiny axum broker written here that answers each
//! fault: authentication failures name the credential variables and never their values; a
//! provider the broker does not know, an unreachable broker, 5xx and 429 (retried a bounded
//! number of times with backoff), and malformed HAL or JSON each give their own error, never
//! "no pacts". Every run is bounded; the bound is in each test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{verify_provider, RunError, Settings, VerificationReport};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const PROVIDER: &str = "BrokerService";
const TOKEN: &str = "tok-Zq81-never-print-me";
const PASSWORD: &str = "pw-Zq81-never-print-me";

/// What the tiny broker does wrong.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    /// A working broker with one passing pact.
    None,
    /// Every request answers this status.
    Status(u16),
    /// Every request answers 429 with `Retry-After: 0`.
    TooManyRequests,
    /// The first `n` requests answer 503, then it works.
    UnavailableFor(usize),
    /// The index is an HTML login page.
    IndexNotJson,
    /// The index has no pacts-for-verification link.
    IndexWithoutLinks,
    /// Pacts-for-verification answers 404: the broker does not know the provider.
    UnknownProvider,
    /// Pacts-for-verification has no `_embedded.pacts`.
    ForVerificationWithoutPacts,
    /// Pacts-for-verification lists no pacts.
    NoPacts,
    /// The pact document is not a pact.
    PactNotAPact,
    /// Errors echo the request's Authorization header, like a careless proxy.
    EchoesCredentials,
    /// The one pact has no interactions.
    EmptyPact,
}

#[derive(Clone)]
struct Broker {
    fault: Fault,
    base: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
}

struct RunningBroker {
    base: String,
    hits: Arc<AtomicUsize>,
    server: JoinHandle<()>,
}

impl Drop for RunningBroker {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn broker(fault: Fault) -> RunningBroker {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = Broker { fault, base: Arc::new(Mutex::new(base.clone())), hits: Arc::default() };
    let hits = state.hits.clone();
    let router = Router::new().fallback(answer).with_state(state);
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    RunningBroker { base, hits, server }
}

fn pact() -> Value {
    json!({
        "consumer": { "name": "BrokerConsumer" },
        "provider": { "name": PROVIDER },
        "interactions": [{
            "description": "a health check",
            "request": { "method": "GET", "path": "/health" },
            "response": { "status": 200 }
        }],
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    })
}

async fn answer(State(broker): State<Broker>, method: Method, uri: Uri, headers: HeaderMap, _body: Bytes) -> Response {
    let hit = broker.hits.fetch_add(1, Ordering::SeqCst) + 1;
    let base = broker.base.lock().unwrap().clone();
    let path = uri.path();
    match broker.fault {
        Fault::Status(code) => {
            return (StatusCode::from_u16(code).unwrap(), "down for maintenance").into_response();
        }
        Fault::TooManyRequests => {
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "slow down").into_response();
        }
        Fault::UnavailableFor(n) if hit <= n => return (StatusCode::SERVICE_UNAVAILABLE, "warming up").into_response(),
        Fault::EchoesCredentials => {
            let sent = headers.get("authorization").and_then(|value| value.to_str().ok()).unwrap_or_default();
            return (StatusCode::BAD_GATEWAY, format!("upstream refused the request with `Authorization: {sent}`"))
                .into_response();
        }
        _ => {}
    }
    match (method, path) {
        (Method::GET, "/") => match broker.fault {
            Fault::IndexNotJson => ([("content-type", "text/html")], "<html><body>Proxy login</body></html>").into_response(),
            Fault::IndexWithoutLinks => Json(json!({ "_links": {} })).into_response(),
            _ => Json(json!({ "_links": {
                "pb:provider-pacts-for-verification": { "href": format!("{base}/pacts/provider/{{provider}}/for-verification") }
            } }))
            .into_response(),
        },
        (Method::POST, "/pacts/provider/BrokerService/for-verification") => match broker.fault {
            Fault::UnknownProvider => {
                (StatusCode::NOT_FOUND, Json(json!({ "error": "The requested document was not found" }))).into_response()
            }
            Fault::ForVerificationWithoutPacts => Json(json!({ "_links": {} })).into_response(),
            Fault::NoPacts => Json(json!({ "_embedded": { "pacts": [] } })).into_response(),
            _ => Json(json!({ "_embedded": { "pacts": [{
                "shortDescription": "latest from main",
                "verificationProperties": { "pending": false, "notices": [] },
                "_links": { "self": { "href": format!("{base}/pacts/1") } }
            }] } }))
            .into_response(),
        },
        (Method::GET, "/pacts/1") if broker.fault == Fault::PactNotAPact => Json(json!(["not", "a", "pact"])).into_response(),
        (Method::GET, "/pacts/1") if broker.fault == Fault::EmptyPact => {
            let mut empty = pact();
            empty["interactions"] = json!([]);
            Json(empty).into_response()
        }
        (Method::GET, "/pacts/1") => Json(pact()).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Settings from the environment `env`, as a `#[pact_provider_test(provider = "BrokerService")]` resolves them.
fn settings(env: Vec<(&'static str, String)>) -> Settings {
    const SPEC: ProviderTestSpec = ProviderTestSpec {
        test_name: "t",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("provider", PROVIDER)],
    };
    Settings::resolve_with(&SPEC, move |name| env.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone()))
        .unwrap()
}

/// Runs against the broker and fails the test after `bound`.
async fn run(bound: Duration, settings: Settings) -> Result<VerificationReport, RunError> {
    let started = Instant::now();
    let app = || async { Router::new().route("/health", get(|| async { StatusCode::OK })) };
    let outcome =
        tokio::time::timeout(bound, verify_provider(&settings, app)).await.expect("the run finished within its bound");
    assert!(started.elapsed() < bound, "took {:?}", started.elapsed());
    outcome
}

/// The broker error's message, checking that no secret is in its Display or Debug.
fn broker_error(outcome: Result<VerificationReport, RunError>) -> String {
    let error = match outcome {
        Err(error @ RunError::Broker(_)) => error,
        other => panic!("expected a broker error, got {other:?}"),
    };
    let (text, debug) = (error.to_string(), format!("{error:?}"));
    for secret in [TOKEN, PASSWORD] {
        assert!(!text.contains(secret) && !debug.contains(secret), "a secret leaked: {text}");
    }
    text
}

fn with_token(base: &str) -> Settings {
    settings(vec![("PACT_BROKER_BASE_URL", base.to_string()), ("PACT_BROKER_TOKEN", TOKEN.to_string())])
}

// ---- a working broker, so the faults below are the only difference ----

/// Bound: 5 s.
#[tokio::test]
async fn the_tiny_broker_serves_a_pact_that_verifies() {
    let broker = broker(Fault::None).await;
    let report = run(Duration::from_secs(5), with_token(&broker.base)).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.results.len(), 1);
}

/// A pact the broker serves without interactions passes, with a warning naming it, as a file
/// does. Bound: 5 s.
#[tokio::test]
async fn a_broker_pact_without_interactions_warns() {
    let broker = broker(Fault::EmptyPact).await;
    let report = run(Duration::from_secs(5), with_token(&broker.base)).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert!(report.results.is_empty());
    assert_eq!(
        report.warnings,
        [format!(
            "pact {}/pacts/1 (BrokerConsumer → BrokerService) has no interactions: nothing in it is verified",
            broker.base
        )]
    );
    assert!(report.to_string().contains("has no interactions: nothing in it is verified"), "{report}");
}

// ---- authentication ----

/// Bound: 3 s: a 401 is not retried.
#[tokio::test]
async fn unauthorized_names_the_token_variable_not_its_value() {
    let broker = broker(Fault::Status(401)).await;
    let text = broker_error(run(Duration::from_secs(3), with_token(&broker.base)).await);
    assert_eq!(
        text,
        format!(
            "Pact Broker authentication failed: GET {}/ answered 401 Unauthorized; the credentials from PACT_BROKER_TOKEN were used (values not shown)",
            broker.base
        )
    );
    assert_eq!(broker.hits.load(Ordering::SeqCst), 1);
}

/// Bound: 3 s.
#[tokio::test]
async fn forbidden_names_the_basic_auth_variables_not_their_values() {
    let broker = broker(Fault::Status(403)).await;
    let settings = settings(vec![
        ("PACT_BROKER_BASE_URL", broker.base.clone()),
        ("PACT_BROKER_USERNAME", "pact".to_string()),
        ("PACT_BROKER_PASSWORD", PASSWORD.to_string()),
    ]);
    let text = broker_error(run(Duration::from_secs(3), settings).await);
    assert_eq!(
        text,
        format!(
            "Pact Broker authentication failed: GET {}/ answered 403 Forbidden; the credentials from PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD were used (values not shown)",
            broker.base
        )
    );
}

/// Bound: 3 s.
#[tokio::test]
async fn unauthorized_with_credentials_in_the_url_names_the_url_userinfo() {
    let broker = broker(Fault::Status(401)).await;
    let with_userinfo = broker.base.replace("http://", &format!("http://pact:{PASSWORD}@"));
    let settings = settings(vec![("PACT_BROKER_BASE_URL", with_userinfo)]);
    let text = broker_error(run(Duration::from_secs(3), settings).await);
    assert_eq!(
        text,
        format!(
            "Pact Broker authentication failed: GET {}/ answered 401 Unauthorized; the credentials from the broker URL's userinfo were used (values not shown)",
            broker.base
        )
    );
}

/// Bound: 3 s.
#[tokio::test]
async fn unauthorized_without_credentials_says_which_variables_to_set() {
    let broker = broker(Fault::Status(401)).await;
    let text =
        broker_error(run(Duration::from_secs(3), settings(vec![("PACT_BROKER_BASE_URL", broker.base.clone())])).await);
    assert!(
        text.ends_with(
            "answered 401 Unauthorized; no credentials were given: set PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD"
        ),
        "{text}"
    );
}

// ---- unknown provider, unreachable broker ----

/// Bound: 3 s.
#[tokio::test]
async fn a_provider_the_broker_does_not_know_says_no_pacts_for_it() {
    let broker = broker(Fault::UnknownProvider).await;
    let text = broker_error(run(Duration::from_secs(3), with_token(&broker.base)).await);
    assert_eq!(
        text,
        format!(
            "no pacts for provider `BrokerService`: the Pact Broker does not know it (the Pact Broker answered 404 Not Found to POST {}/pacts/provider/BrokerService/for-verification: {{\"error\":\"The requested document was not found\"}})",
            broker.base
        )
    );
}

/// Connection refused is retried with backoff (0.25 + 0.5 + 1 s), then names the URL without
/// its credentials. Bound: 6 s.
#[tokio::test]
async fn an_unreachable_broker_names_its_url_without_credentials() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
    let settings = settings(vec![("PACT_BROKER_BASE_URL", format!("http://pact:{PASSWORD}@127.0.0.1:{port}"))]);
    let started = Instant::now();
    let text = broker_error(run(Duration::from_secs(6), settings).await);
    assert!(started.elapsed() >= Duration::from_millis(1700), "it should back off: {:?}", started.elapsed());
    assert!(
        text.starts_with(&format!(
            "cannot reach the Pact Broker at http://127.0.0.1:{port}/: error sending request for url (http://127.0.0.1:{port}/): "
        )),
        "{text}"
    );
    assert!(text.contains("Connection refused") && text.ends_with(" (after 4 attempt(s))"), "{text}");
    assert!(!text.contains("pact:"), "{text}");
}

/// Webhook mode with credentials in `PACT_URL`: the password is masked. Bound: 6 s.
#[tokio::test]
async fn an_unreachable_pact_url_masks_its_password() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
    let settings = settings(vec![("PACT_URL", format!("http://pact:{PASSWORD}@127.0.0.1:{port}/pacts/1"))]);
    let text = broker_error(run(Duration::from_secs(6), settings).await);
    assert!(
        text.starts_with(&format!("cannot reach the Pact Broker at http://pact:***@127.0.0.1:{port}/pacts/1: ")),
        "{text}"
    );
}

// ---- 5xx and 429 ----

/// Bound: 5 s: four attempts with 0.25 + 0.5 + 1 s of backoff.
#[tokio::test]
async fn a_broker_that_keeps_failing_is_retried_four_times_then_named() {
    let broker = broker(Fault::Status(503)).await;
    let started = Instant::now();
    let text = broker_error(run(Duration::from_secs(5), with_token(&broker.base)).await);
    assert!(started.elapsed() >= Duration::from_millis(1700), "{:?}", started.elapsed());
    assert_eq!(
        text,
        format!(
            "the Pact Broker answered 503 Service Unavailable to GET {}/ after 4 attempts: down for maintenance",
            broker.base
        )
    );
    assert_eq!(broker.hits.load(Ordering::SeqCst), 4);
}

/// `Retry-After: 0` is honoured, so this is fast. Bound: 2 s.
#[tokio::test]
async fn too_many_requests_honours_retry_after_and_is_bounded() {
    let broker = broker(Fault::TooManyRequests).await;
    let text = broker_error(run(Duration::from_secs(2), with_token(&broker.base)).await);
    assert_eq!(
        text,
        format!("the Pact Broker answered 429 Too Many Requests to GET {}/ after 4 attempts: slow down", broker.base)
    );
    assert_eq!(broker.hits.load(Ordering::SeqCst), 4);
}

/// Two 503s, then the broker works: the run verifies. Bound: 5 s.
#[tokio::test]
async fn a_broker_that_recovers_within_the_retries_is_used() {
    let broker = broker(Fault::UnavailableFor(2)).await;
    let report = run(Duration::from_secs(5), with_token(&broker.base)).await.unwrap();
    assert!(report.is_success(), "{report}");
}

// ---- malformed answers are errors, never "no pacts" ----

/// Bound: 3 s.
#[tokio::test]
async fn an_index_that_is_not_json_is_an_error() {
    let broker = broker(Fault::IndexNotJson).await;
    let text = broker_error(run(Duration::from_secs(3), with_token(&broker.base)).await);
    assert_eq!(
        text,
        format!(
            "the Pact Broker's answer to GET {}/ is not JSON (expected value at line 1 column 1): <html><body>Proxy login</body></html>",
            broker.base
        )
    );
}

/// Bound: 3 s.
#[tokio::test]
async fn an_index_without_the_link_is_an_error() {
    let broker = broker(Fault::IndexWithoutLinks).await;
    let text = broker_error(run(Duration::from_secs(3), with_token(&broker.base)).await);
    assert_eq!(
        text,
        "the Pact Broker's document has no `pb:provider-pacts-for-verification` link (is the URL a Pact Broker, and new enough?)"
    );
}

/// Bound: 3 s.
#[tokio::test]
async fn a_for_verification_answer_without_pacts_is_an_error() {
    let broker = broker(Fault::ForVerificationWithoutPacts).await;
    let text = broker_error(run(Duration::from_secs(3), with_token(&broker.base)).await);
    assert_eq!(
        text,
        "the Pact Broker's pacts-for-verification answer for `BrokerService` is malformed: it has no `_embedded.pacts` array"
    );
}

/// Bound: 3 s.
#[tokio::test]
async fn a_pact_document_that_is_not_a_pact_is_an_error() {
    let broker = broker(Fault::PactNotAPact).await;
    let text = broker_error(run(Duration::from_secs(3), with_token(&broker.base)).await);
    assert!(text.starts_with(&format!("the pact at {}/pacts/1 cannot be read: ", broker.base)), "{text}");
    assert!(text.contains("not a valid pact file"), "{text}");
}

/// An empty list is the one answer that is "no pacts". Bound: 3 s.
#[tokio::test]
async fn an_empty_pact_list_is_no_pacts() {
    let broker = broker(Fault::NoPacts).await;
    let error = run(Duration::from_secs(3), with_token(&broker.base)).await.unwrap_err();
    assert!(matches!(error, RunError::NoPacts(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "no pacts found for provider `BrokerService` in the Pact Broker at {} with the given selectors; to pass when there are none, set `no_pacts = \"pass\"` or PACT_NO_PACTS=pass",
            broker.base
        )
    );
}

/// A proxy that echoes the Authorization header into its error page: the token and the basic
/// credentials are masked in the excerpt we show. Bound: 5 s (502 is retried).
#[tokio::test]
async fn credentials_echoed_by_the_broker_are_masked() {
    let broker = broker(Fault::EchoesCredentials).await;
    let text = broker_error(run(Duration::from_secs(5), with_token(&broker.base)).await);
    assert!(text.ends_with("upstream refused the request with `Authorization: Bearer ***`"), "{text}");

    let basic = settings(vec![
        ("PACT_BROKER_BASE_URL", broker.base.clone()),
        ("PACT_BROKER_USERNAME", "pact".to_string()),
        ("PACT_BROKER_PASSWORD", PASSWORD.to_string()),
    ]);
    let text = broker_error(run(Duration::from_secs(5), basic).await);
    assert!(text.ends_with("upstream refused the request with `Authorization: Basic ***`"), "{text}");
}
