//! Per-interaction cost of our `Engine` against `pact_verifier::verify_provider_async` and a raw
//! reqwest loop, all doing the same HTTP work per interaction: state setup POST, the request,
//! state teardown POST.
//!
//! Run with `PACT_DO_NOT_TRACK=true cargo bench -p pact-tests --bench engine_speed`;
//! `BENCH_INTERACTIONS=N` changes the interaction count (default 1000). The last line is
//! machine-readable.
//!
//! pact_verifier builds a client per interaction (loading the native root certificates) and
//! clones the whole pact for every interaction, so its per-interaction cost, and the speedup,
//! grow with the pact's size.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::__private::{
    http_client, load_pacts, Engine, EngineConfig, StateEndpoint, StateRegistry, DEFAULT_STATE_PATH,
};
use pact_runtime::config::PactSource;
use pact_verifier::callback_executors::{HttpRequestProviderStateExecutor, NullRequestFilterExecutor};
use pact_verifier::{FilterInfo, ProviderInfo, ProviderTransport, VerificationOptions};
use serde_json::{json, Value};

const PROVIDER: &str = "BenchProvider";
const WARM_UP_INTERACTIONS: usize = 50;
const ROUNDS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(30);

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

async fn get_item(UrlPath(n): UrlPath<u64>) -> Response {
    if ITEMS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(&n) {
        Json(json!({ "id": n, "name": format!("item {n}"), "price": 9.99, "tags": ["a", "b"] })).into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({ "error": "no such item" }))).into_response()
    }
}

/// A V3 pact with `count` interactions `GET /items/{n}` given `item {n} exists`.
fn write_pact(dir: &Path, name: &str, count: usize) -> PathBuf {
    let interactions: Vec<Value> = (0..count)
        .map(|n| {
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
        .collect();
    let pact = json!({
        "consumer": { "name": "BenchConsumer" },
        "provider": { "name": PROVIDER },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    });
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&pact).expect("pact serialises")).expect("pact file written");
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

/// (a) Our engine: build it, load the pact, verify with one pooled client. Returns the time to
/// build and load, and the time of `Engine::verify`, the loop that replaces pact_verifier's.
async fn run_ours(setup: &Setup, pact: &Path, count: usize) -> (Duration, Duration) {
    let started = Instant::now();
    let engine = Engine::new(EngineConfig {
        request_timeout: TIMEOUT,
        ..EngineConfig::new(setup.app_url.clone(), Some(setup.state_url.clone()))
    })
    .expect("engine builds");
    let pacts =
        load_pacts(&[PactSource::File(pact.to_path_buf())], Some(PROVIDER), engine.client()).await.expect("pact loads");
    let loaded = started.elapsed();
    let started = Instant::now();
    let report = engine.verify(PROVIDER, &pacts, &Default::default(), Default::default()).await;
    let verified = started.elapsed();
    assert_eq!(report.results.len(), count, "our engine verified the wrong number of interactions");
    assert!(report.is_success(), "our engine failed, so its timing means nothing:\n{}", report.failure_summary());
    (loaded, verified)
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
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        request_timeout: TIMEOUT.as_millis() as u64,
        coloured_output: false,
        follow_redirects: false,
        ..VerificationOptions::default()
    };
    let executor = Arc::new(HttpRequestProviderStateExecutor {
        state_change_url: Some(setup.state_url.clone()),
        state_change_teardown: true,
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
    let result = result.expect("pact_verifier ran");
    assert_eq!(result.interaction_results.len(), count, "pact_verifier verified the wrong number of interactions");
    let failed: Vec<String> = result
        .interaction_results
        .iter()
        .filter(|interaction| interaction.result.is_err())
        .map(|interaction| interaction.interaction_description.clone())
        .collect();
    assert!(failed.is_empty() && result.result, "pact_verifier failed {} interaction(s): {:?}", failed.len(), failed);
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

fn interaction_count() -> usize {
    match std::env::var("BENCH_INTERACTIONS") {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| panic!("BENCH_INTERACTIONS=`{text}` is not a count")),
        Err(_) => 1000,
    }
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

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("app binds");
    let app_port = listener.local_addr().expect("app address").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().route("/items/{n}", get(get_item))).await;
    });
    let endpoint = StateEndpoint::start(StateRegistry::for_provider(PROVIDER), DEFAULT_STATE_PATH, TIMEOUT)
        .await
        .expect("state endpoint starts");
    let setup =
        Setup { app_url: format!("http://127.0.0.1:{app_port}"), app_port, state_url: endpoint.url().to_string() };

    run_ours(&setup, &warm_up, warm_up_count).await;
    run_pact_verifier(&setup, &warm_up, warm_up_count).await;
    run_raw(&setup, warm_up_count).await;

    // Ours and raw are cheap, so they run several interleaved rounds; pact_verifier runs once.
    let (mut ours, mut ours_loading, mut raw) = (Rounds::default(), Rounds::default(), Rounds::default());
    for _ in 0..ROUNDS {
        let (loading, verifying) = run_ours(&setup, &pact, count).await;
        ours.push(verifying, count);
        ours_loading.push(loading + verifying, count);
        raw.push(run_raw(&setup, count).await, count);
    }
    let mut theirs = Rounds::default();
    theirs.push(run_pact_verifier(&setup, &pact, count).await, count);
    let client_build_ms = client_build_ms();
    let _ = std::fs::remove_dir_all(&dir);

    let (ours_ms, theirs_ms, raw_ms) = (ours.median(), theirs.median(), raw.median());
    println!("engine_speed: {count} interactions, each a state setup POST, GET /items/{{n}}, state teardown POST");
    println!(
        "after a {warm_up_count}-interaction warm-up; medians of {ROUNDS} interleaved rounds (pact_verifier: 1 round)"
    );
    println!();
    println!("{:<44} {:>14} {:>18} {:>9}", "verifier", "ms/interaction", "rounds min .. max", "vs ours");
    for (name, rounds) in [
        ("ours: Engine::verify", &ours),
        ("ours incl. Engine::new + load_pacts", &ours_loading),
        ("pact_verifier::verify_provider_async", &theirs),
        ("raw reqwest loop, one client, no matching", &raw),
    ] {
        println!("{:<44} {:>14.4} {:>18} {:>8.2}x", name, rounds.median(), rounds.spread(), rounds.median() / ours_ms);
    }
    let speedup = theirs_ms / ours_ms;
    let overhead = ours_ms / raw_ms;
    println!();
    println!("speedup vs pact_verifier: {speedup:.2}x (target >= 15x)");
    println!("overhead vs raw reqwest:  {overhead:.2}x (target <= 1.5x)");
    println!("building one reqwest client, which pact_verifier does per interaction: {client_build_ms:.3} ms");
    println!(
        "interactions={count} ours_ms={ours_ms:.4} pact_verifier_ms={theirs_ms:.4} raw_ms={raw_ms:.4} \
         speedup_vs_pact_verifier={speedup:.2} overhead_vs_raw={overhead:.3}"
    );
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter, so arguments are ignored.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(bench());
}
