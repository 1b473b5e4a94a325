//! Issue 5, pact sources: a malformed pact, an unknown specification version, a directory
//! without pacts for the provider, and a pact for another provider each fail naming the file
//! (or URL) and the cause; `no_pacts` decides whether finding none fails. Every run is bounded;
//! the bound is in each test.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use pact_runtime::config::PactSource;
use pact_runtime::config::{NoPacts, ProviderTestSpec, SettingsBuilder};
use pact_runtime::{pact_provider_test, verify_provider, RunError, Settings, VerificationReport};
use tokio::net::TcpListener;

const PROVIDER: &str = "PactService";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/diagnostics/pacts");

fn fixture(path: &str) -> PathBuf {
    Path::new(FIXTURES).join(path)
}

fn health_app() -> Router {
    Router::new().route("/health", get(|| async { StatusCode::OK }))
}

/// Runs `verify_provider` for `PactService` and fails the test after 5 s.
async fn verify(settings: Settings) -> Result<VerificationReport, RunError> {
    let started = Instant::now();
    let run = verify_provider(&settings, || async { health_app() });
    let outcome = tokio::time::timeout(Duration::from_secs(5), run).await.expect("the run finishes within 5 s");
    assert!(started.elapsed() < Duration::from_secs(5));
    outcome
}

fn sources(sources: Vec<PactSource>) -> Settings {
    builder(sources).build().expect("valid settings")
}

fn builder(sources: Vec<PactSource>) -> SettingsBuilder {
    sources.into_iter().fold(Settings::builder().provider(PROVIDER), |builder, source| match source {
        PactSource::File(path) | PactSource::Dir(path) => builder.pacts(path),
        PactSource::Url(url) => builder.pacts(url),
    })
}

fn message(outcome: Result<VerificationReport, RunError>) -> String {
    match outcome {
        Ok(report) => panic!("expected an error, got a report:\n{report}"),
        Err(error) => error.to_string(),
    }
}

/// Serves `body` as JSON at every path, on a loopback port. Bound: whoever awaits it.
async fn serve_json(body: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().fallback(move || {
        let body = body.clone();
        async move { ([("content-type", "application/json")], body) }
    });
    (base, tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }))
}

/// Bound: 5 s.
#[tokio::test]
async fn a_malformed_pact_names_the_file_and_the_parse_error() {
    let file = fixture("malformed/TruncatedConsumer-PactService.json");
    let text = message(verify(sources(vec![PactSource::File(file.clone())])).await);
    assert_eq!(
        text,
        format!(
            "cannot read pact file {}: Failed to parse Pact JSON: EOF while parsing a string at line 5 column 29",
            file.display()
        )
    );
    // In a directory, the same file fails the same way: it is never skipped as "no pacts".
    let text = message(verify(sources(vec![PactSource::Dir(fixture("malformed"))])).await);
    assert!(text.starts_with(&format!("cannot read pact file {}: ", file.display())), "{text}");
}

/// Bound: 5 s.
#[tokio::test]
async fn an_unknown_specification_version_names_the_file_and_the_version() {
    let file = fixture("unknown-version/FutureConsumer-PactService.json");
    let text = message(verify(sources(vec![PactSource::File(file.clone())])).await);
    assert_eq!(
        text,
        format!(
            "pact file {} has an unknown Pact specification version `9.0.0` (metadata.pactSpecification.version): pact-runtime verifies 1.0, 1.1, 2.0, 3.0 and 4.0 pacts",
            file.display()
        )
    );

    let (base, server) = serve_json(std::fs::read_to_string(&file).unwrap()).await;
    let text = message(verify(sources(vec![PactSource::Url(format!("{base}/future.json"))])).await);
    server.abort();
    assert!(
        text.starts_with(&format!("pact {base}/future.json has an unknown Pact specification version `9.0.0`")),
        "{text}"
    );
}

const PASS_HINT: &str = "; to pass when there are none, set `no_pacts = \"pass\"` or PACT_NO_PACTS=pass";

/// Bound: 5 s.
#[tokio::test]
async fn a_directory_without_pact_files_says_so() {
    let dir = fixture("empty");
    let text = message(verify(sources(vec![PactSource::Dir(dir.clone())])).await);
    assert_eq!(
        text,
        format!(
            "no pacts found for provider `PactService` in directory {} (it holds no *.json pact files){PASS_HINT}",
            dir.display()
        )
    );
}

/// Bound: 5 s.
#[tokio::test]
async fn a_directory_with_other_providers_pacts_names_them() {
    let dir = fixture("other-provider");
    let outcome = verify(sources(vec![PactSource::Dir(dir.clone())])).await;
    assert!(matches!(outcome, Err(RunError::NoPacts(_))), "{outcome:?}");
    assert_eq!(
        message(outcome),
        format!(
            "no pacts found for provider `PactService` in directory {} (it holds 1 pact(s), for `OtherService`: check `provider` or PACT_PROVIDER_NAME){PASS_HINT}",
            dir.display()
        )
    );
}

/// Bound: 5 s.
#[tokio::test]
async fn a_pact_for_another_provider_names_the_file_or_url_and_both_providers() {
    let file = fixture("other-provider/SomeoneElse-OtherService.json");
    let text = message(verify(sources(vec![PactSource::File(file.clone())])).await);
    assert_eq!(
        text,
        format!(
            "pact file {} is for provider `OtherService`, not `PactService`: fix the `provider` option or the path",
            file.display()
        )
    );

    let (base, server) = serve_json(std::fs::read_to_string(&file).unwrap()).await;
    let text = message(verify(sources(vec![PactSource::Url(format!("{base}/other.json"))])).await);
    server.abort();
    assert_eq!(
        text,
        format!("pact {base}/other.json is for provider `OtherService`, not `PactService`: fix the `provider` option or the URL")
    );
}

/// Bound: 5 s.
#[tokio::test]
async fn a_pact_url_nobody_serves_names_the_url() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/pacts/provider/PactService/latest");
    let text = message(verify(sources(vec![PactSource::Url(url.clone())])).await);
    assert!(text.starts_with(&format!("cannot fetch pact {url}: error sending request for url ({url})")), "{text}");
}

/// Bound: 5 s.
#[tokio::test]
async fn no_pacts_pass_turns_the_error_into_a_warning() {
    let dir = fixture("empty");
    let settings = builder(vec![PactSource::Dir(dir.clone())]).no_pacts(NoPacts::Pass).build().unwrap();
    let report = verify(settings).await.unwrap();
    assert!(report.is_success());
    assert!(report.results.is_empty());
    let warning = format!(
        "no pacts found for provider `PactService` in directory {} (it holds no *.json pact files); passing because no_pacts is `pass`",
        dir.display()
    );
    assert_eq!(report.warnings, std::slice::from_ref(&warning));
    let text = report.to_string();
    assert!(text.contains(&format!("  warning: {warning}")), "{text}");
    assert!(text.contains("0 passed, 0 failed"), "{text}");
}

/// Bound: none needed, no I/O.
#[test]
fn no_pacts_is_an_option_overridden_by_pact_no_pacts() {
    let spec = ProviderTestSpec { test_name: "t", manifest_dir: "/crate", options: &[("no_pacts", "pass")] };
    let resolve = |value: Option<&'static str>| {
        Settings::resolve_with(&spec, move |name| {
            (name == "PACT_NO_PACTS").then_some(value).flatten().map(String::from)
        })
    };
    assert_eq!(resolve(None).unwrap().no_pacts(), NoPacts::Pass);
    assert_eq!(resolve(Some("fail")).unwrap().no_pacts(), NoPacts::Fail);
    assert_eq!(resolve(Some("maybe")).unwrap_err().to_string(), "PACT_NO_PACTS must be `fail` or `pass`, got `maybe`");
    let defaults = ProviderTestSpec { test_name: "t", manifest_dir: "/crate", options: &[] };
    assert_eq!(Settings::resolve_with(&defaults, |_| None).unwrap().no_pacts(), NoPacts::Fail);
}

#[pact_provider_test(provider = "PactService", pacts = "fixtures/diagnostics/pacts/empty")]
#[should_panic(expected = "no pacts found for provider `PactService` in directory ")]
async fn an_empty_directory_fails_the_generated_test() -> Router {
    health_app()
}

#[pact_provider_test(provider = "PactService", pacts = "fixtures/diagnostics/pacts/empty", no_pacts = "pass")]
async fn an_empty_directory_passes_the_generated_test_with_no_pacts_pass() -> Router {
    health_app()
}

// ---- what discovery must not hang on ----

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("pact-discovery-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pact_json(interactions: usize) -> String {
    let interactions: Vec<serde_json::Value> = (0..interactions)
        .map(|index| {
            serde_json::json!({
                "description": format!("a health check {index}"),
                "request": { "method": "GET", "path": "/health" },
                "response": { "status": 200 }
            })
        })
        .collect();
    serde_json::json!({
        "consumer": { "name": "DiscoveryConsumer" },
        "provider": { "name": PROVIDER },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    })
    .to_string()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A FIFO and a socket named `*.json` in a pacts directory are skipped with a warning naming
/// them (opening a FIFO blocks until someone writes); a FIFO given as the file is an error.
/// Bound: 5 s per run.
#[cfg(unix)]
#[tokio::test]
async fn fifos_and_sockets_are_skipped_with_a_warning_and_never_opened() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("DiscoveryConsumer-PactService.json"), pact_json(1)).unwrap();
    let fifo = dir.0.join("a-fifo.json");
    mkfifo(&fifo);
    let socket = dir.0.join("a-socket.json");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();

    let report = verify(sources(vec![PactSource::Dir(dir.0.clone())])).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.results.len(), 1);
    let warnings = report.warnings.join("\n");
    assert!(warnings.contains(&format!("skipped {}: it is a FIFO, not a pact file", fifo.display())), "{warnings}");
    assert!(warnings.contains(&format!("skipped {}: it is a socket, not a pact file", socket.display())), "{warnings}");

    let text = message(verify(sources(vec![PactSource::File(fifo.clone())])).await);
    assert_eq!(
        text,
        format!("pact file {} is not a regular file (it is a FIFO): give a pact file or a directory", fifo.display())
    );
}

/// Symlinks back to the directory itself, or to each other, are followed once: each pact is
/// loaded once and discovery ends. Bound: 5 s.
#[cfg(unix)]
#[tokio::test]
async fn symlink_loops_load_each_pact_once() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("DiscoveryConsumer-PactService.json"), pact_json(2)).unwrap();
    std::os::unix::fs::symlink(&dir.0, dir.0.join("self")).unwrap();
    std::os::unix::fs::symlink(&dir.0, dir.0.join("again")).unwrap();
    let nested = dir.0.join("nested");
    std::fs::create_dir(&nested).unwrap();
    std::os::unix::fs::symlink(&dir.0, nested.join("up")).unwrap();
    std::os::unix::fs::symlink(dir.0.join("DiscoveryConsumer-PactService.json"), nested.join("linked.json")).unwrap();

    let report = verify(sources(vec![PactSource::Dir(dir.0.clone())])).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.results.len(), 2, "each interaction once:\n{report}");
}

/// A pact with no interactions passes, but the report warns that nothing in it was verified.
/// Bound: 5 s.
#[tokio::test]
async fn a_pact_without_interactions_warns() {
    let dir = TempDir::new();
    let file = dir.0.join("DiscoveryConsumer-PactService.json");
    std::fs::write(&file, pact_json(0)).unwrap();
    let report = verify(sources(vec![PactSource::File(file.clone())])).await.unwrap();
    let warnings = report.warnings.join("\n");
    assert!(
        warnings.contains("(DiscoveryConsumer → PactService) has no interactions: nothing in it is verified"),
        "{warnings}"
    );
    assert!(report.to_string().contains("has no interactions"), "the console shows it:\n{report}");
}

// ---- V4 interactions this runtime cannot verify ----

/// Checks a run of the V4 pact with an interaction of an unknown type and two that use Pact
/// plugins (a gRPC message, a CSV body), read from `source`.
fn check_unsupported(report: &VerificationReport, source: &str) {
    println!("{report}");
    let failures = pact_tests::failure_lines(report);
    assert_eq!(report.results.len(), 5, "every interaction has a result:\n{report}");
    assert_eq!(failures[0], "", "the others are verified");
    assert_eq!(
        failures[1],
        format!(
            "not verified: V4 interaction `a note by pigeon` of pact {source} has the type `Synchronous/Carrier-Pigeon`, which Pact does not know: the types are `Synchronous/HTTP`, `Asynchronous/Messages` and `Synchronous/Messages`"
        )
    );
    // The tests build pact-runtime with its `plugins` feature: the plugins are loaded.
    assert_eq!(
        failures[2],
        "plugin failed: the `protobuf` plugin could not prepare the request of `a greeting over gRPC`: Failed to prepare the request: Plugin configuration item with key '1c0ee5bcd8c3f5bc' is required. Received config []"
    );
    let plugin_dir = std::env::var("PACT_PLUGIN_DIR").expect("PACT_PLUGIN_DIR (.cargo/config.toml)");
    assert_eq!(
        failures[3],
        format!(
            "plugin failed: the Pact plugin `csv` (version 0.0.6 or later, as the pact's metadata asks) is not installed in {plugin_dir}: none is installed there. Install it with pact-plugin-cli (`pact-plugin-cli install csv`), or unpack its release into `{plugin_dir}/csv-<version>/` with its pact-plugin.json; set PACT_PLUGIN_DIR to use another plugin directory"
        )
    );
    assert_eq!(failures[4], "");
    let shown = format!("{report}\n{}", report.failure_summary());
    assert!(!shown.contains("#[message]") && !shown.contains("todo!"), "no stub is suggested:\n{shown}");
    assert!(!shown.contains("It will be ignored"), "{shown}");
    assert_eq!(report.counts(), "2 passed, 3 failed");
}

/// A V4 pact with an interaction of a type Pact does not know no longer rejects the whole file:
/// that interaction fails naming the pact, itself and its type, and plugin interactions fail
/// with what their plugin says (here: configuration the pact lacks, a plugin not installed),
/// without a stub; the others are verified. From a file and from a URL. Bound: 5 s each.
#[tokio::test]
async fn unknown_v4_types_and_plugin_interactions_fail_alone_with_the_reason() {
    let file = fixture("v4-unsupported/PluginConsumer-PactService.json");
    let report = verify(sources(vec![PactSource::File(file.clone())])).await.unwrap();
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or(file.clone());
    check_unsupported(&report, &shown.display().to_string());

    let (base, server) = serve_json(std::fs::read_to_string(&file).unwrap()).await;
    let url = format!("{base}/pacts/plugins.json");
    let report = verify(sources(vec![PactSource::Url(url.clone())])).await.unwrap();
    server.abort();
    check_unsupported(&report, &url);
}

/// A V3 pact with `count` HTTP interactions and as many messages.
fn mixed_pact(count: usize) -> PathBuf {
    let interactions: Vec<_> = (0..count)
        .map(|n| serde_json::json!({ "description": format!("request {n}"), "request": { "method": "GET", "path": "/health" }, "response": { "status": 200 } }))
        .collect();
    let messages: Vec<_> = (0..count)
        .map(|n| serde_json::json!({ "description": format!("event {n}"), "contents": "x", "metadata": { "contentType": "text/plain" } }))
        .collect();
    pact_tests::write_pact(
        "MixedConsumer-PactService.json",
        &serde_json::json!({
            "consumer": { "name": "MixedConsumer" },
            "provider": { "name": PROVIDER },
            "interactions": interactions,
            "messages": messages,
            "metadata": { "pactSpecification": { "version": "3.0.0" } }
        }),
    )
}

/// A V3 file with both `interactions` and `messages` (200 + 200) gave 40,200 results in 15 s,
/// each message verified 201 times and the HTTP interactions dropped without a word. It is
/// read as Pact's loader reads it, a message pact, with a warning about what is ignored.
/// Bound: 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v3_pact_with_interactions_and_messages_is_read_as_pact_reads_it_with_a_warning() {
    let file = mixed_pact(200);
    let report = verify(sources(vec![PactSource::File(file.clone())])).await.unwrap();
    let descriptions: Vec<&str> = report.results.iter().map(|result| result.description.as_str()).collect();
    let expected: Vec<String> = (0..200).map(|n| format!("event {n}")).collect();
    assert_eq!(descriptions, expected);
    let warning = format!(
        "pact {} has both `interactions` (200) and `messages` (200): Pact reads a V3 pact with `messages` as a message pact, so its 200 `interactions` are ignored; write them to a pact of their own",
        file.display()
    );
    assert!(report.warnings.contains(&warning), "{:?}", report.warnings);
}
