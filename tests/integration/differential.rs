//! Differential test: our `Engine` and `pact_verifier::verify_provider_async` verify the same
//! corpus (`fixtures/differential`, V2, V3 and V4 HTTP pacts) against the same app through the
//! same state endpoint, and must reach the same pass/fail verdict for every interaction.
//!
//! Each description starts with its intended verdict, `[pass]` or `[fail:<kind>]` (kind: status,
//! header, body or state), so the corpus cannot drift into passing or failing for the wrong reason.
//! Third-party pacts (`fixtures/differential/third-party`, origin and licence in its `ORIGIN.md`)
//! are replayed per interaction, faithfully and mutated, by an app that answers the pact's own
//! response; both verifiers must agree on each, and reject every mutation.
//! The corpus runs twice, without and with following redirects (`follow_redirects` on both
//! verifiers); a verdict that depends on it reads `[<without>; following redirects <with>]`.
//! Where the verifiers fail for different reasons by design, the kind reads
//! `<ours>, pact_verifier <theirs>` (a `fromProviderState` value found nowhere: ours fails the
//! state before the request, pact_verifier sends the consumer's example value).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pact_models::PactSpecification;
use pact_runtime::__private::{load_pacts, Engine, EngineConfig, StateEndpoint, StateRegistry, DEFAULT_STATE_PATH};
use pact_runtime::config::PactSource;
use pact_runtime::{provider_state, Failure, StateValues};
use pact_verifier::callback_executors::{HttpRequestProviderStateExecutor, NullRequestFilterExecutor};
use pact_verifier::{FilterInfo, MismatchResult, ProviderInfo, ProviderTransport, VerificationOptions};
use serde_json::{json, Value};

const PROVIDER: &str = "DiffProvider";
const TIMEOUT: Duration = Duration::from_secs(10);

// The app's data, changed only by the state functions below.
static USERS: Mutex<BTreeMap<u64, String>> = Mutex::new(BTreeMap::new());
static ORDERS: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());
static NEXT_ORDER: AtomicU64 = AtomicU64::new(5000);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[provider_state("user {id} exists", provider = "DiffProvider")]
fn user_exists(id: u64) {
    lock(&USERS).insert(id, format!("User {id}"));
}

#[provider_state("user {id} exists", provider = "DiffProvider", teardown)]
fn user_removed(id: u64) {
    lock(&USERS).remove(&id);
}

#[derive(serde::Deserialize)]
struct NamedUser {
    id: u64,
    name: String,
}

#[provider_state("a user exists with params", provider = "DiffProvider")]
fn named_user_exists(user: NamedUser) {
    lock(&USERS).insert(user.id, user.name);
}

#[provider_state("a user exists with params", provider = "DiffProvider", teardown)]
fn named_user_removed(user: NamedUser) {
    lock(&USERS).remove(&user.id);
}

#[derive(serde::Serialize)]
struct CreatedOrder {
    id: u64,
}

/// A fresh id each time, so only a request built from the returned value finds the order.
#[provider_state("an order exists", provider = "DiffProvider")]
fn order_exists() -> StateValues<CreatedOrder> {
    let id = NEXT_ORDER.fetch_add(1, Ordering::Relaxed);
    lock(&ORDERS).insert(id);
    StateValues(CreatedOrder { id })
}

#[provider_state("an order exists", provider = "DiffProvider", teardown)]
fn orders_cleared() {
    lock(&ORDERS).clear();
}

#[provider_state("an order exists without an id", provider = "DiffProvider")]
fn order_exists_without_values() {
    lock(&ORDERS).insert(NEXT_ORDER.fetch_add(1, Ordering::Relaxed));
}

#[provider_state("an order exists without an id", provider = "DiffProvider", teardown)]
fn orders_cleared_again() {
    lock(&ORDERS).clear();
}

#[provider_state("the database is down", provider = "DiffProvider")]
fn database_down() -> Result<(), String> {
    Err("the database is unavailable".to_string())
}

async fn get_user(UrlPath(id): UrlPath<u64>) -> Response {
    match lock(&USERS).get(&id) {
        Some(name) => Json(json!({
            "id": id,
            "name": name,
            "email": format!("user{id}@example.com"),
            "roles": ["reader", "writer"],
            "address": { "city": "Springfield", "zip": "12345" }
        }))
        .into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": "user not found" }))).into_response(),
    }
}

async fn search(Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(q) = query.get("q") else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "q is required" }))).into_response();
    };
    let limit: usize = query.get("limit").and_then(|limit| limit.parse().ok()).unwrap_or(10);
    let results: Vec<Value> = [(1, "red"), (2, "blue"), (3, "green")]
        .into_iter()
        .take(limit)
        .map(|(id, colour)| json!({ "id": id, "name": format!("{colour} {q}") }))
        .collect();
    Json(json!({ "query": q, "limit": limit, "results": results })).into_response()
}

async fn items() -> Json<Value> {
    Json(json!({ "items": [
        { "id": 1, "name": "apple", "price": 1.25 },
        { "id": 2, "name": "pear", "price": 2.5 },
        { "id": 3, "name": "plum", "price": 0.75 }
    ] }))
}

async fn create_order(body: Bytes) -> Response {
    let order: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match (order.get("item").and_then(Value::as_str), order.get("qty").and_then(Value::as_u64)) {
        (Some(item), Some(qty)) => {
            let id = NEXT_ORDER.fetch_add(1, Ordering::Relaxed);
            (StatusCode::CREATED, Json(json!({ "id": id, "item": item, "qty": qty, "status": "open" }))).into_response()
        }
        _ => (StatusCode::BAD_REQUEST, Json(json!({ "error": "an order needs an item and a qty" }))).into_response(),
    }
}

async fn get_order(UrlPath(id): UrlPath<u64>) -> Response {
    if lock(&ORDERS).contains(&id) {
        Json(json!({ "id": id, "status": "open" })).into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({ "error": "order not found" }))).into_response()
    }
}

async fn secure(headers: HeaderMap) -> Response {
    if headers.get("authorization").is_some_and(|value| value == "Bearer let-me-in") {
        Json(json!({ "secret": 42 })).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, Json(json!({ "error": "who are you?" }))).into_response()
    }
}

async fn start_app() -> (String, u16) {
    let router = Router::new()
        .route("/users/{id}", get(get_user))
        .route("/search", get(search))
        .route("/items", get(items))
        .route("/orders", axum::routing::post(create_order))
        .route("/orders/{id}", get(get_order))
        .route("/health", get(|| async { "ok" }))
        .route("/secure", get(secure))
        .route("/moved-items", get(|| async { (StatusCode::FOUND, [(axum::http::header::LOCATION, "/items")]) }))
        .layer(axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().insert("x-api-version", HeaderValue::from_static("1"));
            response
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("app binds to loopback");
    let port = listener.local_addr().expect("app address").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://127.0.0.1:{port}"), port)
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/differential")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory exists")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    files.sort();
    files
}

/// Consumer, description and states: identifies an interaction across both verifiers.
type Key = (String, String, Vec<String>);

/// A verifier's verdict on one interaction, with what it saw, for the table.
#[derive(Debug, Clone)]
struct Verdict {
    passed: bool,
    /// Failure kinds as the intent tags name them: status, header, body, state, other.
    kinds: BTreeSet<&'static str>,
    detail: String,
}

fn mismatch_kind(kind: &str) -> &'static str {
    match kind {
        "StatusMismatch" => "status",
        "HeaderMismatch" => "header",
        "BodyMismatch" | "BodyTypeMismatch" => "body",
        _ => "other",
    }
}

async fn run_ours(app_url: &str, state_url: &str, file: &Path, follow_redirects: bool) -> BTreeMap<Key, Verdict> {
    let engine = Engine::new(EngineConfig {
        request_timeout: TIMEOUT,
        follow_redirects,
        ..EngineConfig::new(app_url, Some(state_url.to_string()))
    })
    .expect("engine builds");
    let pacts =
        load_pacts(&[PactSource::File(file.to_path_buf())], Some(PROVIDER), engine.client()).await.expect("pact loads");
    let report = engine.verify(PROVIDER, &pacts, &Default::default(), Default::default()).await;
    let mut verdicts = BTreeMap::new();
    for result in report.results {
        let kinds = result
            .failures
            .iter()
            .map(|failure| match failure {
                Failure::StateSetup { .. } | Failure::StateTeardown { .. } => "state",
                Failure::Mismatch { kind, .. } => mismatch_kind(kind),
                _ => "other",
            })
            .collect();
        let detail = result.failures.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | ");
        let key = (result.consumer, result.description, result.states);
        let verdict = Verdict { passed: result.failures.is_empty(), kinds, detail };
        assert!(verdicts.insert(key.clone(), verdict).is_none(), "our engine reported {key:?} twice");
    }
    verdicts
}

async fn run_pact_verifier(
    app_port: u16,
    state_url: &str,
    file: &Path,
    follow_redirects: bool,
) -> BTreeMap<Key, Verdict> {
    run_pact_verifier_on(PROVIDER, app_port, state_url, file, FilterInfo::None, follow_redirects).await
}

async fn run_pact_verifier_on(
    provider_name: &str,
    app_port: u16,
    state_url: &str,
    file: &Path,
    filter: FilterInfo,
    follow_redirects: bool,
) -> BTreeMap<Key, Verdict> {
    let provider = ProviderInfo {
        name: provider_name.to_string(),
        host: "127.0.0.1".to_string(),
        transports: vec![ProviderTransport {
            transport: "http".to_string(),
            port: Some(app_port),
            path: None,
            scheme: Some("http".to_string()),
        }],
        ..ProviderInfo::default()
    };
    // The same request settings as our engine: the same redirect policy, the same timeout.
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        request_timeout: TIMEOUT.as_millis() as u64,
        coloured_output: false,
        follow_redirects,
        ..VerificationOptions::default()
    };
    let executor = Arc::new(HttpRequestProviderStateExecutor {
        state_change_url: Some(state_url.to_string()),
        state_change_teardown: true,
        state_change_body: true,
        retries: 0,
    });
    let result = pact_verifier::verify_provider_async(
        provider,
        vec![pact_verifier::PactSource::File(file.display().to_string())],
        filter,
        vec![],
        &options,
        None,
        &executor,
        None,
    )
    .await
    .expect("pact_verifier runs");
    let mut verdicts = BTreeMap::new();
    for interaction in result.interaction_results {
        let (kinds, detail) = match &interaction.result {
            Ok(()) => (BTreeSet::new(), String::new()),
            Err(MismatchResult::Mismatches { mismatches, .. }) => (
                mismatches.iter().map(|mismatch| mismatch_kind(mismatch.mismatch_type())).collect(),
                mismatches
                    .iter()
                    .map(|mismatch| format!("{}: {}", mismatch.mismatch_type(), mismatch.description()))
                    .collect::<Vec<_>>()
                    .join(" | "),
            ),
            Err(MismatchResult::Error(message, _)) => {
                let kind = if message.contains("state change") { "state" } else { "other" };
                (BTreeSet::from([kind]), message.clone())
            }
        };
        let key = (interaction.consumer, interaction.interaction_description, interaction.provider_states);
        let verdict = Verdict { passed: interaction.result.is_ok(), kinds, detail };
        assert!(verdicts.insert(key.clone(), verdict).is_none(), "pact_verifier reported {key:?} twice");
    }
    verdicts
}

/// `[pass]` or `[fail:<kind>]` from the start of a description; a tag
/// `[<without>; following redirects <with>]` names one for each redirect setting.
fn intent(description: &str, follow_redirects: bool) -> Option<(bool, Option<&str>)> {
    let tag = description.strip_prefix('[')?.split_once(']')?.0;
    let tag = match tag.split_once("; following redirects ") {
        Some((_, with)) if follow_redirects => with,
        Some((without, _)) => without,
        None => tag,
    };
    match tag.split_once(':') {
        None if tag == "pass" => Some((true, None)),
        Some(("fail", kind)) => Some((false, Some(kind))),
        _ => None,
    }
}

fn verdict_text(verdict: Option<&Verdict>) -> &'static str {
    match verdict {
        Some(verdict) if verdict.passed => "pass",
        Some(_) => "FAIL",
        None => "-",
    }
}

fn table(rows: &[(Key, Option<Verdict>, Option<Verdict>)]) -> String {
    let mut text = format!("{:<6} {:<14} {:<15} {}\n", "ours", "pact_verifier", "consumer", "description [states]");
    for ((consumer, description, states), ours, theirs) in rows {
        let marker = if ours.as_ref().map(|v| v.passed) == theirs.as_ref().map(|v| v.passed) { " " } else { "≠" };
        writeln!(
            text,
            "{marker}{:<5} {:<14} {:<15} {description} {states:?}",
            verdict_text(ours.as_ref()),
            verdict_text(theirs.as_ref()),
            consumer,
        )
        .ok();
        for (who, verdict) in [("ours", ours), ("pact_verifier", theirs)] {
            if let Some(verdict) = verdict.as_ref().filter(|verdict| !verdict.passed) {
                let detail: String = verdict.detail.chars().take(220).collect();
                writeln!(text, "        {who}: {}", detail.replace('\n', " ")).ok();
            }
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_and_pact_verifier_agree_on_every_interaction() {
    pact_runtime::install_crypto_provider();
    let registry = StateRegistry::for_provider(PROVIDER);
    assert!(registry.conflicts().is_empty(), "the test's state functions overlap");
    let endpoint = StateEndpoint::start(registry, DEFAULT_STATE_PATH, TIMEOUT).await.expect("state endpoint starts");
    let (app_url, app_port) = start_app().await;

    let files = corpus_files();
    assert!(files.len() >= 3, "expected the V2, V3 and V4 pacts in {}", corpus_dir().display());
    let mut report = String::new();
    let mut problems = Vec::new();
    for follow_redirects in [false, true] {
        let setting = format!("follow_redirects = {follow_redirects}");
        let mut rows = Vec::new();
        for file in &files {
            let ours = run_ours(&app_url, endpoint.url(), file, follow_redirects).await;
            let mut theirs = run_pact_verifier(app_port, endpoint.url(), file, follow_redirects).await;
            if ours.is_empty() {
                problems.push(format!("{setting}: {}: no interactions verified", file.display()));
            }
            for (key, our_verdict) in ours {
                let their_verdict = theirs.remove(&key);
                rows.push((key, Some(our_verdict), their_verdict));
            }
            rows.extend(theirs.into_iter().map(|(key, verdict)| (key, None, Some(verdict))));
        }
        let (passing, failing) = check_rows(&rows, follow_redirects, &mut problems);
        let summary =
            format!("{setting}: {} interactions: {passing} meant to pass, {failing} meant to fail", rows.len());
        // A corpus that only passes (or only fails) would make agreement meaningless.
        if passing < 8 || failing < 8 {
            problems.push(format!("{summary}: the corpus needs at least 8 of each"));
        }
        writeln!(report, "{summary}\n{}", table(&rows)).ok();
    }
    println!("{report}");
    assert!(problems.is_empty(), "{report}\nproblems:\n  {}", problems.join("\n  "));
}

/// Adds every disagreement and every verdict against its intent to `problems`; answers how
/// many interactions were meant to pass and to fail.
fn check_rows(
    rows: &[(Key, Option<Verdict>, Option<Verdict>)],
    follow_redirects: bool,
    problems: &mut Vec<String>,
) -> (usize, usize) {
    let setting = format!("follow_redirects = {follow_redirects}");
    let (mut passing, mut failing) = (0, 0);
    for ((consumer, description, _), ours, theirs) in rows {
        let (Some(ours), Some(theirs)) = (ours, theirs) else {
            problems.push(format!("{setting}: {consumer} › {description}: only one verifier reported it"));
            continue;
        };
        if ours.passed != theirs.passed {
            problems.push(format!(
                "{setting}: {consumer} › {description}: ours {}, pact_verifier {}",
                verdict_text(Some(ours)),
                verdict_text(Some(theirs))
            ));
        }
        match intent(description, follow_redirects) {
            None => problems.push(format!("{consumer} › {description}: no [pass] or [fail:<kind>] tag")),
            Some((true, _)) => {
                passing += 1;
                if !ours.passed {
                    problems.push(format!("{setting}: {consumer} › {description}: meant to pass, but ours failed"));
                }
            }
            Some((false, kind)) => {
                failing += 1;
                let kind = kind.unwrap_or_default();
                let (our_kind, their_kind) = kind.split_once(", pact_verifier ").unwrap_or((kind, kind));
                for (who, verdict, kind) in [("ours", ours, our_kind), ("pact_verifier", theirs, their_kind)] {
                    if verdict.passed || !verdict.kinds.contains(kind) {
                        problems.push(format!(
                            "{setting}: {consumer} › {description}: meant to fail with a {kind} failure, but {who} found {:?}",
                            verdict.kinds
                        ));
                    }
                }
            }
        }
    }
    (passing, failing)
}

#[test]
fn corpus_covers_v2_v3_and_v4_for_distinct_consumers() {
    let mut consumers = BTreeSet::new();
    let mut versions = BTreeSet::new();
    for file in corpus_files() {
        let pact = pact_models::pact::read_pact(&file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        assert_eq!(pact.provider().name, PROVIDER, "{}", file.display());
        assert!(consumers.insert(pact.consumer().name), "{}: consumer name used twice", file.display());
        versions.insert(pact.specification_version().to_string());
        assert!(
            pact.interactions().iter().all(|interaction| interaction.as_v4_http().is_some()),
            "{}: only HTTP interactions belong in this corpus",
            file.display()
        );
    }
    let expected: BTreeSet<String> =
        [PactSpecification::V2, PactSpecification::V3, PactSpecification::V4].iter().map(ToString::to_string).collect();
    assert_eq!(versions, expected);
}

// ------------------------------------------------------------------ third-party pacts, replayed

/// The response the replaying app answers every request with: status, headers, body.
type Replay = (u16, Vec<(String, String)>, Vec<u8>);

static REPLAY: Mutex<Option<Replay>> = Mutex::new(None);

/// The states of the third-party pacts, whatever their text: they only need to be served.
#[provider_state("{state}", provider = "test_provider")]
fn third_party_state(state: String) {
    let _ = state;
}

async fn replay() -> Response {
    let Some((status, headers, body)) = lock(&REPLAY).clone() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (axum::http::HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
        {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The pact's own response example, and a mutation of it that no verifier should accept.
fn replays(response: &pact_models::v4::http_parts::HttpResponse) -> [(&'static str, Replay); 2] {
    let headers: Vec<(String, String)> = response
        .headers
        .iter()
        .flatten()
        .flat_map(|(name, values)| values.iter().map(move |value| (name.clone(), value.clone())))
        .collect();
    let body = response.body.value().map(|bytes| bytes.to_vec()).unwrap_or_default();
    let mutated_status = if response.status == 200 { 500 } else { 200 };
    [("faithful", (response.status, headers, body)), ("mutated", (mutated_status, Vec::new(), b"{}".to_vec()))]
}

fn exact_regex(text: &str) -> String {
    let escaped: String =
        text.chars().flat_map(|c| if "\\.+*?()|[]{}^$".contains(c) { vec!['\\', c] } else { vec![c] }).collect();
    format!("^{escaped}$")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_party_pacts_replayed_and_mutated_get_the_same_verdicts() {
    pact_runtime::install_crypto_provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("app binds to loopback");
    let port = listener.local_addr().expect("app address").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().fallback(replay)).await;
    });
    let app_url = format!("http://127.0.0.1:{port}");
    let dir = corpus_dir().join("third-party");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("third-party corpus")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "expected the third-party pacts in {}", dir.display());
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for file in &files {
        let pact = pact_models::pact::read_pact(file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        let provider = pact.provider().name;
        let registry = StateRegistry::for_provider(&provider);
        let endpoint =
            StateEndpoint::start(registry, DEFAULT_STATE_PATH, TIMEOUT).await.expect("state endpoint starts");
        for follow_redirects in [false, true] {
            let engine = Engine::new(EngineConfig {
                request_timeout: TIMEOUT,
                follow_redirects,
                ..EngineConfig::new(&app_url, Some(endpoint.url().to_string()))
            })
            .expect("engine builds");
            let loaded = load_pacts(&[PactSource::File(file.clone())], Some(&provider), engine.client())
                .await
                .expect("pact loads");
            for (index, interaction) in pact.interactions().iter().enumerate() {
                let description = interaction.description();
                let response = interaction.as_v4_http().expect("an HTTP interaction").response;
                for (kind, reply) in replays(&response) {
                    *lock(&REPLAY) = Some(reply);
                    let (mut checks, mut missing) = (Default::default(), Vec::new());
                    let ours = engine
                        .verify_interaction(
                            &provider,
                            &loaded[0],
                            index,
                            interaction.as_ref(),
                            &mut checks,
                            &mut missing,
                        )
                        .await;
                    let theirs = run_pact_verifier_on(
                        &provider,
                        port,
                        endpoint.url(),
                        file,
                        FilterInfo::Description(exact_regex(&description)),
                        follow_redirects,
                    )
                    .await;
                    let theirs_passed = theirs.values().all(|verdict| verdict.passed) && !theirs.is_empty();
                    let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
                    let row = format!(
                        "{:<5} {:<5} follow_redirects={follow_redirects:<5} {kind:<8} {name} › {description}",
                        if ours.passed() { "pass" } else { "FAIL" },
                        if theirs_passed { "pass" } else { "FAIL" },
                    );
                    if ours.passed() != theirs_passed {
                        problems.push(format!("{row}\n    ours: {:?}\n    pact_verifier: {theirs:?}", ours.failures));
                    }
                    if kind == "mutated" && (ours.passed() || theirs_passed) {
                        problems.push(format!("{row}: a mutated response passed"));
                    }
                    rows.push(row);
                }
            }
        }
    }
    *lock(&REPLAY) = None;
    println!("ours  pact_verifier\n{}", rows.join("\n"));
    assert!(problems.is_empty(), "verdicts differ:\n{}", problems.join("\n"));
}
