//! Per-interaction cost of our `Engine` against `pact_verifier::verify_provider_async` and raw
//! loops, all doing the same work per interaction: state setup, the request, state teardown.
//! Our engine calls the state functions in-process, as a `#[pact_provider_test]` run does;
//! pact_verifier and the raw reqwest loop POST them to the state endpoint, and our engine is
//! timed that way too. The direct loop calls the functions and sends the GET, and nothing else.
//!
//! Run with `PACT_DO_NOT_TRACK=true cargo bench -p pact-tests --bench engine_speed`;
//! `BENCH_INTERACTIONS=N` changes the interaction count (default 1000). The last line is
//! machine-readable.
//!
//! It also times the whole `verify_provider` run (load, boot, verify, report)
//! on the same pact against the raw loop, verifies 100 interactions with 1 MB JSON bodies with
//! both our engine and pact_verifier, and measures the peak RSS of a 10,000-interaction
//! `verify_provider` run in a child process of its own (`BENCH_RSS_CHILD=N` runs just that
//! child: `BENCH_RSS_CHILD=100000` measures 100k by hand). `BENCH_PROFILE=ours`
//! repeats just that way of verifying (`handoff`, `endpoint`, `direct`, `grpc` too), for a profiler.
//!
//! The gRPC row verifies a pact of `BENCH_GRPC_INTERACTIONS` (default 100) copies of the gRPC
//! example's two interactions (`examples/grpc-provider`) through the protobuf plugin, with
//! whole runs of both verifiers: our `verify_provider` (states in-process, the tonic router
//! booted by the run) and `pact_verifier::verify_provider_async` (states POSTed to a
//! `StateServer`, the `grpc` transport on the same tonic app). Each run starts the plugin once
//! and shuts it down at its end, so plugin start-up is in both. The two never run at once:
//! pact_verifier shuts every plugin of the process down when its run ends.
//!
//! Ours is timed before pact_verifier runs in the process and, as its own row
//! (`run_ms_core_catalogue`), again after: in a build with plugins, pact_verifier (like any run
//! that loads a plugin) registers Pact's core entries in the process's plugin catalogue, after
//! which pact-plugin-driver compiles a regex per content-type pattern for every body Pact
//! matches.
//!
//! pact_verifier builds a client per interaction (loading the native root certificates) and
//! clones the whole pact for every interaction, so its per-interaction cost, and the speedup,
//! grow with the pact's size.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
#[cfg(feature = "plugins")]
use std::sync::LazyLock;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
#[cfg(feature = "plugins")]
use grpc_provider::UserStore;
use pact_runtime::__private::{
    http_client, load_pacts, Engine, EngineConfig, MessageRegistry, ProviderFunctions, StateEndpoint, StateRegistry,
    DEFAULT_STATE_PATH,
};
use pact_runtime::config::PactSource;
use pact_verifier::callback_executors::{HttpRequestProviderStateExecutor, NullRequestFilterExecutor};
use pact_verifier::{FilterInfo, ProviderInfo, ProviderTransport, VerificationOptions};
use serde_json::{json, Value};

const PROVIDER: &str = "BenchProvider";
const WARM_UP_INTERACTIONS: usize = 50;
const ROUNDS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(30);
/// The interactions of the peak-RSS child run.
const RSS_INTERACTIONS: usize = 10_000;
/// The large-body case: this many interactions, each answering a JSON body of about 1 MB.
const LARGE_INTERACTIONS: usize = 100;
const LARGE_BODY_ROWS: u64 = 12_000;
/// The provider of the gRPC pact, so that its state functions are its own.
#[cfg(feature = "plugins")]
const GRPC_PROVIDER: &str = "BenchGrpcProvider";
/// Whole gRPC runs of each verifier, interleaved: each pays for a plugin start-up.
#[cfg(feature = "plugins")]
const GRPC_ROUNDS: usize = 3;

/// Items the app serves; the states add and remove them, so a passing run proves that every
/// setup reached the app before its request.
static ITEMS: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());

#[pact_runtime::provider_state("item {n} exists", provider = "BenchProvider")]
fn item_exists(n: u64) {
    ITEMS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(n);
}

#[pact_runtime::provider_state("item {n} exists", provider = "BenchProvider", teardown)]
fn item_removed(n: u64) {
    ITEMS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&n);
}

/// The users the gRPC app serves; the gRPC pact's states change them.
#[cfg(feature = "plugins")]
static GRPC_STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);

#[cfg(feature = "plugins")]
#[pact_runtime::provider_state("user {id} exists", provider = "BenchGrpcProvider")]
fn grpc_user_exists(id: u64) {
    grpc_provider::user_exists(&GRPC_STORE, id);
}

#[cfg(feature = "plugins")]
#[pact_runtime::provider_state("user {id} doesn't exist", provider = "BenchGrpcProvider")]
fn grpc_user_does_not_exist(id: u64) {
    grpc_provider::user_does_not_exist(&GRPC_STORE, id);
}

async fn get_item(UrlPath(n): UrlPath<u64>) -> Response {
    if ITEMS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(&n) {
        Json(json!({ "id": n, "name": format!("item {n}"), "price": 9.99, "tags": ["a", "b"] })).into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({ "error": "no such item" }))).into_response()
    }
}

/// About 1 MB of JSON for item `n`: the app answers it and the large-body pact expects it.
fn large_body(n: u64) -> Value {
    let rows: Vec<Value> = (0..LARGE_BODY_ROWS)
        .map(|row| json!({ "row": row, "item": n, "name": format!("row {row} of item {n}"), "note": "x".repeat(40) }))
        .collect();
    json!({ "id": n, "rows": rows })
}

async fn get_large(UrlPath(n): UrlPath<u64>) -> Response {
    if ITEMS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(&n) {
        Json(large_body(n)).into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({ "error": "no such item" }))).into_response()
    }
}

fn app() -> Router {
    Router::new().route("/items/{n}", get(get_item)).route("/large/{n}", get(get_large))
}

/// Writes a V3 pact of `count` interactions one at a time, so that writing a large pact does
/// not count towards the peak RSS of the run that reads it.
fn write_interactions(dir: &Path, name: &str, count: usize, interaction: impl Fn(u64) -> Value) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join(name);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("pact file created"));
    let head = json!({ "consumer": { "name": "BenchConsumer" }, "provider": { "name": PROVIDER } }).to_string();
    write!(file, "{},\n\"interactions\": [\n", head.strip_suffix('}').unwrap_or(&head)).expect("pact written");
    for n in 0..count as u64 {
        if n > 0 {
            file.write_all(b",\n").expect("pact written");
        }
        serde_json::to_writer_pretty(&mut file, &interaction(n)).expect("pact written");
    }
    file.write_all(b"],\n\"metadata\": { \"pactSpecification\": { \"version\": \"3.0.0\" } }\n}\n")
        .expect("pact written");
    file.flush().expect("pact written");
    path
}

/// A V3 pact with `count` interactions `GET /large/{n}` given `item {n} exists`, each
/// expecting the whole 1 MB body.
fn write_large_pact(dir: &Path, name: &str, count: usize) -> PathBuf {
    write_interactions(dir, name, count, |n| {
        json!({
            "description": format!("get large item {n}"),
            "providerStates": [{ "name": format!("item {n} exists") }],
            "request": { "method": "GET", "path": format!("/large/{n}") },
            "response": { "status": 200, "headers": { "Content-Type": "application/json" }, "body": large_body(n) }
        })
    })
}

/// A V3 pact with `count` interactions `GET /items/{n}` given `item {n} exists`.
fn write_pact(dir: &Path, name: &str, count: usize) -> PathBuf {
    write_interactions(dir, name, count, |n| {
        json!({
            "description": format!("get item {n}"),
            "providerStates": [{ "name": format!("item {n} exists") }],
            "request": { "method": "GET", "path": format!("/items/{n}") },
            "response": {
                "status": 200,
                "headers": { "Content-Type": "application/json" },
                "body": { "id": n, "name": "some item", "price": 1.5, "tags": ["x"] },
                "matchingRules": { "body": {
                    "$.name": { "matchers": [{ "match": "type" }] },
                    "$.price": { "matchers": [{ "match": "type" }] },
                    "$.tags": { "matchers": [{ "match": "type", "min": 1 }] }
                } }
            }
        })
    })
}

/// A V4 pact of `count` gRPC interactions for [`GRPC_PROVIDER`]: the gRPC example's two
/// (`a request for user 42` given `user 42 exists`, `a request for user 7` given `user 7
/// doesn't exist`) in turn, each copy with a description of its own, and the example's plugin
/// metadata (the protobuf descriptors).
#[cfg(feature = "plugins")]
fn write_grpc_pact(dir: &Path, name: &str, count: usize) -> PathBuf {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/grpc-provider/pacts/UserWebApp-UserService.json");
    let text = std::fs::read_to_string(&example).unwrap_or_else(|err| panic!("{}: {err}", example.display()));
    let mut pact: Value = serde_json::from_str(&text).expect("the example's pact is JSON");
    let templates = pact["interactions"].as_array().cloned().expect("the example's pact has interactions");
    assert_eq!(templates.len(), 2, "the example's gRPC pact has two interactions");
    let interactions: Vec<Value> = (0..count)
        .map(|n| {
            let mut interaction = templates[n % templates.len()].clone();
            let description = interaction["description"].as_str().expect("a description").to_string();
            interaction["description"] = json!(format!("{description} #{}", n / templates.len()));
            if let Some(fields) = interaction.as_object_mut() {
                // A copied key would name another interaction; without one, Pact computes it.
                fields.remove("key");
            }
            interaction
        })
        .collect();
    pact["interactions"] = Value::Array(interactions);
    pact["provider"] = json!({ "name": GRPC_PROVIDER });
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&pact).expect("pact serialises")).expect("gRPC pact written");
    path
}

/// Per-interaction milliseconds of repeated rounds of one way of verifying.
#[derive(Default)]
struct Rounds(Vec<f64>);

impl Rounds {
    fn push(&mut self, total: Duration, count: usize) {
        self.0.push(total.as_secs_f64() * 1000.0 / count as f64);
    }

    /// The median round: the machine is shared, so single rounds swing with other load.
    fn median(&self) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    }

    fn spread(&self) -> String {
        let min = self.0.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.0.iter().copied().fold(0.0, f64::max);
        format!("{min:.4} .. {max:.4}")
    }
}

struct Setup {
    app_url: String,
    app_port: u16,
    state_url: String,
}

/// How our engine reaches the state functions.
#[derive(Clone, Copy, PartialEq)]
enum States {
    /// In-process on the run's own thread, as a `#[pact_provider_test]` run calls them
    /// (`Engine::verify_supervised`).
    InProcess,
    /// In-process, each call handed to a thread of its own (`Engine::verify`).
    HandedOff,
    /// Through the state endpoint, as any Pact verifier would.
    Endpoint,
}

/// (a) Our engine: build it, load the pact, verify with one pooled client. Returns the time to
/// build and load, and the time of `Engine::verify`, the loop that replaces pact_verifier's.
async fn run_ours(setup: &Setup, pact: &Path, count: usize, states: States) -> (Duration, Duration) {
    let started = Instant::now();
    let functions = (states != States::Endpoint).then(|| {
        ProviderFunctions::new(StateRegistry::for_provider(PROVIDER), MessageRegistry::for_provider(PROVIDER), TIMEOUT)
    });
    let engine = Engine::new(EngineConfig {
        request_timeout: TIMEOUT,
        functions,
        ..EngineConfig::new(setup.app_url.clone(), Some(setup.state_url.clone()))
    })
    .expect("engine builds");
    let pacts =
        load_pacts(&[PactSource::File(pact.to_path_buf())], Some(PROVIDER), engine.client()).await.expect("pact loads");
    let loaded = started.elapsed();
    let started = Instant::now();
    let report = match states {
        States::InProcess => {
            engine.verify_supervised(PROVIDER, Arc::new(pacts), &Default::default(), Default::default(), None).await
        }
        _ => engine.verify(PROVIDER, &pacts, &Default::default(), Default::default()).await,
    };
    let verified = started.elapsed();
    assert_eq!(report.results.len(), count, "our engine verified the wrong number of interactions");
    assert!(report.is_success(), "our engine failed, so its timing means nothing:\n{}", report.failure_summary());
    (loaded, verified)
}

/// (d) The whole `verify_provider` run a `#[pact_provider_test]` makes: load the pact, boot
/// the app, verify with the state functions in-process, build the report.
async fn run_whole(pact: &Path, count: usize) -> Duration {
    let settings = pact_runtime::Settings::builder().pacts(pact).provider(PROVIDER).build().expect("valid settings");
    let started = Instant::now();
    let report = pact_runtime::verify_provider(&settings, || async { app() }).await.expect("verify_provider ran");
    let total = started.elapsed();
    assert_eq!(report.results.len(), count, "verify_provider verified the wrong number of interactions");
    assert!(report.is_success(), "verify_provider failed, so its timing means nothing:\n{}", report.failure_summary());
    total
}

/// Ours, gRPC: the whole `verify_provider` run (load, boot the tonic router, start the protobuf
/// plugin, verify with the states in-process, shut the plugin down, report).
#[cfg(feature = "plugins")]
async fn run_grpc_ours(pact: &Path, count: usize) -> Duration {
    let settings =
        pact_runtime::Settings::builder().pacts(pact).provider(GRPC_PROVIDER).build().expect("valid settings");
    let started = Instant::now();
    let report = pact_runtime::verify_provider(&settings, || async { grpc_provider::app(GRPC_STORE.clone()) })
        .await
        .expect("gRPC verify_provider ran");
    let total = started.elapsed();
    assert_eq!(report.results.len(), count, "gRPC verify_provider verified the wrong number of interactions");
    assert!(
        report.is_success(),
        "gRPC verify_provider failed, so its timing means nothing:\n{}",
        report.failure_summary()
    );
    total
}

/// pact_verifier, gRPC: `verify_provider_async` (load, start the protobuf plugin, verify, shut
/// every plugin down) with the `grpc` transport on the same tonic app, served before the clock
/// starts, and the states POSTed to a `StateServer`. The gRPC states have no teardown, so none is
/// POSTed.
#[cfg(feature = "plugins")]
async fn run_grpc_pact_verifier(pact: &Path, count: usize) -> Duration {
    let endpoint = pact_runtime::StateServer::start(GRPC_PROVIDER).await.expect("the gRPC state endpoint starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("gRPC app binds");
    let port = listener.local_addr().expect("gRPC app address").port();
    // TCP_NODELAY as our run serves the app, so both verifiers call the same server.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = tokio::spawn(grpc_provider::app(GRPC_STORE.clone()).serve_with_incoming(incoming));
    let provider = ProviderInfo {
        name: GRPC_PROVIDER.to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![ProviderTransport {
            transport: "grpc".to_string(),
            port: Some(port),
            path: None,
            scheme: Some("http".to_string()),
        }],
        ..ProviderInfo::default()
    };
    let total = time_pact_verifier(provider, pact, endpoint.state_change_url(), false, count, "gRPC").await;
    server.abort();
    total
}

/// The peak resident set of this process so far, in MB (`VmHWM`; Linux only).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The child process: one `verify_provider` run of `count` interactions, then its peak RSS.
async fn rss_child(count: usize) {
    pact_runtime::install_crypto_provider();
    let dir = std::env::temp_dir().join(format!("pact-engine-rss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir created");
    let pact = write_pact(&dir, "rss.json", count);
    let pact_mb = std::fs::metadata(&pact).map(|meta| meta.len() as f64 / 1e6).unwrap_or_default();
    let before = peak_rss_mb().unwrap_or_default();
    if let Ok(stage) = std::env::var("BENCH_RSS_STAGE") {
        // Where the memory goes: only loading the pact, or loading it and taking its interactions.
        let client = http_client(TIMEOUT).expect("client builds");
        let pacts = load_pacts(&[PactSource::File(pact.clone())], Some(PROVIDER), &client).await.expect("pact loads");
        let loaded = peak_rss_mb().unwrap_or_default();
        let interactions = pacts[0].pact.interactions();
        println!(
            "rss_stage={stage} pact_mb={pact_mb:.1} before={before:.1} after_load={loaded:.1} after_interactions={:.1} ({})",
            peak_rss_mb().unwrap_or_default(),
            interactions.len()
        );
        return;
    }
    let total = run_whole(&pact, count).await;
    let _ = std::fs::remove_dir_all(&dir);
    let peak = peak_rss_mb().unwrap_or(f64::NAN);
    println!(
        "rss_child interactions={count} pact_mb={pact_mb:.1} rss_mb_before_run={before:.1} peak_rss_mb={peak:.1} run_ms={:.4}",
        total.as_secs_f64() * 1000.0 / count as f64
    );
}

/// Runs this benchmark again as a child that only measures the peak RSS of a whole run, so
/// that nothing the parent allocated counts. Answers the child's peak RSS in MB.
fn measure_child_rss(count: usize) -> f64 {
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    let output =
        std::process::Command::new(exe).env("BENCH_RSS_CHILD", count.to_string()).output().expect("the RSS child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the RSS child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let line = stdout.lines().find(|line| line.starts_with("rss_child ")).expect("the RSS child reports");
    println!("{line}");
    line.split_whitespace()
        .find_map(|field| field.strip_prefix("peak_rss_mb="))
        .and_then(|mb| mb.parse().ok())
        .expect("the RSS child reports peak_rss_mb")
}

/// (b) `pact_verifier::verify_provider_async` with the HTTP state executor on the same endpoint.
/// Its time includes loading the pact, which it cannot do apart (about 0.01 ms per interaction).
async fn run_pact_verifier(setup: &Setup, pact: &Path, count: usize) -> Duration {
    let provider = ProviderInfo {
        name: PROVIDER.to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![ProviderTransport {
            transport: "http".to_string(),
            port: Some(setup.app_port),
            path: None,
            scheme: Some("http".to_string()),
        }],
        ..ProviderInfo::default()
    };
    time_pact_verifier(provider, pact, &setup.state_url, true, count, "HTTP").await
}

/// Times one `pact_verifier::verify_provider_async` run of `pact` against `provider`, its states
/// POSTed to `state_url` (teardowns too when `teardown`), its output silenced, and checks that it
/// verified all `count` interactions (`what` ones) and passed.
async fn time_pact_verifier(
    provider: ProviderInfo,
    pact: &Path,
    state_url: &str,
    teardown: bool,
    count: usize,
    what: &str,
) -> Duration {
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        request_timeout: TIMEOUT.as_millis() as u64,
        coloured_output: false,
        follow_redirects: false,
        ..VerificationOptions::default()
    };
    let executor = Arc::new(HttpRequestProviderStateExecutor {
        state_change_url: Some(state_url.to_string()),
        state_change_teardown: teardown,
        state_change_body: true,
        retries: 0,
    });
    let quiet = stdout_silencer::silence();
    let started = Instant::now();
    let result = pact_verifier::verify_provider_async(
        provider,
        vec![pact_verifier::PactSource::File(pact.display().to_string())],
        FilterInfo::None,
        vec![],
        &options,
        None,
        &executor,
        None,
    )
    .await;
    let total = started.elapsed();
    drop(quiet);
    let result = result.unwrap_or_else(|err| panic!("pact_verifier ran the {what} pact: {err}"));
    assert_eq!(
        result.interaction_results.len(),
        count,
        "pact_verifier verified the wrong number of {what} interactions"
    );
    let failed: Vec<String> = result
        .interaction_results
        .iter()
        .filter(|interaction| interaction.result.is_err())
        .map(|interaction| interaction.interaction_description.clone())
        .collect();
    assert!(
        failed.is_empty() && result.result,
        "pact_verifier failed {} {what} interaction(s): {:?}\n{}",
        failed.len(),
        failed,
        result.output.join("\n")
    );
    total
}

/// (c) The floor: one client, setup POST + GET + teardown POST per interaction, no matching.
async fn run_raw(setup: &Setup, count: usize) -> Duration {
    let client = http_client(TIMEOUT).expect("client builds");
    let started = Instant::now();
    for n in 0..count {
        let state = format!("item {n} exists");
        for (action, url) in
            [("setup", None), ("request", Some(format!("{}/items/{n}", setup.app_url))), ("teardown", None)]
        {
            let response = match url {
                Some(url) => client.get(url).send().await,
                None => {
                    client
                        .post(&setup.state_url)
                        .json(&json!({ "state": state, "params": {}, "action": action }))
                        .send()
                        .await
                }
            }
            .expect("raw request answered");
            let status = response.status();
            let body = response.bytes().await.expect("raw body read");
            assert!(status.is_success(), "raw {action} for item {n} answered {status}: {body:?}");
        }
    }
    started.elapsed()
}

/// (e) The floor of in-process states: the state functions called directly, unbounded, and the
/// GET on one client, no matching.
async fn run_direct(setup: &Setup, count: usize) -> Duration {
    let client = http_client(TIMEOUT).expect("client builds");
    let started = Instant::now();
    for n in 0..count as u64 {
        item_exists(n);
        let response = client.get(format!("{}/items/{n}", setup.app_url)).send().await.expect("direct GET answered");
        let status = response.status();
        let body = response.bytes().await.expect("direct body read");
        assert!(status.is_success(), "direct GET for item {n} answered {status}: {body:?}");
        item_removed(n);
    }
    started.elapsed()
}

/// `verify_provider_async` prints its whole report to stdout; hide it so the table stays readable
/// (this only makes pact_verifier's timing slightly better).
#[cfg(unix)]
mod stdout_silencer {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    extern "C" {
        fn dup(fd: i32) -> i32;
        fn dup2(from: i32, to: i32) -> i32;
    }

    pub struct Silenced(Option<OwnedFd>);

    pub fn silence() -> Silenced {
        let _ = std::io::stdout().flush();
        let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
            return Silenced(None);
        };
        // SAFETY: plain fd duplication; `saved` is owned by the guard and restored on drop.
        unsafe {
            let saved = dup(1);
            if saved < 0 || dup2(null.as_raw_fd(), 1) < 0 {
                return Silenced(None);
            }
            Silenced(Some(OwnedFd::from_raw_fd(saved)))
        }
    }

    impl Drop for Silenced {
        fn drop(&mut self) {
            if let Some(saved) = self.0.take() {
                let _ = std::io::stdout().flush();
                // SAFETY: `saved` is a valid fd we own; dup2 restores it over stdout.
                unsafe {
                    dup2(saved.as_raw_fd(), 1);
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod stdout_silencer {
    pub fn silence() {}
}

/// What a fresh client costs, built as `pact_verifier` builds one for every interaction.
fn client_build_ms() -> f64 {
    const CLIENTS: u32 = 50;
    let started = Instant::now();
    for _ in 0..CLIENTS {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds");
        std::hint::black_box(client);
    }
    started.elapsed().as_secs_f64() * 1000.0 / f64::from(CLIENTS)
}

fn count_from_env(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| panic!("{name}=`{text}` is not a count")),
        Err(_) => default,
    }
}

fn interaction_count() -> usize {
    count_from_env("BENCH_INTERACTIONS", 1000)
}

/// The gRPC pact's interactions: copies of the example's two, in turn.
#[cfg(feature = "plugins")]
fn grpc_interaction_count() -> usize {
    count_from_env("BENCH_GRPC_INTERACTIONS", 100)
}

async fn bench() {
    let count = interaction_count();
    assert!(count > 0, "BENCH_INTERACTIONS must be at least 1");
    pact_runtime::install_crypto_provider();

    let dir = std::env::temp_dir().join(format!("pact-engine-speed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir created");
    let warm_up_count = WARM_UP_INTERACTIONS.min(count);
    let warm_up = write_pact(&dir, "warm-up.json", warm_up_count);
    let pact = write_pact(&dir, "bench.json", count);
    #[cfg(feature = "plugins")]
    let (grpc_count, grpc_warm_up_count, grpc_warm_up, grpc_pact) = {
        let grpc_count = grpc_interaction_count();
        assert!(grpc_count > 0, "BENCH_GRPC_INTERACTIONS must be at least 1");
        let grpc_warm_up_count = 2.min(grpc_count);
        let grpc_warm_up = write_grpc_pact(&dir, "grpc-warm-up.json", grpc_warm_up_count);
        let grpc_pact = write_grpc_pact(&dir, "grpc.json", grpc_count);
        pact_test_plugins::protobuf_plugin().expect("the protobuf plugin builds and installs");
        (grpc_count, grpc_warm_up_count, grpc_warm_up, grpc_pact)
    };
    // Without the plugins feature there is no gRPC row; its fields are NaN.
    #[cfg(not(feature = "plugins"))]
    let grpc_count = 0;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("app binds");
    let app_port = listener.local_addr().expect("app address").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app()).await;
    });
    let endpoint = StateEndpoint::start(StateRegistry::for_provider(PROVIDER), DEFAULT_STATE_PATH, TIMEOUT)
        .await
        .expect("state endpoint starts");
    let setup =
        Setup { app_url: format!("http://127.0.0.1:{app_port}"), app_port, state_url: endpoint.url().to_string() };

    if let Ok(which) = std::env::var("BENCH_PROFILE") {
        // One way of verifying, over and over, for a profiler to watch.
        let loop_count = if which == "grpc" { grpc_count.max(1) } else { count };
        for _ in 0..ROUNDS * 4 {
            let started = Instant::now();
            match which.as_str() {
                "ours" => drop(run_ours(&setup, &pact, count, States::InProcess).await),
                "endpoint" => drop(run_ours(&setup, &pact, count, States::Endpoint).await),
                "handoff" => drop(run_ours(&setup, &pact, count, States::HandedOff).await),
                "raw" => drop(run_raw(&setup, count).await),
                "direct" => drop(run_direct(&setup, count).await),
                "whole" => drop(run_whole(&pact, count).await),
                #[cfg(feature = "plugins")]
                "grpc" => drop(run_grpc_ours(&grpc_pact, grpc_count).await),
                other => panic!("BENCH_PROFILE={other}: use ours, handoff, endpoint, whole, raw, direct or grpc"),
            }
            println!("{which}: {:.4} ms/interaction", started.elapsed().as_secs_f64() * 1000.0 / loop_count as f64);
        }
        return;
    }
    let large = write_large_pact(&dir, "large.json", LARGE_INTERACTIONS);
    run_ours(&setup, &warm_up, warm_up_count, States::InProcess).await;
    run_ours(&setup, &warm_up, warm_up_count, States::Endpoint).await;
    run_raw(&setup, warm_up_count).await;
    run_whole(&warm_up, warm_up_count).await;

    // Ours and raw are cheap, so they run several interleaved rounds; pact_verifier runs once.
    let (mut ours, mut ours_loading, mut whole) = (Rounds::default(), Rounds::default(), Rounds::default());
    let (mut endpoint_rounds, mut raw, mut direct) = (Rounds::default(), Rounds::default(), Rounds::default());
    let mut handed_off = Rounds::default();
    for _ in 0..ROUNDS {
        let (loading, verifying) = run_ours(&setup, &pact, count, States::InProcess).await;
        ours.push(verifying, count);
        ours_loading.push(loading + verifying, count);
        whole.push(run_whole(&pact, count).await, count);
        endpoint_rounds.push(run_ours(&setup, &pact, count, States::Endpoint).await.1, count);
        handed_off.push(run_ours(&setup, &pact, count, States::HandedOff).await.1, count);
        raw.push(run_raw(&setup, count).await, count);
        direct.push(run_direct(&setup, count).await, count);
    }
    // pact_verifier after ours: in a build with plugins it registers Pact's core entries in the
    // process's plugin catalogue, after which every body Pact matches, ours too, compiles a
    // regex per content-type pattern. Ours is timed again after it, as its own row.
    run_pact_verifier(&setup, &warm_up, warm_up_count).await;
    let mut theirs = Rounds::default();
    theirs.push(run_pact_verifier(&setup, &pact, count).await, count);
    let mut whole_after_catalogue = Rounds::default();
    for _ in 0..ROUNDS {
        whole_after_catalogue.push(run_whole(&pact, count).await, count);
    }
    let client_build_ms = client_build_ms();

    // 1 MB bodies: matching and copying bodies dominate, not the per-request overhead.
    let (mut large_ours, mut large_theirs) = (Rounds::default(), Rounds::default());
    let (_, large_verifying) = run_ours(&setup, &large, LARGE_INTERACTIONS, States::InProcess).await;
    large_ours.push(large_verifying, LARGE_INTERACTIONS);
    large_theirs.push(run_pact_verifier(&setup, &large, LARGE_INTERACTIONS).await, LARGE_INTERACTIONS);

    // gRPC through the protobuf plugin: whole runs, ours then pact_verifier, never at once
    // (pact_verifier shuts every plugin of the process down when its run ends). Each run starts
    // the plugin; the warm-up runs are the example's two interactions.
    #[cfg(feature = "plugins")]
    let (grpc_ms, grpc_theirs_ms, grpc_spreads) = {
        run_grpc_ours(&grpc_warm_up, grpc_warm_up_count).await;
        run_grpc_pact_verifier(&grpc_warm_up, grpc_warm_up_count).await;
        let (mut grpc_ours, mut grpc_theirs) = (Rounds::default(), Rounds::default());
        for _ in 0..GRPC_ROUNDS {
            grpc_ours.push(run_grpc_ours(&grpc_pact, grpc_count).await, grpc_count);
            grpc_theirs.push(run_grpc_pact_verifier(&grpc_pact, grpc_count).await, grpc_count);
        }
        (grpc_ours.median(), grpc_theirs.median(), [grpc_ours.spread(), grpc_theirs.spread()])
    };
    #[cfg(not(feature = "plugins"))]
    let (grpc_ms, grpc_theirs_ms) = (f64::NAN, f64::NAN);
    let _ = std::fs::remove_dir_all(&dir);
    let rss_mb = measure_child_rss(RSS_INTERACTIONS);

    let (ours_ms, theirs_ms, raw_ms) = (ours.median(), theirs.median(), raw.median());
    println!("engine_speed: {count} interactions, each a state setup, GET /items/{{n}}, a state teardown");
    println!(
        "after a {warm_up_count}-interaction warm-up; medians of {ROUNDS} interleaved rounds (pact_verifier: 1 round)"
    );
    println!();
    println!("{:<58} {:>14} {:>18} {:>9}", "verifier", "ms/interaction", "rounds min .. max", "vs ours");
    for (name, rounds) in [
        ("ours: Engine::verify_supervised, states in-process", &ours),
        ("ours: Engine::verify, each state call handed to a thread", &handed_off),
        ("ours incl. Engine::new + load_pacts", &ours_loading),
        ("ours: whole verify_provider run", &whole),
        ("ours: whole run, Pact's core catalogue registered", &whole_after_catalogue),
        ("ours: Engine::verify, states through the endpoint", &endpoint_rounds),
        ("pact_verifier::verify_provider_async, through the endpoint", &theirs),
        ("raw reqwest loop through the endpoint, no matching", &raw),
        ("raw: direct function calls + GET, no matching, no bound", &direct),
    ] {
        println!("{:<58} {:>14.4} {:>18} {:>8.2}x", name, rounds.median(), rounds.spread(), rounds.median() / ours_ms);
    }
    let speedup = theirs_ms / ours_ms;
    let overhead = ours_ms / raw_ms;
    let run_ms = whole.median();
    let run_overhead = run_ms / raw_ms;
    let endpoint_ms = endpoint_rounds.median();
    let endpoint_speedup = theirs_ms / endpoint_ms;
    let direct_ms = direct.median();
    let run_overhead_direct = run_ms / direct_ms;
    let run_catalogue_ms = whole_after_catalogue.median();
    let (large_ours_ms, large_theirs_ms) = (large_ours.median(), large_theirs.median());
    let large_speedup = large_theirs_ms / large_ours_ms;
    let grpc_speedup = grpc_theirs_ms / grpc_ms;
    println!();
    println!("{LARGE_INTERACTIONS} interactions with ~1 MB JSON bodies (1 round each):");
    println!("{:<58} {:>14.4}", "ours: Engine::verify", large_ours_ms);
    println!("{:<58} {:>14.4}", "pact_verifier::verify_provider_async", large_theirs_ms);
    println!();
    #[cfg(feature = "plugins")]
    {
        println!(
            "{grpc_count} gRPC interactions through the protobuf plugin, whole runs incl. plugin start-up \
             (medians of {GRPC_ROUNDS} interleaved rounds):"
        );
        println!("{:<58} {:>14} {:>18} {:>9}", "verifier", "ms/interaction", "rounds min .. max", "vs ours");
        for (name, median, spread) in [
            ("ours: whole verify_provider run, states in-process", grpc_ms, &grpc_spreads[0]),
            ("pact_verifier::verify_provider_async, through the endpoint", grpc_theirs_ms, &grpc_spreads[1]),
        ] {
            println!("{:<58} {:>14.4} {:>18} {:>8.2}x", name, median, spread, median / grpc_ms);
        }
        println!();
    }
    #[cfg(not(feature = "plugins"))]
    println!("no gRPC row: built without the plugins feature (as an HTTP-only provider crate builds pact-runtime)\n");
    println!("speedup vs pact_verifier: {speedup:.2}x (target >= 25x)");
    println!("  the same, our engine through the state endpoint: {endpoint_speedup:.2}x");
    println!("overhead vs the raw loop through the endpoint: {overhead:.2}x");
    println!("whole run vs the raw loop through the endpoint: {run_overhead:.2}x (target <= 1.3x)");
    println!("whole run vs direct function calls + GET: {run_overhead_direct:.2}x");
    println!(
        "  the same once Pact's core catalogue is registered (a plugin or pact_verifier ran in the process): {:.2}x",
        run_catalogue_ms / direct_ms
    );
    println!("1 MB bodies, speedup vs pact_verifier: {large_speedup:.2}x");
    println!("gRPC, speedup vs pact_verifier: {grpc_speedup:.2}x");
    println!("peak RSS of a {RSS_INTERACTIONS}-interaction verify_provider run: {rss_mb:.1} MB (target < 150 MB)");
    println!("building one reqwest client, which pact_verifier does per interaction: {client_build_ms:.3} ms");
    println!(
        "interactions={count} ours_ms={ours_ms:.4} pact_verifier_ms={theirs_ms:.4} raw_ms={raw_ms:.4} \
         speedup_vs_pact_verifier={speedup:.2} overhead_vs_raw={overhead:.3} run_ms={run_ms:.4} \
         run_overhead_vs_raw={run_overhead:.3} rss_mb_10k={rss_mb:.1} large_body_ours_ms={large_ours_ms:.3} \
         large_body_pact_verifier_ms={large_theirs_ms:.3} large_body_speedup_vs_pact_verifier={large_speedup:.2} \
         endpoint_ms={endpoint_ms:.4} endpoint_speedup_vs_pact_verifier={endpoint_speedup:.2} \
         direct_ms={direct_ms:.4} run_overhead_vs_direct={run_overhead_direct:.3} \
         run_ms_core_catalogue={run_catalogue_ms:.4} grpc_ms={grpc_ms:.4} \
         grpc_speedup_vs_pact_verifier={grpc_speedup:.2}"
    );
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter, so arguments are ignored.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match std::env::var("BENCH_RSS_CHILD") {
        Ok(count) => runtime.block_on(rss_child(count.trim().parse().expect("BENCH_RSS_CHILD is a count"))),
        Err(_) => runtime.block_on(bench()),
    }
}
