//! Issue 5, secrets: broker passwords and tokens never appear in any output, report, panic
//! message or `Debug`. The strongest check runs this binary's own `#[pact_provider_test]` as a
//! subprocess with failing credentials in its environment and searches everything it printed.
//! Every run is bounded; the bound is in each test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use pact_runtime::__private::BrokerClient;
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{pact_provider_test, verify_provider, RunError, Settings};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const TOKEN: &str = "tok-K7v2-never-print-me";
const PASSWORD: &str = "pw-K7v2-never-print-me";

/// Every form a secret could leak in: as is, and inside a basic-auth header.
fn secret_forms() -> Vec<String> {
    vec![
        TOKEN.to_string(),
        PASSWORD.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("pact:{PASSWORD}")),
        // A token given as the URL's username, sent as basic auth with an empty password.
        base64::engine::general_purpose::STANDARD.encode(format!("{TOKEN}:")),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in secret_forms() {
        assert!(!text.contains(&secret), "{what} shows a secret (`{secret}`):\n{text}");
    }
}

struct Server {
    base: String,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(router: Router) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    Server { base, task: tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }) }
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}

/// A broker that answers every request with `status`, echoing the Authorization header.
async fn refusing_broker(status: StatusCode) -> Server {
    serve(Router::new().fallback(move |headers: HeaderMap| async move {
        let sent = headers.get("authorization").and_then(|value| value.to_str().ok()).unwrap_or_default().to_string();
        (status, format!("refused `Authorization: {sent}`"))
    }))
    .await
}

/// Serves, to `pact:PASSWORD` only, a SecretService pact the app fails (it expects a 418).
async fn pact_server() -> Server {
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("pact:{PASSWORD}")));
    serve(Router::new().route(
        "/pacts/1",
        get(move |headers: HeaderMap| async move {
            if headers.get("authorization").and_then(|value| value.to_str().ok()) != Some(expected.as_str()) {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            Json(json!({
                "consumer": { "name": "SecretConsumer" },
                "provider": { "name": "SecretService" },
                "interactions": [{
                    "description": "a ping that wants a teapot",
                    "request": { "method": "GET", "path": "/ping" },
                    "response": { "status": 418 }
                }],
                "metadata": { "pactSpecification": { "version": "3.0.0" } }
            }))
            .into_response()
        }),
    ))
    .await
}

fn ping_app() -> Router {
    Router::new().route("/ping", get(|| async { StatusCode::OK }))
}

// The test the subprocesses run. In this binary's normal run no broker is set, so it verifies
// the local pact and passes.
#[pact_provider_test(provider = "SecretService", pacts = "fixtures/diagnostics/secrets")]
async fn secret_service_child() -> Router {
    ping_app()
}

/// Runs `secret_service_child` in a fresh process with only `env`, and answers whether it
/// passed and everything it printed: stdout, stderr and the JUnit and JSON report files it
/// wrote. Bound: 20 s.
async fn run_child(env: &[(&str, String)]) -> (bool, String) {
    let reports = std::env::temp_dir().join(format!("pact-secrets-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&reports).unwrap();
    let mut command = tokio::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["secret_service_child", "--exact", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env("PACT_DO_NOT_TRACK", "true")
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "trace")
        .env("PACT_VERIFIER_JUNIT_REPORT", reports.join("junit.xml"))
        .env("PACT_VERIFIER_JSON_REPORT", reports.join("report.json"))
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let output = tokio::time::timeout(Duration::from_secs(20), command.output())
        .await
        .expect("the child test finished within 20 s")
        .expect("the child test ran");
    assert!(started.elapsed() < Duration::from_secs(20));
    let mut text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    // A configuration error stops the run before it knows where reports go: then there are none.
    for file in ["junit.xml", "report.json"] {
        let Ok(written) = std::fs::read_to_string(reports.join(file)) else { continue };
        text.push_str(&format!("\n---- {file} ----\n{written}"));
    }
    let _ = std::fs::remove_dir_all(&reports);
    (output.status.success(), text)
}

/// A failing configuration: its name, its environment, and a fragment of the message it must print.
type Case = (&'static str, Vec<(&'static str, String)>, &'static str);

/// Every failing configuration, run as a real `#[pact_provider_test]` in a subprocess: each
/// fails with its message, and nothing it prints holds a secret. Bound: 20 s per child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_generated_tests_never_print_secrets() {
    let unauthorized = refusing_broker(StatusCode::UNAUTHORIZED).await;
    let forbidden = refusing_broker(StatusCode::FORBIDDEN).await;
    let bad_gateway = refusing_broker(StatusCode::BAD_GATEWAY).await;
    let pacts = pact_server().await;
    let with_password = |base: &str| base.replace("http://", &format!("http://pact:{PASSWORD}@"));
    let closed = closed_port();

    let cases: Vec<Case> = vec![
        (
            "password in the broker URL, 401",
            vec![("PACT_BROKER_BASE_URL", with_password(&unauthorized.base))],
            "the credentials from the broker URL's userinfo were used (values not shown)",
        ),
        (
            "token, 403",
            vec![("PACT_BROKER_BASE_URL", forbidden.base.clone()), ("PACT_BROKER_TOKEN", TOKEN.to_string())],
            "the credentials from PACT_BROKER_TOKEN were used (values not shown)",
        ),
        (
            "username and password, a proxy that echoes them",
            vec![
                ("PACT_BROKER_BASE_URL", bad_gateway.base.clone()),
                ("PACT_BROKER_USERNAME", "pact".to_string()),
                ("PACT_BROKER_PASSWORD", PASSWORD.to_string()),
            ],
            "refused `Authorization: Basic ***`",
        ),
        (
            "token and username together",
            vec![
                ("PACT_BROKER_BASE_URL", forbidden.base.clone()),
                ("PACT_BROKER_TOKEN", TOKEN.to_string()),
                ("PACT_BROKER_USERNAME", "pact".to_string()),
                ("PACT_BROKER_PASSWORD", PASSWORD.to_string()),
            ],
            "configuration error: both PACT_BROKER_TOKEN and PACT_BROKER_USERNAME are set",
        ),
        (
            "a pact URL with a password that verifies and fails",
            vec![("PACT_URL", with_password(&format!("{}/pacts/1", pacts.base)))],
            "SecretConsumer › a ping that wants a teapot",
        ),
        (
            "a pact source URL with a password nobody serves",
            vec![("PACT_SOURCES", format!("http://pact:{PASSWORD}@127.0.0.1:{closed}/pact.json"))],
            "cannot fetch pact http://pact:***@127.0.0.1:",
        ),
        (
            "a broker URL with a password that does not parse",
            vec![("PACT_BROKER_BASE_URL", format!("http://pact:{PASSWORD}@127.0.0.1:99999"))],
            "PACT_BROKER_BASE_URL is not a URL (invalid port number): `http://pact:***@127.0.0.1:99999`",
        ),
        (
            "a broker URL that is no URL at all, with userinfo in it",
            vec![("PACT_BROKER_BASE_URL", format!("not a url pact:{PASSWORD}@"))],
            "PACT_BROKER_BASE_URL is not a URL (relative URL without a base): `not a url pact:***@`",
        ),
        (
            "a broker URL that is no URL at all, with a token in it",
            vec![("PACT_BROKER_BASE_URL", format!("{TOKEN}@broker"))],
            "PACT_BROKER_BASE_URL is not a URL (relative URL without a base): `***@broker`",
        ),
        (
            "a pact URL with a password that does not parse",
            vec![("PACT_URL", format!("http://pact:{PASSWORD}@127.0.0.1:99999/pacts/1"))],
            "http://pact:***@127.0.0.1:99999/pacts/1",
        ),
        (
            "a pact source URL with a password that does not parse",
            vec![("PACT_SOURCES", format!("http://pact:{PASSWORD}@127.0.0.1:99999/pact.json"))],
            "cannot fetch pact http://pact:***@127.0.0.1:99999/pact.json",
        ),
        (
            "a token as the broker URL's username, echoed by the broker",
            vec![("PACT_BROKER_BASE_URL", bad_gateway.base.replace("http://", &format!("http://{TOKEN}@")))],
            "refused `Authorization: Basic ***`",
        ),
        (
            "a secret in custom headers that do not parse",
            vec![("PACT_CUSTOM_HEADERS", format!("Authorization Bearer {TOKEN}"))],
            "PACT_CUSTOM_HEADERS: `Authorization Bearer ***` is not a header",
        ),
    ];
    for (case, env, expected) in cases {
        let (passed, output) = run_child(&env).await;
        println!("---- {case} ----\n{output}");
        assert!(!passed, "{case}: the child test should fail:\n{output}");
        assert!(output.contains("panicked at"), "{case}: the child should fail by panicking:\n{output}");
        assert!(output.contains(expected), "{case}: `{expected}` is not in:\n{output}");
        assert_no_secret(case, &output);
    }
}

/// The child passes without faults, so the failures above are the faults'. Bound: 20 s.
#[tokio::test]
async fn the_child_test_passes_offline() {
    let (passed, output) = run_child(&[]).await;
    assert!(passed, "{output}");
    assert!(output.contains("1 passed, 0 failed"), "{output}");
}

fn resolve(env: Vec<(&'static str, String)>) -> Settings {
    const SPEC: ProviderTestSpec = ProviderTestSpec {
        test_name: "t",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("provider", "SecretService")],
    };
    Settings::resolve_with(&SPEC, move |name| env.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone()))
        .unwrap()
}

/// `Debug` of settings, sources and broker clients hides every credential. Bound: no I/O.
#[test]
fn debug_output_hides_credentials() {
    let settings = resolve(vec![
        ("PACT_BROKER_BASE_URL", format!("https://pact:{PASSWORD}@broker.example")),
        ("PACT_URL", format!("https://pact:{PASSWORD}@broker.example/pacts/1")),
        ("PACT_SOURCES", format!("https://pact:{PASSWORD}@files.example/pact.json")),
    ]);
    let debug = format!("{settings:?}");
    assert_no_secret("Settings' Debug", &debug);
    assert!(debug.contains("pact:***@broker.example/pacts/1"), "{debug}");
    for source in settings.sources() {
        assert_no_secret("a source's Display", &source.to_string());
        assert_no_secret("a source's Debug", &format!("{source:?}"));
    }

    let settings = resolve(vec![
        ("PACT_BROKER_BASE_URL", "https://broker.example".to_string()),
        ("PACT_BROKER_TOKEN", TOKEN.to_string()),
    ]);
    assert_no_secret("Settings' Debug", &format!("{settings:?}"));
    let settings = resolve(vec![
        ("PACT_BROKER_BASE_URL", "https://broker.example".to_string()),
        ("PACT_BROKER_USERNAME", "pact".to_string()),
        ("PACT_BROKER_PASSWORD", PASSWORD.to_string()),
    ]);
    let debug = format!("{settings:?}");
    assert_no_secret("Settings' Debug", &debug);
    assert!(debug.contains("Secret(***)"), "{debug}");

    let client = BrokerClient::new(
        &format!("https://pact:{PASSWORD}@broker.example/pacts/1"),
        None,
        None,
        Duration::from_secs(1),
    )
    .unwrap();
    assert_no_secret("BrokerClient's Debug", &format!("{client:?}"));
}

/// A run that fetches a pact with credentials and fails: its report, summary and `Debug` show
/// the pact URL with the password masked. Bound: 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_failing_runs_hide_credentials() {
    let pacts = pact_server().await;
    let url = pacts.base.replace("http://", &format!("http://pact:{PASSWORD}@")) + "/pacts/1";
    let settings = resolve(vec![("PACT_URL", url)]);
    let run = verify_provider(&settings, || async { ping_app() });
    let report = tokio::time::timeout(Duration::from_secs(5), run).await.expect("finished within 5 s").unwrap();
    assert!(!report.is_success());
    let summary = report.failure_summary();
    assert!(summary.contains(&format!("pact: {}", pacts.base.replace("http://", "http://pact:***@"))), "{summary}");
    for (what, text) in [("report", report.to_string()), ("summary", summary), ("Debug", format!("{report:?}"))] {
        assert_no_secret(what, &text);
    }
}

/// Errors of failing runs, shown and debugged, hold no credential. Bound: 5 s per run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_of_failing_runs_hide_credentials() {
    let unauthorized = refusing_broker(StatusCode::UNAUTHORIZED).await;
    let echoing = refusing_broker(StatusCode::BAD_GATEWAY).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    for env in [
        vec![("PACT_BROKER_BASE_URL", unauthorized.base.replace("http://", &format!("http://pact:{PASSWORD}@")))],
        vec![("PACT_BROKER_BASE_URL", unauthorized.base.clone()), ("PACT_BROKER_TOKEN", TOKEN.to_string())],
        vec![("PACT_BROKER_BASE_URL", echoing.base.clone()), ("PACT_BROKER_TOKEN", TOKEN.to_string())],
        vec![("PACT_URL", format!("http://pact:{PASSWORD}@127.0.0.1:{}/pacts/1", closed_port()))],
    ] {
        let settings = resolve(env);
        let run = verify_provider(&settings, || async { ping_app() });
        let error: RunError =
            tokio::time::timeout(Duration::from_secs(5), run).await.expect("finished within 5 s").unwrap_err();
        assert_no_secret("an error's Display", &error.to_string());
        assert_no_secret("an error's Debug", &format!("{error:?}"));
        seen.lock().unwrap().push(error.to_string());
    }
    assert_eq!(seen.lock().unwrap().len(), 4);
}
