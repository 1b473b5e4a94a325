//! pact-runtime's own broker support (`verify_provider` with a Pact Broker), end to end against
//! the broker double: consumer version selectors, pending and WIP pacts, publishing results,
//! webhook mode, authentication, HTTPS with a CA bundle, retries and broken answers.
//!
//! Every run resolves its `Settings` from an explicit environment (`Settings::resolve_with`),
//! never from the process environment, so the environment-variable paths are what is tested and
//! the tests can run in parallel. Each test verifies its own provider, whose states are defined
//! here, and is bounded in time with `tokio::time::timeout`.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use axum::Router;
use chrono::{TimeZone, Utc};
use pact_broker_double::{BrokerDouble, BrokerOptions, Fault, PublishedPact, VerificationRecord};
use pact_runtime::config::ConfigError;
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{provider_state, verify_provider, RunError, Settings, VerificationReport};
use pact_tests::things::{self, failing, pact, passing};
use serde_json::{json, Value};

// ==================================================================== the provider

/// `pact_tests::things`: `GET /things/{marker}` once a `thing {marker} exists` state added it.
fn app() -> Router {
    things::app()
}

// One state per provider: registrations are global to this binary and scoped by provider.

#[provider_state("thing {marker} exists", provider = "SelectorApi")]
fn selector_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "PendingApi")]
fn pending_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "WipApi")]
fn wip_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "PublishApi")]
fn publish_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "FilterApi")]
fn filter_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "WebhookApi")]
fn webhook_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "SubPathApi")]
fn sub_path_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "AuthApi")]
fn auth_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "TlsApi")]
fn tls_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "DedupeApi")]
fn dedupe_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "LoopApi")]
fn loop_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "RetryApi")]
fn retry_thing(marker: String) {
    things::add(marker);
}

// ==================================================================== pacts

// ==================================================================== running

/// Settings from the attribute options `provider` (when given) and `request_timeout_ms = 5000`,
/// and an explicit environment.
fn resolve(provider: Option<&'static str>, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let mut options: Vec<(&'static str, &'static str)> = vec![("request_timeout_ms", "5000")];
    if let Some(provider) = provider {
        options.push(("provider", provider));
    }
    let spec = ProviderTestSpec {
        test_name: "broker_verification",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: Box::leak(options.into_boxed_slice()),
    };
    let env: HashMap<String, String> = env.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    Settings::resolve_with(&spec, move |name| env.get(name).cloned())
}

/// Resolves the settings (which must succeed) and verifies the app with them.
async fn run(provider: Option<&'static str>, env: &[(&str, &str)]) -> Result<VerificationReport, RunError> {
    let settings = resolve(provider, env).unwrap_or_else(|error| panic!("configuration error: {error}"));
    verify_provider(&settings, || async { app() }).await
}

/// Runs a test body, failing the test if it takes longer than `bound`.
async fn bounded<T>(bound: Duration, body: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let outcome = tokio::time::timeout(bound, body).await;
    let elapsed = started.elapsed();
    println!("took {:.0} ms (bound {} s)", elapsed.as_secs_f64() * 1000.0, bound.as_secs());
    outcome.unwrap_or_else(|_| panic!("the test did not finish within {bound:?}"))
}

async fn start(options: BrokerOptions) -> BrokerDouble {
    pact_runtime::install_crypto_provider();
    BrokerDouble::start(options).await.expect("the broker double starts")
}

/// `consumer marker` for every verified interaction, from descriptions like `a request for w1`.
fn verified(report: &VerificationReport) -> BTreeSet<String> {
    report
        .results
        .iter()
        .map(|result| {
            let marker = result.description.rsplit(' ').next().unwrap_or_default();
            format!("{} {marker}", result.consumer)
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| item.to_string()).collect()
}

fn assert_contains(text: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(text.contains(fragment), "`{fragment}` is not in:\n{text}");
    }
}

/// The `testResults` entry for an interaction description.
fn test_result<'a>(record: &'a VerificationRecord, description: &str) -> &'a Value {
    record
        .test_results
        .as_ref()
        .and_then(Value::as_array)
        .and_then(|results| results.iter().find(|r| r["interactionDescription"] == description))
        .unwrap_or_else(|| panic!("no test result for `{description}` in {:?}", record.test_results))
}

/// The `_id` the broker gave the interaction `description` of the pact `sha`.
fn interaction_id(broker: &BrokerDouble, sha: &str, description: &str) -> String {
    let record = broker.pacts().into_iter().find(|p| p.sha == sha).expect("the pact is stored");
    record.content["interactions"]
        .as_array()
        .and_then(|list| list.iter().find(|i| i["description"] == description))
        .and_then(|i| i["_id"].as_str())
        .unwrap_or_else(|| panic!("no `_id` for `{description}`"))
        .to_string()
}

// ==================================================================== selectors

/// Consumers Web and Mobile of SelectorApi, published in this order:
///
/// | version | branch | tags | other |
/// |---|---|---|---|
/// | Web w1 | main | prod | deployed to production |
/// | Web w2 | main | prod | deployed to staging |
/// | Web w3 | main | | head of Web's main branch |
/// | Web w4 | feat-x | | |
/// | Web w5 | feat-y | beta | latest of Web |
/// | Mobile m1 | master | prod | |
/// | Mobile m2 | master | beta | head of Mobile's main branch |
/// | Mobile m3 | feat-x | | released in app-store |
/// | Mobile m4 | release-1 | | latest of Mobile |
///
/// Each pact has one interaction, `a request for <version>`.
async fn selector_broker() -> BrokerDouble {
    let broker = start(BrokerOptions::new()).await;
    let versions: [(&str, &str, &str, &[&str]); 9] = [
        ("Web", "w1", "main", &["prod"]),
        ("Web", "w2", "main", &["prod"]),
        ("Web", "w3", "main", &[]),
        ("Web", "w4", "feat-x", &[]),
        ("Web", "w5", "feat-y", &["beta"]),
        ("Mobile", "m1", "master", &["prod"]),
        ("Mobile", "m2", "master", &["beta"]),
        ("Mobile", "m3", "feat-x", &[]),
        ("Mobile", "m4", "release-1", &[]),
    ];
    for (consumer, version, branch, tags) in versions {
        broker
            .publish_pact(consumer, version, Some(branch), tags, pact(consumer, "SelectorApi", vec![passing(version)]))
            .unwrap();
    }
    broker.set_main_branch("Web", Some("main"));
    broker.set_main_branch("Mobile", Some("master"));
    broker.create_environment("production", true);
    broker.create_environment("staging", false);
    broker.record_deployment("Web", "w1", "production");
    broker.record_deployment("Web", "w2", "staging");
    broker.record_release("Mobile", "m3", "app-store");
    broker
}

/// Verifies SelectorApi with `PACT_CONSUMER_VERSION_SELECTORS` (and `extra` variables) and
/// answers `consumer version` of each verified interaction; every one must pass.
async fn select(selectors: Value, extra: &[(&str, &str)]) -> BTreeSet<String> {
    let broker = selector_broker().await;
    let url = broker.url();
    let selectors = selectors.to_string();
    let mut env = vec![("PACT_BROKER_BASE_URL", url.as_str()), ("PACT_CONSUMER_VERSION_SELECTORS", selectors.as_str())];
    env.extend_from_slice(extra);
    let report = run(Some("SelectorApi"), &env).await.unwrap_or_else(|error| panic!("{selectors}: {error}"));
    assert!(report.is_success(), "{selectors}: {}", report.failure_summary());
    assert_eq!(report.results.len(), verified(&report).len(), "a pact was verified twice:\n{report}");
    assert!(report.results.iter().all(|r| !r.pending && !r.wip), "{report}");
    // The broker explains each pact it selected.
    assert!(report.notices.iter().any(|n| n.contains("is included because")), "{:?}", report.notices);
    verified(&report)
}

// Bound: 20 s each (a run against a local double takes well under a second).
const SELECTOR_BOUND: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_main_branch() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "mainBranch": true }]), &[]).await, set(&["Mobile m2", "Web w3"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_branch() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "branch": "feat-x" }]), &[]).await, set(&["Mobile m3", "Web w4"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_matching_branch_uses_the_provider_branch() {
    bounded(SELECTOR_BOUND, async {
        let selectors = json!([{ "matchingBranch": true }]);
        assert_eq!(select(selectors.clone(), &[("PACT_PROVIDER_BRANCH", "feat-y")]).await, set(&["Web w5"]));
        // GIT_BRANCH is the fallback variable for the provider branch.
        assert_eq!(select(selectors, &[("GIT_BRANCH", "feat-x")]).await, set(&["Mobile m3", "Web w4"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_deployed_or_released() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "deployedOrReleased": true }]), &[]).await, set(&["Mobile m3", "Web w1", "Web w2"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_deployed() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "deployed": true }]), &[]).await, set(&["Web w1", "Web w2"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_released() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "released": true }]), &[]).await, set(&["Mobile m3"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_environment() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "environment": "production" }]), &[]).await, set(&["Web w1"]));
        assert_eq!(select(json!([{ "deployed": true, "environment": "staging" }]), &[]).await, set(&["Web w2"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_tag_latest_and_all() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "tag": "prod", "latest": true }]), &[]).await, set(&["Mobile m1", "Web w2"]));
        assert_eq!(select(json!([{ "tag": "prod" }]), &[]).await, set(&["Mobile m1", "Web w1", "Web w2"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_latest() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "latest": true }]), &[]).await, set(&["Mobile m4", "Web w5"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_consumer() {
    bounded(SELECTOR_BOUND, async {
        assert_eq!(select(json!([{ "mainBranch": true, "consumer": "Web" }]), &[]).await, set(&["Web w3"]));
        assert_eq!(select(json!([{ "latest": true, "consumer": "Mobile" }]), &[]).await, set(&["Mobile m4"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_fallback_tag() {
    bounded(SELECTOR_BOUND, async {
        // No pact is tagged `rc`, so the `beta` ones are verified.
        let fallback = json!([{ "tag": "rc", "fallbackTag": "beta", "latest": true }]);
        assert_eq!(select(fallback, &[]).await, set(&["Mobile m2", "Web w5"]));
        // With pacts tagged `prod`, the fallback is not used.
        let unused = json!([{ "tag": "prod", "fallbackTag": "beta", "latest": true }]);
        assert_eq!(select(unused, &[]).await, set(&["Mobile m1", "Web w2"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_fallback_branch() {
    bounded(SELECTOR_BOUND, async {
        // No pact is from `feat-z`, so the `release-1` one is verified.
        let fallback = json!([{ "branch": "feat-z", "fallbackBranch": "release-1" }]);
        assert_eq!(select(fallback, &[]).await, set(&["Mobile m4"]));
        // With a pact from `feat-y`, the fallback is not used.
        let unused = json!([{ "branch": "feat-y", "fallbackBranch": "release-1" }]);
        assert_eq!(select(unused, &[]).await, set(&["Web w5"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectors_combine_and_the_same_pact_is_verified_once() {
    bounded(SELECTOR_BOUND, async {
        // Web's w2 is both deployed and its latest `prod` pact: selected twice, verified once.
        let selectors = json!([
            { "mainBranch": true },
            { "deployed": true },
            { "tag": "prod", "latest": true, "consumer": "Web" }
        ]);
        assert_eq!(select(selectors, &[]).await, set(&["Mobile m2", "Web w1", "Web w2", "Web w3"]));
    })
    .await;
}

// ==================================================================== pending and WIP

/// PendingWeb's pact (on main): one interaction that passes, one that fails.
async fn pending_broker() -> (BrokerDouble, PublishedPact) {
    let broker = start(BrokerOptions::new()).await;
    let interactions = vec![passing("pending-ok"), failing("pending-bad")];
    let published =
        broker.publish_pact("PendingWeb", "1.0.0", Some("main"), &[], pact("PendingWeb", "PendingApi", interactions));
    (broker, published.unwrap())
}

// Bound: 20 s (two runs against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_pending_pact_does_not_fail_the_run() {
    bounded(Duration::from_secs(20), async {
        let (broker, _) = pending_broker().await;
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}]"#),
            ("PACT_ENABLE_PENDING", "true"),
            ("PACT_PROVIDER_BRANCH", "feat-new"),
        ];
        let report = run(Some("PendingApi"), &env).await.expect("the run completes");
        println!("{report}");
        assert!(report.is_success(), "a pending pact's failure must not fail the run:\n{report}");
        assert_eq!(report.counts(), "1 passed, 0 failed, 1 pending failed");
        let bad = report.results.iter().find(|r| r.description == "a broken request for pending-bad").unwrap();
        assert!(bad.pending && !bad.passed() && !bad.wip, "{bad:?}");
        assert!(report.to_string().contains("~ pending-failed  a broken request for pending-bad [pending]"));
        // The broker's notices: why the pact was included, that it is pending, and (after the
        // failed, unpublished verification) that it stays pending.
        let notices = report.notices.join("\n");
        assert_contains(
            &notices,
            &[
                "is included because",
                "This pact is pending for this version of PendingApi",
                "from branch 'feat-new'",
                "The pact stays pending for a version of PendingApi from branch 'feat-new', as no successful verification result was published.",
            ],
        );

        // Once a version on the branch has verified it, the pact is no longer pending, and the
        // same failure fails the run.
        broker.record_verification("PendingApi", "p-1", "PendingWeb", "1.0.0", true, Some("feat-new"), &[]).unwrap();
        let report = run(Some("PendingApi"), &env).await.expect("the run completes");
        assert!(!report.is_success(), "{report}");
        assert_eq!(report.counts(), "1 passed, 1 failed");
        assert!(report.results.iter().all(|r| !r.pending), "{report}");
        assert_contains(&report.notices.join("\n"), &["has already been verified successfully"]);
    })
    .await;
}

/// WipWeb of WipApi: `wip-old` on feat-old (published in 2020), `wip-main` on main and
/// `wip-new` on feat-wip (published now), `wip-broken` (failing) on feat-broken.
async fn wip_broker() -> (BrokerDouble, HashMap<&'static str, PublishedPact>) {
    let broker = start(BrokerOptions::new()).await;
    let mut published = HashMap::new();
    broker.set_clock(Some(Utc.with_ymd_and_hms(2020, 6, 1, 12, 0, 0).unwrap()));
    let old = pact("WipWeb", "WipApi", vec![passing("wip-old")]);
    published.insert("wip-old", broker.publish_pact("WipWeb", "0.1.0", Some("feat-old"), &[], old).unwrap());
    broker.set_clock(None);
    let main = pact("WipWeb", "WipApi", vec![passing("wip-main")]);
    published.insert("wip-main", broker.publish_pact("WipWeb", "1.0.0", Some("main"), &[], main).unwrap());
    let new = pact("WipWeb", "WipApi", vec![passing("wip-new")]);
    published.insert("wip-new", broker.publish_pact("WipWeb", "1.1.0", Some("feat-wip"), &[], new).unwrap());
    let broken = pact("WipWeb", "WipApi", vec![failing("wip-broken")]);
    published.insert("wip-broken", broker.publish_pact("WipWeb", "1.2.0", Some("feat-broken"), &[], broken).unwrap());
    (broker, published)
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wip_pacts_since_a_date_are_verified_as_wip() {
    bounded(Duration::from_secs(20), async {
        let (broker, published) = wip_broker().await;
        // The provider branch has verified the main pact, so only the WIP pacts are pending.
        broker
            .record_verification("WipApi", "wip-provider-0", "WipWeb", "1.0.0", true, Some("provider-main"), &[])
            .unwrap();
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}]"#),
            ("PACT_ENABLE_PENDING", "true"),
            ("PACT_INCLUDE_WIP_PACTS_SINCE", "2021-01-01"),
            ("PACT_PROVIDER_BRANCH", "provider-main"),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("PACT_PROVIDER_VERSION", "wip-provider-1"),
        ];
        let report = run(Some("WipApi"), &env).await.expect("the run completes");
        println!("{report}");
        // wip-old was published before the date; wip-main was selected explicitly.
        assert_eq!(verified(&report), set(&["WipWeb wip-broken", "WipWeb wip-main", "WipWeb wip-new"]));
        for result in &report.results {
            let wip = result.description != "a request for wip-main";
            assert_eq!(result.wip, wip, "{result:?}");
            assert_eq!(result.pending, wip, "WIP pacts are pending: {result:?}");
        }
        // The failing WIP pact does not fail the run.
        assert!(report.is_success(), "{report}");
        assert!(report.to_string().contains("a request for wip-new [WIP]"), "{report}");
        assert_contains(&report.notices.join("\n"), &["is included as a work in progress pact"]);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);

        // Results published for WIP pacts are WIP results.
        let records: Vec<VerificationRecord> =
            broker.verification_results().into_iter().filter(|r| r.provider_version == "wip-provider-1").collect();
        assert_eq!(records.len(), 3, "{records:?}");
        for (marker, wip, success) in [("wip-main", false, true), ("wip-new", true, true), ("wip-broken", true, false)]
        {
            let record = records.iter().find(|r| r.pact_version_sha == published[marker].sha).unwrap();
            assert_eq!((record.wip, record.success), (wip, success), "{marker}: {record:?}");
        }
    })
    .await;
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_wip_pact_does_not_fail_the_run_without_enable_pending() {
    bounded(Duration::from_secs(20), async {
        let (broker, _) = wip_broker().await;
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}]"#),
            ("PACT_INCLUDE_WIP_PACTS_SINCE", "2021-01-01"),
            ("PACT_PROVIDER_BRANCH", "provider-main"),
        ];
        let report = run(Some("WipApi"), &env).await.expect("the run completes");
        let broken = report.results.iter().find(|r| r.description == "a broken request for wip-broken").unwrap();
        assert!(broken.wip && broken.pending && !broken.passed(), "{broken:?}");
        assert!(report.is_success(), "a WIP pact's failure must not fail the run:\n{report}");
    })
    .await;
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wip_pacts_without_a_provider_branch_or_tags_warn_naming_them() {
    bounded(Duration::from_secs(20), async {
        let (broker, _) = wip_broker().await;
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}]"#),
            ("PACT_INCLUDE_WIP_PACTS_SINCE", "2021-01-01"),
        ];
        let report = run(Some("WipApi"), &env).await.expect("the run completes");
        assert!(report.results.iter().all(|r| !r.wip), "{report}");
        assert_contains(
            &report.warnings.join("\n"),
            &[
                "include_wip_pacts_since is set but no provider branch or tags are",
                "PACT_PROVIDER_BRANCH",
                "PACT_PROVIDER_TAGS",
            ],
        );
        assert_contains(&report.to_string(), &["warning: include_wip_pacts_since"]);
    })
    .await;
}

// ==================================================================== publishing

// Bound: 20 s (one run and two publications against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_published_per_pact_with_version_branch_tags_and_build_url() {
    bounded(Duration::from_secs(20), async {
        let broker = start(BrokerOptions::new()).await;
        let web = broker
            .publish_pact(
                "PubWeb",
                "1",
                Some("main"),
                &[],
                pact("PubWeb", "PublishApi", vec![passing("pub-web-1"), passing("pub-web-2")]),
            )
            .unwrap();
        let mobile = broker
            .publish_pact(
                "PubMobile",
                "1",
                Some("main"),
                &[],
                pact("PubMobile", "PublishApi", vec![passing("pub-mobile-ok"), failing("pub-mobile-bad")]),
            )
            .unwrap();
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("GIT_COMMIT", "abc123"),
            ("GIT_BRANCH", "feat-publish"),
            ("PACT_PROVIDER_TAGS", "dev, candidate"),
            ("PACT_BUILD_URL", "https://ci.example/builds/42"),
        ];
        let report = run(Some("PublishApi"), &env).await.expect("the run completes");
        println!("{report}");
        assert!(!report.is_success());
        assert_eq!(report.counts(), "3 passed, 1 failed");
        assert_eq!(report.publish_failures().count(), 0, "{report}");
        let mut outcomes: Vec<_> = report.publications.iter().map(|p| p.outcome.clone()).collect();
        outcomes.sort();
        assert_eq!(outcomes, vec![Ok(false), Ok(true)]);

        let records = broker.verification_results();
        assert_eq!(records.len(), 2, "one result per pact: {records:?}");
        for record in &records {
            assert_eq!(record.provider, "PublishApi");
            assert_eq!(record.provider_version, "abc123");
            assert_eq!(record.build_url.as_deref(), Some("https://ci.example/builds/42"));
            assert_eq!(record.provider_branches, vec!["feat-publish".to_string()]);
            let tags: BTreeSet<&str> = record.provider_tags.iter().map(String::as_str).collect();
            assert_eq!(tags, BTreeSet::from(["candidate", "dev"]));
            assert_eq!(record.verified_by.as_ref().unwrap()["implementation"], "pact-runtime");
            assert!(!record.wip);
        }

        let web_record = records.iter().find(|r| r.pact_version_sha == web.sha).expect("PubWeb's result");
        assert_eq!(web_record.consumer, "PubWeb");
        assert!(web_record.success);
        assert_eq!(web_record.test_results.as_ref().and_then(Value::as_array).map(Vec::len), Some(2));
        for marker in ["pub-web-1", "pub-web-2"] {
            let description = format!("a request for {marker}");
            let entry = test_result(web_record, &description);
            assert_eq!(entry["success"], true, "{entry}");
            assert_eq!(entry["interactionId"], interaction_id(&broker, &web.sha, &description), "{entry}");
            assert!(entry.get("mismatches").is_none(), "{entry}");
        }

        let mobile_record = records.iter().find(|r| r.pact_version_sha == mobile.sha).expect("PubMobile's result");
        assert_eq!(mobile_record.consumer, "PubMobile");
        assert!(!mobile_record.success);
        assert_eq!(mobile_record.test_results.as_ref().and_then(Value::as_array).map(Vec::len), Some(2));
        assert_eq!(test_result(mobile_record, "a request for pub-mobile-ok")["success"], true);
        let bad = test_result(mobile_record, "a broken request for pub-mobile-bad");
        assert_eq!(bad["success"], false, "{bad}");
        assert_eq!(
            bad["interactionId"],
            interaction_id(&broker, &mobile.sha, "a broken request for pub-mobile-bad"),
            "{bad}"
        );
        let mismatches = bad["mismatches"].as_array().unwrap_or_else(|| panic!("mismatches in {bad}"));
        assert!(!mismatches.is_empty(), "{bad}");
        let body = mismatches.iter().find(|m| m["attribute"] == "body").unwrap_or_else(|| panic!("{bad}"));
        assert_eq!(body["identifier"], "$.marker", "{bad}");
        assert!(body["description"].as_str().unwrap_or_default().contains("pub-mobile-bad, but renamed"), "{bad}");
    })
    .await;
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_run_publishes_nothing_and_says_why() {
    bounded(Duration::from_secs(20), async {
        let broker = start(BrokerOptions::new()).await;
        let interactions = vec![passing("filter-first"), passing("filter-second")];
        broker.publish_pact("FilterWeb", "1", Some("main"), &[], pact("FilterWeb", "FilterApi", interactions)).unwrap();
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("PACT_PROVIDER_VERSION", "f-1"),
            ("PACT_PROVIDER_BRANCH", "main"),
            ("PACT_DESCRIPTION", "first"),
        ];
        let report = run(Some("FilterApi"), &env).await.expect("the run completes");
        assert!(report.is_success(), "{report}");
        assert_eq!(verified(&report), set(&["FilterWeb filter-first"]));
        assert!(report.publications.is_empty(), "{:?}", report.publications);
        assert!(broker.verification_results().is_empty(), "{:?}", broker.verification_results());
        assert!(
            broker.requests().iter().all(|r| r.method == "GET" || r.path.contains("/for-verification")),
            "nothing may be written to the broker: {:?}",
            broker.requests()
        );
        assert_contains(
            &report.notices.join("\n"),
            &["verification results were not published: the run was filtered", "first"],
        );
    })
    .await;
}

// ==================================================================== one verification per identical interaction

/// DedupeWeb's two versions on `main`: 1 (deployed to production) with d-1, d-2 and the
/// failing d-3, and 2 (the branch's head) with the same three and d-4. A run with the
/// `mainBranch` and `deployedOrReleased` selectors gets both pacts.
async fn dedupe_broker() -> (BrokerDouble, PublishedPact, PublishedPact) {
    let broker = start(BrokerOptions::new()).await;
    let shared = || vec![passing("d-1"), passing("d-2"), failing("d-3")];
    let old =
        broker.publish_pact("DedupeWeb", "1", Some("main"), &[], pact("DedupeWeb", "DedupeApi", shared())).unwrap();
    let mut newer = shared();
    newer.push(passing("d-4"));
    let new = broker.publish_pact("DedupeWeb", "2", Some("main"), &[], pact("DedupeWeb", "DedupeApi", newer)).unwrap();
    broker.set_main_branch("DedupeWeb", Some("main"));
    broker.create_environment("production", true);
    broker.record_deployment("DedupeWeb", "1", "production");
    (broker, old, new)
}

/// Verifies DedupeApi against `broker` with publishing on (and `extra` variables); answers the
/// report and how many interaction requests the app got.
async fn verify_dedupe(broker: &BrokerDouble, extra: &[(&str, &str)]) -> (VerificationReport, usize) {
    let url = broker.url();
    let mut env = vec![
        ("PACT_BROKER_BASE_URL", url.as_str()),
        ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}, {"deployedOrReleased": true}]"#),
        ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
        ("PACT_PROVIDER_VERSION", "p-1"),
    ];
    env.extend_from_slice(extra);
    let settings = resolve(Some("DedupeApi"), &env).unwrap();
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = requests.clone();
    let report = verify_provider(&settings, move || async move { things::counted_app(counted) })
        .await
        .expect("the run completes");
    (report, requests.load(std::sync::atomic::Ordering::SeqCst))
}

/// Each pact's latest published result is complete: every interaction of the pact with its own
/// `_id`, d-3 failing with its mismatch, the rest passing.
fn assert_complete_results(broker: &BrokerDouble, published: &PublishedPact, markers: &[&str]) {
    let records = broker.verification_results();
    // The latest result of the pact.
    let record = records.iter().rev().find(|r| r.pact_version_sha == published.sha).expect("the pact's result");
    assert!(!record.success, "{record:?}");
    assert_eq!(record.test_results.as_ref().and_then(Value::as_array).map(Vec::len), Some(markers.len()));
    for marker in markers {
        let description =
            if *marker == "d-3" { format!("a broken request for {marker}") } else { format!("a request for {marker}") };
        let entry = test_result(record, &description);
        assert_eq!(entry["success"], *marker != "d-3", "{entry}");
        assert_eq!(entry["interactionId"], interaction_id(broker, &published.sha, &description), "{entry}");
        if *marker == "d-3" {
            assert!(!entry["mismatches"].as_array().unwrap().is_empty(), "{entry}");
        }
    }
}

/// The three interactions the two versions share are verified once: the app gets 4 requests,
/// not 7; the report has all 7 results, says what was shared and the time saved (console,
/// JUnit, JSON), and each pact's published result is complete. `PACT_DEDUPE_INTERACTIONS=false`
/// verifies all 7. Bound: 30 s (two runs and four publications against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_identical_in_two_versions_of_a_pact_is_verified_once_and_published_for_each() {
    bounded(Duration::from_secs(30), async {
        let (broker, old, new) = dedupe_broker().await;
        let reports = std::env::temp_dir().join(format!("pact-dedupe-{}", uuid::Uuid::new_v4()));
        let (junit, json) = (reports.join("report.xml"), reports.join("report.json"));
        let files = [
            ("PACT_VERIFIER_JUNIT_REPORT", junit.to_str().unwrap()),
            ("PACT_VERIFIER_JSON_REPORT", json.to_str().unwrap()),
        ];
        let (report, requests) = verify_dedupe(&broker, &files).await;
        let text = report.to_string();
        println!("{text}");
        assert_eq!(requests, 4, "d-1, d-2 and d-3 once, and d-4");
        assert_eq!(report.results.len(), 7);
        assert_eq!(report.counts(), "5 passed, 2 failed");
        let shared_line = text
            .lines()
            .find(|line| {
                line.starts_with("3 interaction(s) identical in several pacts of one consumer were verified once")
            })
            .unwrap_or_else(|| panic!("no line about the shared interactions in\n{text}"));
        assert!(shared_line.ends_with(" ms saved (dedupe_interactions)"), "{shared_line}");
        println!("interactions saved by dedupe_interactions: 3 of 7 ({shared_line})");
        assert_eq!(text.matches("= verified once: the identical interaction of").count(), 3, "{text}");
        assert_eq!(report.publish_failures().count(), 0, "{text}");
        assert_eq!(broker.verification_results().len(), 2);
        assert_complete_results(&broker, &old, &["d-1", "d-2", "d-3"]);
        assert_complete_results(&broker, &new, &["d-1", "d-2", "d-3", "d-4"]);

        let parsed: pact_runtime::report::json::JsonReport =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!((parsed.summary.total, parsed.summary.shared, parsed.summary.failed), (7, 3, 2));
        assert!(parsed.shared_saved_ms > 0.0, "{}", parsed.shared_saved_ms);
        // The pact verified first holds the verifications; the other's copies name it.
        let first_source = &parsed.interactions[0].pact_source;
        for interaction in &parsed.interactions {
            let copied = &interaction.pact_source != first_source && !interaction.description.ends_with("d-4");
            assert_eq!(interaction.shared_from.as_ref(), copied.then_some(first_source), "{interaction:?}");
        }
        let xml = std::fs::read_to_string(&junit).unwrap();
        let document = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<usize> = document
            .descendants()
            .filter(|node| node.has_tag_name("testsuite"))
            .map(|suite| suite.children().filter(|node| node.has_tag_name("testcase")).count())
            .collect();
        let mut sizes = suites.clone();
        sizes.sort();
        assert_eq!(sizes, [3, 4], "{xml}");
        assert_eq!(xml.matches("verified once: this is the result of the identical interaction of").count(), 3);

        // Off: all seven are verified, and published alike.
        let (report, requests) = verify_dedupe(&broker, &[("PACT_DEDUPE_INTERACTIONS", "false")]).await;
        assert_eq!((requests, report.results.len(), report.counts().as_str()), (7, 7, "5 passed, 2 failed"));
        assert!(!report.to_string().contains("verified once"), "{report}");
        assert_eq!(broker.verification_results().len(), 4);
        assert_complete_results(&broker, &old, &["d-1", "d-2", "d-3"]);
        assert_complete_results(&broker, &new, &["d-1", "d-2", "d-3", "d-4"]);
        let _ = std::fs::remove_dir_all(&reports);
    })
    .await;
}

// ==================================================================== fail fast and last failed never publish

/// A fail-fast run and a run of the last failures publish nothing, and say why in the
/// console (a broker notice), even when every interaction ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_and_last_failed_runs_never_publish_and_say_so() {
    bounded(Duration::from_secs(30), async {
        let broker = start(BrokerOptions::new()).await;
        let interactions = vec![passing("loop-1"), failing("loop-2"), passing("loop-3")];
        broker.publish_pact("LoopWeb", "1", Some("main"), &[], pact("LoopWeb", "LoopApi", interactions)).unwrap();
        let url = broker.url();
        let json = std::env::temp_dir().join(format!("pact-loop-{}.json", uuid::Uuid::new_v4()));
        let publish = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("PACT_PROVIDER_VERSION", "l-1"),
            ("PACT_VERIFIER_JSON_REPORT", json.to_str().unwrap()),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut env = publish.to_vec();
            env.extend_from_slice(extra);
            env
        };
        let report = run(Some("LoopApi"), &with(&[("PACT_FAIL_FAST", "true")])).await.unwrap();
        println!("{report}");
        assert_eq!(report.counts(), "1 passed, 1 failed, 1 skipped");
        assert!(report.publications.is_empty() && broker.verification_results().is_empty());
        assert_contains(
            &report.to_string(),
            &["broker: verification results were not published: fail_fast is on, and a fail-fast run never publishes"],
        );
        let report = verify_provider(
            &resolve(Some("LoopApi"), &publish).unwrap(),
            || async { app() },
        )
        .await
        .unwrap();
        assert_eq!(report.counts(), "2 passed, 1 failed");
        assert_eq!(broker.verification_results().len(), 1, "a plain run publishes");
        let json_text = json.to_string_lossy().into_owned();
        let rerun_env: Vec<(&str, &str)> = publish.iter().copied().chain([("PACT_LAST_FAILED", json_text.as_str())]).collect();
        let rerun = run(Some("LoopApi"), &rerun_env).await.unwrap();
        assert_eq!(verified(&rerun), set(&["LoopWeb loop-2"]));
        assert_eq!(broker.verification_results().len(), 1, "the rerun publishes nothing");
        assert_contains(
            &rerun.to_string(),
            &["broker: verification results were not published: last_failed is on, and a run of only the last failures never publishes"],
        );
        let _ = std::fs::remove_file(&json);
    })
    .await;
}

// Bound: 5 s (configuration only).
#[tokio::test]
async fn publishing_without_a_provider_version_is_a_configuration_error() {
    bounded(Duration::from_secs(5), async {
        let env = [
            ("PACT_BROKER_BASE_URL", "http://127.0.0.1:9"),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("GIT_BRANCH", "main"),
        ];
        let error = resolve(Some("PublishApi"), &env).unwrap_err();
        assert_contains(&error.0, &["PACT_PROVIDER_VERSION", "GIT_COMMIT"]);
        // The same settings without publishing resolve.
        assert!(resolve(Some("PublishApi"), &env[..1]).is_ok());
    })
    .await;
}

// ==================================================================== webhook mode

// Bound: 20 s (two runs against local doubles).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_verifies_and_publishes_only_the_pact_url() {
    bounded(Duration::from_secs(20), async {
        // With the broker's base URL and credentials, as a webhook-triggered CI build has them.
        let broker = start(BrokerOptions::new().with_basic_auth("hook", "hook-secret")).await;
        let web = pact("HookWeb", "WebhookApi", vec![passing("hook-web")]);
        broker.publish_pact("HookWeb", "1", Some("main"), &[], web).unwrap();
        let mobile = pact("HookMobile", "WebhookApi", vec![passing("hook-mobile-1"), passing("hook-mobile-2")]);
        let mobile = broker.publish_pact("HookMobile", "7", Some("main"), &[], mobile).unwrap();
        let url = broker.url();
        let env = [
            ("PACT_URL", mobile.url.as_str()),
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_BROKER_USERNAME", "hook"),
            ("PACT_BROKER_PASSWORD", "hook-secret"),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("PACT_PROVIDER_VERSION", "hook-provider-1"),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}]"#),
        ];
        // The provider comes from the pact.
        let report = run(None, &env).await.expect("the run completes");
        assert!(report.is_success(), "{report}");
        assert_eq!(report.provider, "WebhookApi");
        assert_eq!(verified(&report), set(&["HookMobile hook-mobile-1", "HookMobile hook-mobile-2"]));
        let records = broker.verification_results();
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0].pact_version_sha, mobile.sha);
        assert_eq!(records[0].provider_version, "hook-provider-1");
        assert!(records[0].success);
        let requests = broker.requests();
        assert!(!requests.iter().any(|r| r.path.contains("for-verification")), "{requests:?}");
        assert!(requests.iter().all(|r| r.status != 401), "{requests:?}");

        // Without a broker URL: the pact URL alone, published to the pact's own link.
        let open = start(BrokerOptions::new()).await;
        let only = pact("HookWeb", "WebhookApi", vec![passing("hook-open")]);
        let only = open.publish_pact("HookWeb", "2", Some("main"), &[], only).unwrap();
        open.publish_pact("HookOther", "1", Some("main"), &[], pact("HookOther", "WebhookApi", vec![passing("x")]))
            .unwrap();
        let env = [
            ("PACT_URL", only.url.as_str()),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("GIT_COMMIT", "hook-provider-2"),
        ];
        let report = run(None, &env).await.expect("the run completes");
        assert_eq!(verified(&report), set(&["HookWeb hook-open"]));
        let records = open.verification_results();
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!((records[0].pact_version_sha.as_str(), records[0].success), (only.sha.as_str(), true));
    })
    .await;
}

// ==================================================================== a broker under a sub-path

// A broker behind a reverse proxy at `http://host/broker`: fetching, publishing and webhook
// mode all follow its links, which carry the prefix; the double answers 404 anywhere else.
// Bound: 20 s (three runs against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_publish_and_webhook_mode_work_with_a_broker_under_a_sub_path() {
    bounded(Duration::from_secs(20), async {
        let broker = start(BrokerOptions::new().with_path_prefix("/broker")).await;
        let url = broker.url();
        assert!(url.ends_with("/broker"), "{url}");
        let web = broker
            .publish_pact("SubWeb", "1", Some("main"), &[], pact("SubWeb", "SubPathApi", vec![passing("sub-web")]))
            .unwrap();
        let mobile = pact("SubMobile", "SubPathApi", vec![passing("sub-mobile-1"), passing("sub-mobile-2")]);
        let mobile = broker.publish_pact("SubMobile", "3", Some("main"), &[], mobile).unwrap();
        assert!(web.url.starts_with(&format!("{url}/pacts/")), "{}", web.url);
        // The prefix matters: the double's root is no broker.
        let root = url.trim_end_matches("/broker");
        let client = reqwest::Client::new();
        assert_eq!(client.get(format!("{root}/")).send().await.unwrap().status(), 404);
        let index: Value = client.get(format!("{url}/")).send().await.unwrap().json().await.unwrap();
        assert_eq!(index["_links"]["self"]["href"], url.as_str(), "{index}");

        // Fetch and publish, with the base URL as users write it, with or without a slash.
        for (base, version) in [(url.clone(), "sub-1"), (format!("{url}/"), "sub-2")] {
            let env = [
                ("PACT_BROKER_BASE_URL", base.as_str()),
                ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
                ("PACT_PROVIDER_VERSION", version),
                ("PACT_PROVIDER_BRANCH", "main"),
            ];
            let report = run(Some("SubPathApi"), &env).await.expect("the run completes");
            assert!(report.is_success(), "{report}");
            assert_eq!(verified(&report), set(&["SubWeb sub-web", "SubMobile sub-mobile-1", "SubMobile sub-mobile-2"]));
            assert_eq!(report.publications.len(), 2, "{:?}", report.publications);
        }
        let records = broker.verification_results();
        assert_eq!(records.len(), 4, "{records:?}");
        assert!(records.iter().all(|record| record.success && record.provider == "SubPathApi"), "{records:?}");
        let published: BTreeSet<(&str, &str)> =
            records.iter().map(|r| (r.pact_version_sha.as_str(), r.provider_version.as_str())).collect();
        let expected = [(&web.sha, "sub-1"), (&mobile.sha, "sub-1"), (&web.sha, "sub-2"), (&mobile.sha, "sub-2")];
        assert_eq!(published, expected.iter().map(|(sha, version)| (sha.as_str(), *version)).collect());

        // Webhook mode: the one pact URL under the prefix, its result published to its own link.
        let env = [
            ("PACT_URL", mobile.url.as_str()),
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("PACT_PROVIDER_VERSION", "sub-hook"),
        ];
        let report = run(None, &env).await.expect("the run completes");
        assert!(report.is_success(), "{report}");
        assert_eq!(verified(&report), set(&["SubMobile sub-mobile-1", "SubMobile sub-mobile-2"]));
        let records = broker.verification_results();
        let hook: Vec<_> = records.iter().filter(|record| record.provider_version == "sub-hook").collect();
        assert_eq!(hook.len(), 1, "{records:?}");
        assert_eq!((hook[0].pact_version_sha.as_str(), hook[0].success), (mobile.sha.as_str(), true));
        let requests = broker.requests();
        assert!(requests.iter().all(|request| request.status < 400), "{requests:?}");
    })
    .await;
}

// ==================================================================== authentication

/// AuthWeb's pact on a broker with `options`; verifies and publishes with `auth_env`, and checks
/// that every request (fetching and publishing) was authenticated.
async fn verify_with_auth(options: BrokerOptions, base_url: impl Fn(&str) -> String, auth_env: &[(&str, &str)]) {
    let broker = start(options).await;
    broker.publish_pact("AuthWeb", "1", Some("main"), &[], pact("AuthWeb", "AuthApi", vec![passing("auth")])).unwrap();
    let url = base_url(&broker.url());
    let mut env = vec![
        ("PACT_BROKER_BASE_URL", url.as_str()),
        ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
        ("PACT_PROVIDER_VERSION", "auth-1"),
        ("PACT_PROVIDER_BRANCH", "main"),
    ];
    env.extend_from_slice(auth_env);
    let report = run(Some("AuthApi"), &env).await.expect("the run completes");
    assert!(report.is_success(), "{report}");
    assert_eq!(verified(&report), set(&["AuthWeb auth"]));
    assert_eq!(report.publish_failures().count(), 0, "{report}");
    assert_eq!(broker.verification_results().len(), 1);
    assert_eq!(broker.verification_results()[0].provider_branches, vec!["main".to_string()]);
    let requests = broker.requests();
    assert!(requests.iter().any(|r| r.method == "PUT"), "branch recorded: {requests:?}");
    assert!(requests.iter().all(|r| r.status < 400), "{requests:?}");
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_from_username_and_password() {
    bounded(Duration::from_secs(20), async {
        let options = BrokerOptions::new().with_basic_auth("pact", "basic-s3cret");
        verify_with_auth(
            options,
            str::to_string,
            &[("PACT_BROKER_USERNAME", "pact"), ("PACT_BROKER_PASSWORD", "basic-s3cret")],
        )
        .await;
    })
    .await;
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_auth_from_the_token() {
    bounded(Duration::from_secs(20), async {
        let options = BrokerOptions::new().with_bearer_token("token-s3cret");
        verify_with_auth(options, str::to_string, &[("PACT_BROKER_TOKEN", "token-s3cret")]).await;
    })
    .await;
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_broker_url_are_used_for_every_request() {
    bounded(Duration::from_secs(20), async {
        // A password that needs percent-encoding in the URL.
        let options = BrokerOptions::new().with_basic_auth("pact", "url s3cret@1");
        let with_userinfo = |url: &str| url.replacen("http://", "http://pact:url%20s3cret%401@", 1);
        verify_with_auth(options, with_userinfo, &[]).await;
    })
    .await;
}

// Bound: 20 s (three failing runs against a local double, none retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_fail_naming_the_variable_but_not_the_secret() {
    bounded(Duration::from_secs(20), async {
        let broker =
            start(BrokerOptions::new().with_basic_auth("pact", "right").with_bearer_token("right-token")).await;
        broker.publish_pact("AuthWeb", "1", None, &[], pact("AuthWeb", "AuthApi", vec![passing("auth")])).unwrap();
        let url = broker.url();
        let userinfo = url.replacen("http://", "http://pact:wrong-url-s3cret@", 1);
        // (environment, where the credentials came from, the secret that must not show)
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: [Case; 3] = [
            (
                &[
                    ("PACT_BROKER_BASE_URL", url.as_str()),
                    ("PACT_BROKER_USERNAME", "pact"),
                    ("PACT_BROKER_PASSWORD", "wrong-basic-s3cret"),
                ],
                "PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD",
                "wrong-basic-s3cret",
            ),
            (
                &[("PACT_BROKER_BASE_URL", url.as_str()), ("PACT_BROKER_TOKEN", "wrong-token-s3cret")],
                "PACT_BROKER_TOKEN",
                "wrong-token-s3cret",
            ),
            // Names where the credentials were, not the variable (PACT_BROKER_BASE_URL or the
            // `broker_url` option): `BrokerAuth::source` is fixed when the URL is resolved.
            (&[("PACT_BROKER_BASE_URL", userinfo.as_str())], "the broker URL's userinfo", "wrong-url-s3cret"),
        ];
        for (env, variable, secret) in cases {
            broker.clear_requests();
            let error = run(Some("AuthApi"), env).await.expect_err("wrong credentials fail the run");
            let message = error.to_string();
            println!("{message}");
            assert!(matches!(error, RunError::Broker(_)), "{error:?}");
            assert_contains(&message, &["authentication failed", variable]);
            assert!(!message.contains(secret), "the secret leaked: {message}");
            assert!(!format!("{error:?}").contains(secret), "the secret leaked: {error:?}");
            // A rejected credential is not retried.
            assert_eq!(broker.requests().len(), 1, "{:?}", broker.requests());
        }
    })
    .await;
}

// ==================================================================== HTTPS

/// A CA certificate (PEM) and a server certificate for 127.0.0.1 and localhost signed by it
/// (chain PEM, key PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "broker test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
    (ca.pem(), format!("{}{}", server.pem(), ca.pem()), server_key.serialize_pem())
}

/// A file in the temp directory, removed on drop.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn tls_broker() -> (BrokerDouble, String) {
    let (ca_pem, chain_pem, key_pem) = certificates();
    let broker = start(BrokerOptions::new().with_tls(chain_pem, key_pem)).await;
    assert!(broker.url().starts_with("https://"));
    broker.publish_pact("TlsWeb", "1", Some("main"), &[], pact("TlsWeb", "TlsApi", vec![passing("tls")])).unwrap();
    (broker, ca_pem)
}

// Bound: 20 s (one run against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_broker_trusted_through_the_ca_bundle() {
    bounded(Duration::from_secs(20), async {
        let (broker, ca_pem) = tls_broker().await;
        let bundle = TempFile(std::env::temp_dir().join(format!("pact-broker-ca-{}.pem", uuid::Uuid::new_v4())));
        std::fs::write(&bundle.0, ca_pem).unwrap();
        let url = broker.url();
        let path = bundle.0.to_string_lossy().to_string();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_BROKER_CA_BUNDLE", path.as_str()),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("PACT_PROVIDER_VERSION", "tls-1"),
        ];
        let report = run(Some("TlsApi"), &env).await.expect("the run completes");
        assert!(report.is_success(), "{report}");
        assert_eq!(verified(&report), set(&["TlsWeb tls"]));
        // Publishing goes through the same trusting client.
        assert_eq!(report.publish_failures().count(), 0, "{report}");
        assert_eq!(broker.verification_results().len(), 1);
    })
    .await;
}

// Bound: 20 s (one failing run; a TLS failure is not retried, so it fails at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_broker_without_the_ca_bundle_is_a_clear_tls_error() {
    bounded(Duration::from_secs(20), async {
        let (broker, _) = tls_broker().await;
        let url = broker.url();
        let started = Instant::now();
        let error = run(Some("TlsApi"), &[("PACT_BROKER_BASE_URL", url.as_str())]).await.expect_err("untrusted");
        let elapsed = started.elapsed();
        let message = error.to_string();
        println!("{message}");
        assert!(matches!(error, RunError::Broker(_)), "{error:?}");
        assert_contains(&message, &["cannot reach the Pact Broker", &url]);
        let lower = message.to_lowercase();
        assert!(lower.contains("certificate"), "the error must say the certificate is not trusted: {message}");
        assert_contains(&message, &["UnknownIssuer", "PACT_BROKER_CA_BUNDLE", "(after 1 attempt(s))"]);
        assert!(!lower.contains("no pacts"), "{message}");
        // No HTTP request got through the handshake, and nothing was retried.
        assert!(broker.requests().is_empty(), "{:?}", broker.requests());
        assert!(elapsed < Duration::from_millis(1500), "an untrusted certificate was retried: {elapsed:?}");
    })
    .await;
}

// ==================================================================== retries

async fn retry_broker() -> BrokerDouble {
    let broker = start(BrokerOptions::new()).await;
    broker
        .publish_pact("RetryWeb", "1", Some("main"), &[], pact("RetryWeb", "RetryApi", vec![passing("retry")]))
        .unwrap();
    broker
}

// Bound: 10 s. Two 503s cost 250 + 500 ms of backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_503s_are_retried_and_the_run_succeeds() {
    bounded(Duration::from_secs(10), async {
        let broker = retry_broker().await;
        broker.set_fault(Fault::server_error(503).times(2));
        let url = broker.url();
        let started = Instant::now();
        let report = run(Some("RetryApi"), &[("PACT_BROKER_BASE_URL", url.as_str())]).await.expect("retried");
        let elapsed = started.elapsed();
        println!("succeeded after two 503s in {elapsed:?}");
        assert!(report.is_success(), "{report}");
        assert_eq!(verified(&report), set(&["RetryWeb retry"]));
        let statuses: Vec<(String, u16)> = broker.requests().iter().map(|r| (r.path.clone(), r.status)).collect();
        assert_eq!(statuses[..3], [("/".to_string(), 503), ("/".to_string(), 503), ("/".to_string(), 200)]);
        assert!(elapsed >= Duration::from_millis(750), "the backoff was skipped: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    })
    .await;
}

// Bound: 15 s. Four attempts cost 250 + 500 + 1000 ms of backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_always_answers_503_is_a_clear_error() {
    bounded(Duration::from_secs(15), async {
        let broker = retry_broker().await;
        broker.set_fault(Fault::server_error(503).always());
        let url = broker.url();
        let started = Instant::now();
        let error = run(Some("RetryApi"), &[("PACT_BROKER_BASE_URL", url.as_str())]).await.expect_err("503");
        let elapsed = started.elapsed();
        let message = error.to_string();
        println!("{message} ({elapsed:?})");
        assert!(matches!(error, RunError::Broker(_)), "{error:?}");
        assert_contains(&message, &["the Pact Broker answered 503 Service Unavailable", "after 4 attempts", &url]);
        assert_eq!(broker.requests().len(), 4, "{:?}", broker.requests());
        assert!(elapsed >= Duration::from_millis(1750), "the backoff was skipped: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    })
    .await;
}

// ==================================================================== malformed answers

/// The error of a run against a broker answering with `fault`; it must not claim "no pacts".
async fn malformed(fault: Fault) -> String {
    let broker = retry_broker().await;
    broker.set_fault(fault);
    let url = broker.url();
    let error = run(Some("RetryApi"), &[("PACT_BROKER_BASE_URL", url.as_str())]).await.expect_err("malformed");
    let message = error.to_string();
    println!("{message}");
    assert!(matches!(error, RunError::Broker(_)), "{error:?}");
    assert!(!message.to_lowercase().contains("no pacts"), "{message}");
    message
}

// Bound: 10 s (one failing run, nothing retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn for_verification_without_embedded_pacts_is_malformed_not_empty() {
    bounded(Duration::from_secs(10), async {
        let message = malformed(Fault::missing_embedded().on_path("/for-verification")).await;
        assert_contains(&message, &["pacts-for-verification answer for `RetryApi` is malformed", "_embedded.pacts"]);
    })
    .await;
}

// Bound: 10 s (two failing runs, nothing retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_without_href_are_malformed() {
    bounded(Duration::from_secs(10), async {
        let message = malformed(Fault::links_without_href().on_path("/for-verification")).await;
        assert_contains(&message, &["is malformed", "_links.self.href"]);
        let message = malformed(Fault::links_without_href().on_method("GET")).await;
        assert_contains(&message, &["no `pb:provider-pacts-for-verification` link"]);
    })
    .await;
}

// Bound: 10 s (one failing run, nothing retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_is_not_json_is_malformed() {
    bounded(Duration::from_secs(10), async {
        let message = malformed(Fault::invalid_json().on_path("/for-verification")).await;
        assert_contains(&message, &["answer to POST", "is not JSON", "{\"_links\""]);
    })
    .await;
}

// ==================================================================== rejected selectors

// Bound: 10 s (two failing runs, nothing retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectors_the_broker_rejects_show_its_message_and_name_the_variable() {
    bounded(Duration::from_secs(10), async {
        let broker = retry_broker().await;
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"matchingBranch": true}]"#),
        ];
        let error = run(Some("RetryApi"), &env).await.expect_err("rejected");
        let message = error.to_string();
        println!("{message}");
        assert!(matches!(error, RunError::Broker(_)), "{error:?}");
        assert_contains(
            &message,
            &[
                "400 Bad Request",
                "matchingBranch needs providerVersionBranch to be set in the request (at index 0)",
                "PACT_CONSUMER_VERSION_SELECTORS",
            ],
        );
        assert_eq!(broker.requests().iter().filter(|r| r.status == 400).count(), 1, "not retried");

        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true, "deployed": true}]"#),
        ];
        let message = run(Some("RetryApi"), &env).await.expect_err("rejected").to_string();
        assert_contains(
            &message,
            &["mainBranch can only be combined with consumer", "PACT_CONSUMER_VERSION_SELECTORS"],
        );
    })
    .await;
}
