//! Issue 13, finding 5: bodies are read up to `max_body_bytes` (`PACT_MAX_BODY_BYTES`, 16 MiB
//! by default). An app that streams an endless body fails its interaction quickly, naming the
//! limit and how to raise it, and the process's memory stays near the limit; a body exactly at
//! the limit passes and one byte more fails. Message bodies (produced and read) and the state
//! endpoint's answers are bounded the same way.
//!
//! These tests are a binary of their own, so that the peak RSS the endless-body test measures is
//! not another test's. Every run is bounded; the bound is in each test.

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use pact_runtime::__private::{load_pacts, Engine, EngineConfig};
use pact_runtime::config::PactSource;
use pact_runtime::{message, verify_provider, Failure, Message, Settings, VerificationReport};
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;

/// The process's peak resident set (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("a VmHWM line");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmHWM in kB");
    kib * 1024
}

fn http_pact(provider: &str, interactions: Value) -> Value {
    json!({
        "consumer": { "name": "BodyConsumer" },
        "provider": { "name": provider },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    })
}

fn get_interaction(description: &str, path: &str, body: &str) -> Value {
    json!({
        "description": description,
        "request": { "method": "GET", "path": path },
        "response": { "status": 200, "headers": { "Content-Type": "text/plain" }, "body": body }
    })
}

/// A body of 64 KiB chunks that never ends.
fn endless() -> Body {
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    Body::from_stream(futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone())))
}

/// 2 GiB announced in `Content-Length`, then streamed.
fn two_gib_declared() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain"), (header::CONTENT_LENGTH, "2147483648")], endless())
}

fn failure_texts(report: &VerificationReport, index: usize) -> Vec<String> {
    report.results[index].failures.iter().map(ToString::to_string).collect()
}

/// An app streaming an endless body, and one announcing 2 GiB, with `max_body_bytes` at 1 MiB
/// and a generous 60 s request timeout: each interaction fails at once naming the limit and
/// how to raise it, the next interaction is verified, and the peak RSS grows by far less than
/// 200 MB. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_fails_quickly_with_memory_bounded() {
    let file = pact_tests::write_pact(
        "BodyConsumer-EndlessService.json",
        &http_pact(
            "EndlessService",
            json!([
                get_interaction("an endless body", "/endless", "x"),
                get_interaction("a body said to be 2 GiB", "/declared", "x"),
                get_interaction("a small body", "/small", "small"),
            ]),
        ),
    );
    let settings = Settings::builder()
        .pacts(file)
        .provider("EndlessService")
        .max_body_bytes(MIB as u64)
        .request_timeout(Duration::from_secs(60))
        .build()
        .expect("valid settings");
    let app = || async {
        Router::new()
            .route("/endless", get(|| async { ([(header::CONTENT_TYPE, "text/plain")], endless()) }))
            .route("/declared", get(|| async { two_gib_declared() }))
            .route("/small", get(|| async { ([(header::CONTENT_TYPE, "text/plain")], "small") }))
    };
    let before = peak_rss();
    let started = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(10), verify_provider(&settings, app))
        .await
        .expect("the run finished within 10 s")
        .expect("the run starts");
    let elapsed = started.elapsed();
    let grown = peak_rss().saturating_sub(before);
    println!("{report}");
    println!("endless body: {elapsed:?}, peak RSS grew by {} MiB", grown / MIB as u64);
    assert_eq!(
        failure_texts(&report, 0),
        ["request failed: GET /endless: the response body exceeded `max_body_bytes` (1048576 bytes), so reading it stopped there; raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if bodies this large are expected"]
    );
    assert_eq!(
        failure_texts(&report, 1),
        ["request failed: GET /declared: the response body is 2147483648 bytes (Content-Length), more than `max_body_bytes` (1048576 bytes), so it was not read; raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if bodies this large are expected"]
    );
    assert!(report.results[2].passed(), "{report}");
    assert!(grown < 200 * MIB as u64, "the peak RSS grew by {} MiB", grown / MIB as u64);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

/// With `max_body_bytes` at 1000, a body of exactly 1000 bytes passes and one of 1001 bytes
/// fails; both with and without a `Content-Length`. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_at_the_limit_passes_and_one_byte_more_fails() {
    let at = "a".repeat(1000);
    let over = "b".repeat(1001);
    let file = pact_tests::write_pact(
        "BodyConsumer-LimitService.json",
        &http_pact(
            "LimitService",
            json!([
                get_interaction("a body at the limit", "/at", &at),
                get_interaction("a body one byte over", "/over", &over),
                get_interaction("a streamed body at the limit", "/streamed/at", &at),
                get_interaction("a streamed body one byte over", "/streamed/over", &over),
            ]),
        ),
    );
    let settings =
        Settings::builder().pacts(&file).provider("LimitService").max_body_bytes(1000).build().expect("valid settings");
    assert_eq!(settings.max_body_bytes(), 1000);
    let text = |body: String| ([(header::CONTENT_TYPE, "text/plain")], body);
    // Two chunks without a Content-Length.
    let streamed = |body: String| {
        let (first, second) = body.split_at(500);
        let chunks = vec![Ok::<_, std::io::Error>(Bytes::from(first.to_string())), Ok(Bytes::from(second.to_string()))];
        ([(header::CONTENT_TYPE, "text/plain")], Body::from_stream(futures::stream::iter(chunks)))
    };
    let (at_body, over_body) = (at.clone(), over.clone());
    let app = move || async move {
        let (a, b, c, d) = (at_body.clone(), over_body.clone(), at_body, over_body);
        Router::new()
            .route("/at", get(move || async move { text(a) }))
            .route("/over", get(move || async move { text(b) }))
            .route("/streamed/at", get(move || async move { streamed(c) }))
            .route("/streamed/over", get(move || async move { streamed(d) }))
    };
    let report = tokio::time::timeout(Duration::from_secs(10), verify_provider(&settings, app))
        .await
        .expect("the run finished within 10 s")
        .expect("the run starts");
    println!("{report}");
    assert!(report.results[0].passed() && report.results[2].passed(), "{report}");
    assert_eq!(
        failure_texts(&report, 1),
        ["request failed: GET /over: the response body is 1001 bytes (Content-Length), more than `max_body_bytes` (1000 bytes), so it was not read; raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if bodies this large are expected"]
    );
    assert_eq!(
        failure_texts(&report, 3),
        ["request failed: GET /streamed/over: the response body exceeded `max_body_bytes` (1000 bytes), so reading it stopped there; raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if bodies this large are expected"]
    );
}

#[message("a large event", provider = "LargeMessageService")]
fn large_event() -> Message {
    Message::text("y".repeat(2000))
}

/// A `#[message]` producer whose message is over the limit fails its interaction with the size
/// and the limit, before it is matched. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_produced_message_over_the_limit_fails() {
    let file = pact_tests::write_pact(
        "BodyConsumer-LargeMessageService.json",
        &json!({
            "consumer": { "name": "BodyConsumer" },
            "provider": { "name": "LargeMessageService" },
            "messages": [{ "description": "a large event", "contents": "y", "metadata": { "contentType": "text/plain" } }],
            "metadata": { "pactSpecification": { "version": "3.0.0" } }
        }),
    );
    let settings =
        Settings::builder().pacts(file).provider("LargeMessageService").max_body_bytes(1000).build().unwrap();
    let run = verify_provider(&settings, || async { Router::new() });
    let report = tokio::time::timeout(Duration::from_secs(10), run).await.expect("within 10 s").expect("starts");
    assert_eq!(
        failure_texts(&report, 0),
        ["the #[message] function `large_event` failed to produce `a large event`: the message is 2000 bytes, more than `max_body_bytes` (1000 bytes); raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if messages this large are expected"]
    );
}

#[message("an event with large metadata", provider = "LargeMetadataService")]
fn large_metadata() -> Message {
    Message::text("y").with_metadata("note", "m".repeat(2000))
}

const LARGE_METADATA_FAILURE: &str = "message `an event with large metadata` produced by `large_metadata` is 2012 bytes with its metadata (1 bytes of contents, 2011 bytes of metadata as JSON), more than `max_body_bytes` (1000 bytes); raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if messages this large are expected";

/// Metadata counts toward `max_body_bytes`: 50 MB of metadata gave a 100 MB mismatch line and
/// a 587 MB peak RSS in-process, and through `StateServer` a header the client refused. Now
/// both fail naming the producer. Bound: 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_metadata_counts_toward_the_limit_in_process_and_at_the_state_server() {
    let file = pact_tests::write_pact(
        "BodyConsumer-LargeMetadataService.json",
        &json!({
            "consumer": { "name": "BodyConsumer" },
            "provider": { "name": "LargeMetadataService" },
            "messages": [{ "description": "an event with large metadata", "contents": "y", "metadata": { "contentType": "text/plain" } }],
            "metadata": { "pactSpecification": { "version": "3.0.0" } }
        }),
    );
    let settings =
        Settings::builder().pacts(file).provider("LargeMetadataService").max_body_bytes(1000).build().unwrap();
    let run = verify_provider(&settings, || async { Router::new() });
    let report = tokio::time::timeout(Duration::from_secs(10), run).await.expect("within 10 s").expect("starts");
    assert_eq!(
        failure_texts(&report, 0),
        ["the #[message] function `large_metadata` failed to produce `an event with large metadata`: the message is 2012 bytes with its metadata (1 bytes of contents, 2011 bytes of metadata as JSON), more than `max_body_bytes` (1000 bytes); raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if messages this large are expected"]
    );

    let server = pact_runtime::StateServer::start_with(&settings).await.expect("the server starts");
    let request = json!({ "description": "an event with large metadata", "providerStates": [] });
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        reqwest::Client::new().post(server.message_url()).json(&request).send(),
    )
    .await
    .expect("within 10 s")
    .expect("an answer");
    assert_eq!(answer.status(), 422);
    assert!(answer.headers().get("pact-message-metadata").is_none());
    let body = answer.text().await.expect("a body");
    assert!(body.contains(LARGE_METADATA_FAILURE), "{body}");
}

/// The engine reads a message endpoint's answer and a state endpoint's answer bounded too: a
/// message endpoint (or a state endpoint) that streams without end fails the interaction at
/// the limit. Bound: 10 s, with a 60 s request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_message_and_state_answers_fail_at_the_limit() {
    pact_runtime::install_crypto_provider();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/messages", post(|| async { ([(header::CONTENT_TYPE, "text/plain")], endless()) }))
        .route("/states", post(|| async { ([(header::CONTENT_TYPE, "application/json")], endless()) }));
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let file = pact_tests::write_pact(
        "BodyConsumer-EndlessMessageService.json",
        &json!({
            "consumer": { "name": "BodyConsumer" },
            "provider": { "name": "EndlessMessageService" },
            "messages": [
                { "description": "an endless event", "contents": "z", "metadata": { "contentType": "text/plain" } },
                { "description": "an event with a state", "providerStates": [{ "name": "a state" }], "contents": "z" }
            ],
            "metadata": { "pactSpecification": { "version": "3.0.0" } }
        }),
    );
    let run = async {
        let engine = Engine::new(EngineConfig {
            request_timeout: Duration::from_secs(60),
            message_url: Some(format!("{base}/messages")),
            max_body_bytes: MIB as u64,
            ..EngineConfig::new(base.clone(), Some(format!("{base}/states")))
        })
        .unwrap();
        let pacts = load_pacts(&[PactSource::File(file)], None, engine.client()).await.unwrap();
        engine.verify("EndlessMessageService", &pacts, &Default::default(), Default::default()).await
    };
    let report = tokio::time::timeout(Duration::from_secs(10), run).await.expect("finished within 10 s");
    server.abort();
    assert_eq!(
        failure_texts(&report, 0),
        ["request failed: message `an endless event`: the message body exceeded `max_body_bytes` (1048576 bytes), so reading it stopped there; raise `max_body_bytes` (PACT_MAX_BODY_BYTES) if bodies this large are expected"]
    );
    assert!(matches!(&report.results[1].failures[0], Failure::StateSetup { .. }), "{report}");
    assert!(
        failure_texts(&report, 1)[0].contains(
            "setup of state `a state`: the state endpoint's answer exceeded `max_body_bytes` (1048576 bytes)"
        ),
        "{report}"
    );
}
