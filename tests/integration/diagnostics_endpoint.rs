//! Issue 13, the state endpoint: only the run's engine (or a verifier given the run's URL) can
//! drive it. A request without the per-run secret segment is `403`, a body that is not JSON is
//! `415`, and neither runs anything. A `#[pact_provider_test]` run serves no endpoint at all: it
//! calls its state functions in-process.
//! Every request is bounded by the client's 5 s timeout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use pact_runtime::__private::{
    load_pacts, Engine, EngineConfig, StateEndpoint, StateRegistry, CONNECTION_TIMEOUT, DEFAULT_STATE_PATH,
};
use pact_runtime::config::PactSource;
use pact_runtime::provider_state;

const PROVIDER: &str = "GuardedService";
const PACT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/diagnostics/states/StatesConsumer-GuardedService.json");

static DELETIONS: AtomicUsize = AtomicUsize::new(0);

/// The tests count `DELETIONS` and the process's listening sockets, so they take turns: one
/// test's endpoint must not be counted as another's listener.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[provider_state("all users are deleted", provider = "GuardedService")]
fn delete_all_users() {
    DELETIONS.fetch_add(1, Ordering::SeqCst);
}

#[provider_state("a user exists", provider = "GuardedService")]
fn a_user_exists() {}

async fn endpoint() -> StateEndpoint {
    StateEndpoint::start(StateRegistry::for_provider(PROVIDER), DEFAULT_STATE_PATH, Duration::from_secs(5))
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    pact_runtime::install_crypto_provider();
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap()
}

const DELETE: &str = r#"{"state":"all users are deleted"}"#;

/// What `ss -ltnp` and `curl` find: the port, and the documented path. Without the secret
/// segment every request is `403` and nothing runs; the URL the endpoint gives out keeps the
/// documented path after its secret. Bound: 5 s per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_run_secret_are_forbidden_and_run_nothing() {
    let _turn = SERIAL.lock().await;
    let endpoint = endpoint().await;
    let port = endpoint.address().port();
    assert!(endpoint.url().ends_with(DEFAULT_STATE_PATH), "{}", endpoint.url());
    let secret = endpoint.url().trim_end_matches(DEFAULT_STATE_PATH).rsplit('/').next().unwrap().to_string();
    assert_eq!(secret.len(), 32, "128 random bits: {}", endpoint.url());
    let before = DELETIONS.load(Ordering::SeqCst);
    let guessed = format!("http://127.0.0.1:{port}{DEFAULT_STATE_PATH}");
    for content_type in ["application/json", "text/plain"] {
        let response = client().post(&guessed).header("content-type", content_type).body(DELETE).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let response = client().get(&guessed).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = client().post(format!("{guessed}?state=all%20users%20are%20deleted")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(DELETIONS.load(Ordering::SeqCst), before, "no request without the secret ran a state");
    // Another endpoint has another secret.
    assert_ne!(endpoint.url(), endpoint_url_of_another().await);
}

async fn endpoint_url_of_another() -> String {
    endpoint().await.url().to_string()
}

/// With the secret, a `text/plain` body (what a web page can send without asking) is `415`
/// and runs nothing; JSON with its content type, and the query form, run the state.
/// Bound: 5 s per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_must_be_declared_json() {
    let _turn = SERIAL.lock().await;
    let endpoint = endpoint().await;
    let before = DELETIONS.load(Ordering::SeqCst);
    let response =
        client().post(endpoint.url()).header("content-type", "text/plain").body(DELETE).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let text = response.text().await.unwrap();
    assert!(text.contains("Content-Type: application/json"), "{text}");
    let response = client().post(endpoint.url()).body(DELETE).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type at all");
    assert_eq!(DELETIONS.load(Ordering::SeqCst), before);

    let response = client()
        .post(endpoint.url())
        .header("content-type", "application/json; charset=utf-8")
        .body(DELETE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client().post(format!("{}?state=all%20users%20are%20deleted", endpoint.url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(DELETIONS.load(Ordering::SeqCst), before + 2);
}

// ---- finding 6: the smaller points ----

/// Reads `stream` until the peer closes it (or resets it); answers when that happened, or
/// `None` if it was still open at `deadline`.
async fn closed_at(
    mut stream: impl tokio::io::AsyncRead + Unpin,
    deadline: tokio::time::Instant,
) -> Option<tokio::time::Instant> {
    use tokio::io::AsyncReadExt as _;
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(tokio::time::Instant::now()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// A connection that sends half a request line and stops, one that drips a byte every 500 ms,
/// and one that sends nothing are each closed once `CONNECTION_TIMEOUT` (10 s) passes, not
/// before; the endpoint still serves afterwards. Bound: `CONNECTION_TIMEOUT` + 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt as _;
    let _turn = SERIAL.lock().await;
    let endpoint = endpoint().await;
    let started = tokio::time::Instant::now();
    let deadline = started + CONNECTION_TIMEOUT + Duration::from_secs(5);
    let mut half = tokio::net::TcpStream::connect(endpoint.address()).await.unwrap();
    half.write_all(b"POST /").await.unwrap();
    let idle = tokio::net::TcpStream::connect(endpoint.address()).await.unwrap();
    let drip = tokio::net::TcpStream::connect(endpoint.address()).await.unwrap();
    let (drip_read, mut drip_write) = drip.into_split();
    let dripping = tokio::spawn(async move {
        for byte in b"POST /a-very-long-path-sent-slowly".iter().cycle() {
            if drip_write.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let (half, idle, drip) =
        tokio::join!(closed_at(half, deadline), closed_at(idle, deadline), closed_at(drip_read, deadline));
    dripping.abort();
    for (name, closed) in [("half a request line", half), ("an idle connection", idle), ("a dripping one", drip)] {
        let closed = closed.unwrap_or_else(|| panic!("{name} was still open after {:?}", deadline - started));
        let after = closed - started;
        assert!(after >= CONNECTION_TIMEOUT - Duration::from_millis(500), "{name} was closed early, after {after:?}");
    }
    let response = client().post(format!("{}?state=a%20user%20exists", endpoint.url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the endpoint still serves");
}

/// A request declaring `Content-Length: 99999999999` and sending nothing more was answered
/// `408` after 10 s; a declared body over the limit is a `400` at once. Bound: 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_limit_is_refused_at_once() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _turn = SERIAL.lock().await;
    let endpoint = endpoint().await;
    let url = reqwest::Url::parse(endpoint.url()).unwrap();
    let mut stream = tokio::net::TcpStream::connect(endpoint.address()).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{{",
        url.path()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("state-change body is 99999999999 bytes (Content-Length), larger than 65536 bytes"),
        "{answer}"
    );
}

/// A repeated `state=` in the query form is a `400`, not the last one silently. Bound: 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_state_in_the_query_form_is_rejected() {
    let _turn = SERIAL.lock().await;
    let endpoint = endpoint().await;
    let before = DELETIONS.load(Ordering::SeqCst);
    let url = format!("{}?state=a%20user%20exists&state=all%20users%20are%20deleted", endpoint.url());
    let response = client().post(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("names `state` more than once"));
    assert_eq!(DELETIONS.load(Ordering::SeqCst), before);
}

/// A state endpoint that is gone fails the interaction with the cause, not only reqwest's
/// "error sending request". Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors_keep_their_cause() {
    let _turn = SERIAL.lock().await;
    pact_runtime::install_crypto_provider();
    let closed = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
    let state_url = format!("http://127.0.0.1:{closed}{DEFAULT_STATE_PATH}");
    let run = async {
        let engine = Engine::new(EngineConfig::new(format!("http://127.0.0.1:{closed}"), Some(state_url))).unwrap();
        let pacts = load_pacts(&[PactSource::File(PACT.into())], Some(PROVIDER), engine.client()).await.unwrap();
        engine.verify(PROVIDER, &pacts, &Default::default(), Default::default()).await
    };
    let report = tokio::time::timeout(Duration::from_secs(10), run).await.expect("finished within 10 s");
    let failure = report.results[0].failures[0].to_string();
    assert!(failure.contains("the state endpoint did not answer"), "{failure}");
    assert!(failure.to_lowercase().contains("connection refused"), "{failure}");
}

/// Control characters in a pact's text and in the provider's body are escaped in the console
/// report: a pact cannot clear the terminal or ring it. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_escapes_control_characters() {
    let _turn = SERIAL.lock().await;
    let pact = serde_json::json!({
        "consumer": { "name": "Escaper\u{1b}[2J" },
        "provider": { "name": PROVIDER },
        "interactions": [{
            "description": "a request that rings\u{7}",
            "request": { "method": "GET", "path": "/bell" },
            "response": { "status": 200, "body": { "text": "calm" } }
        }],
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    });
    let file = pact_tests::write_pact("Escaper-GuardedService.json", &pact);
    let app = || async {
        Router::new().route("/bell", get(|| async { axum::Json(serde_json::json!({ "text": "\u{1b}[2J\u{7}loud" })) }))
    };
    let settings = pact_runtime::Settings::builder().pacts(&file).provider(PROVIDER).build().unwrap();
    let run = pact_runtime::verify_provider(&settings, app);
    let report = tokio::time::timeout(Duration::from_secs(10), run).await.expect("finished within 10 s").unwrap();
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
    for shown in [report.to_string(), format!("{report:#}"), report.failure_summary()] {
        assert!(!shown.contains('\u{7}'), "a raw BEL:\n{shown:?}");
        assert!(!shown.contains("\u{1b}[2J"), "a raw ESC[2J:\n{shown:?}");
    }
    let shown = report.to_string();
    assert!(shown.contains("Escaper\\u{1b}[2J") && shown.contains("a request that rings\\u{7}"), "{shown}");
}

// ---- a #[pact_provider_test] run opens no state endpoint ----

/// The TCP sockets this process listens on, from `/proc` (Linux).
fn listening_sockets() -> usize {
    let owned: std::collections::HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let text = target.to_string_lossy().into_owned();
            Some(text.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    ["/proc/self/net/tcp", "/proc/self/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| table.lines().skip(1).map(str::to_string).collect::<Vec<_>>())
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(3) == Some(&"0A") && fields.get(9).is_some_and(|inode| owned.contains(*inode))
        })
        .count()
}

static LISTENING_DURING_STATE: std::sync::Mutex<Option<usize>> = std::sync::Mutex::new(None);

#[provider_state("the listeners are counted", provider = "ClosedService")]
fn count_listeners() {
    *LISTENING_DURING_STATE.lock().unwrap() = Some(listening_sockets());
}

/// While a state function runs, the process listens on the app's port and nothing else: the
/// run calls its functions in-process, so there is no state endpoint for anything on the machine
/// to find. Bound: 10 s.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_test_run_listens_only_for_its_app() {
    let _turn = SERIAL.lock().await;
    let pact = serde_json::json!({
        "consumer": { "name": "Closer" },
        "provider": { "name": "ClosedService" },
        "interactions": [{
            "description": "a request while the listeners are counted",
            "providerStates": [{ "name": "the listeners are counted" }],
            "request": { "method": "GET", "path": "/ping" },
            "response": { "status": 200 }
        }],
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    });
    let file = pact_tests::write_pact("Closer-ClosedService.json", &pact);
    let before = listening_sockets();
    let app = || async { Router::new().route("/ping", get(|| async { StatusCode::OK })) };
    let settings = pact_runtime::Settings::builder().pacts(&file).provider("ClosedService").build().unwrap();
    let run = pact_runtime::verify_provider(&settings, app);
    let report = tokio::time::timeout(Duration::from_secs(10), run).await.expect("finished within 10 s").unwrap();
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
    assert!(report.is_success(), "{report}");
    let during = LISTENING_DURING_STATE.lock().unwrap().take().expect("the state function ran");
    assert_eq!(during, before + 1, "only the app listens during the run (before it: {before})");
}
