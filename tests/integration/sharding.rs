//! `PACT_SHARD=k/n` against the broker double: the shards of a CI matrix verify every pact
//! exactly once, whole, and each publishes the results of its own pacts; filters narrow what
//! the shards share out; a shard with nothing to do passes with a note.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use pact_broker_double::{BrokerDouble, BrokerOptions};
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{provider_state, verify_provider, Settings, VerificationReport};
use pact_tests::things::{self, passing};
use serde_json::Value;

#[provider_state("thing {marker} exists", provider = "ShardedApi")]
fn thing_exists(marker: String) {
    things::add(marker);
}

/// Five consumers with 5, 4, 3, 2 and 1 interactions.
const CONSUMERS: [(&str, usize); 5] = [("Alpha", 5), ("Bravo", 4), ("Charlie", 3), ("Delta", 2), ("Echo", 1)];

fn pact(consumer: &str, count: usize) -> Value {
    let interactions = (0..count).map(|n| passing(&format!("{consumer}-{n}"))).collect();
    things::pact(consumer, "ShardedApi", interactions)
}

/// A broker double holding the five consumers' pacts; answers it and each pact's sha by consumer.
async fn broker() -> (BrokerDouble, BTreeMap<String, String>) {
    pact_runtime::install_crypto_provider();
    let broker = BrokerDouble::start(BrokerOptions::new()).await.expect("the broker double starts");
    let mut shas = BTreeMap::new();
    for (consumer, count) in CONSUMERS {
        let published = broker.publish_pact(consumer, "1", Some("main"), &[], pact(consumer, count)).unwrap();
        shas.insert(consumer.to_string(), published.sha);
    }
    (broker, shas)
}

fn settings(env: &[(&str, &str)]) -> Settings {
    let spec = ProviderTestSpec {
        test_name: "sharding",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("provider", "ShardedApi"), ("request_timeout_ms", "5000")],
    };
    let env: HashMap<String, String> = env.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    Settings::resolve_with(&spec, move |name| env.get(name).cloned()).expect("the settings resolve")
}

async fn run_shard(env: &[(&str, &str)]) -> VerificationReport {
    let report = verify_provider(&settings(env), || async { things::app() }).await.expect("the shard runs");
    println!("{report}");
    report
}

/// Consumer → interactions verified, for one report.
fn verified(report: &VerificationReport) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for result in &report.results {
        *counts.entry(result.consumer.clone()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_verify_and_publish_every_pact_exactly_once() {
    let body = async {
        let (broker, shas) = broker().await;
        let url = broker.url();
        let mut verified_by: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for index in 1..=3u32 {
            let shard = format!("{index}/3");
            let report = run_shard(&[
                ("PACT_BROKER_BASE_URL", url.as_str()),
                ("PACT_SHARD", shard.as_str()),
                ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
                ("GIT_COMMIT", "abc123"),
            ])
            .await;
            assert!(report.is_success(), "{}", report.failure_summary());
            assert_eq!(report.publish_failures().count(), 0, "{report}");
            let counts = verified(&report);
            assert!(!counts.is_empty(), "shard {shard} verified nothing");
            for (consumer, count) in counts {
                let whole = CONSUMERS.iter().find(|(name, _)| *name == consumer).map(|(_, n)| *n);
                assert_eq!(Some(count), whole, "shard {shard} verified part of {consumer}'s pact");
                verified_by.entry(consumer).or_default().push(index);
            }
            // Balanced by interaction count: 15 interactions, 5 per shard.
            assert_eq!(report.results.len(), 5, "shard {shard}: {report}");
            assert_eq!(
                report.publications.len(),
                report.results.iter().map(|r| &r.pact_source).collect::<BTreeSet<_>>().len()
            );
        }
        let expected: BTreeSet<String> = CONSUMERS.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(verified_by.keys().cloned().collect::<BTreeSet<_>>(), expected);
        for (consumer, shards) in &verified_by {
            assert_eq!(shards.len(), 1, "{consumer}'s pact was verified by shards {shards:?}");
        }
        let records = broker.verification_results();
        assert_eq!(records.len(), CONSUMERS.len(), "one published result per pact: {records:?}");
        let published: BTreeMap<String, String> =
            records.iter().map(|record| (record.consumer.clone(), record.pact_version_sha.clone())).collect();
        assert_eq!(published, shas, "every pact's result published once");
        assert!(records.iter().all(|record| record.success));
        broker.shutdown().await;
    };
    tokio::time::timeout(Duration::from_secs(60), body).await.expect("the shards finish within 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_narrows_what_the_shards_share_and_an_empty_shard_passes_with_a_note() {
    let body = async {
        let (broker, _) = broker().await;
        let url = broker.url();
        // Two consumers for three shards: one shard has nothing to verify.
        let mut seen = BTreeMap::new();
        let mut empty = 0;
        for index in 1..=3u32 {
            let shard = format!("{index}/3");
            let report = run_shard(&[
                ("PACT_BROKER_BASE_URL", url.as_str()),
                ("PACT_SHARD", shard.as_str()),
                ("PACT_CONSUMER", "Charlie,Echo"),
            ])
            .await;
            assert!(report.is_success(), "{}", report.failure_summary());
            if report.results.is_empty() {
                empty += 1;
                let warnings = report.warnings.join("\n");
                assert!(warnings.contains(&format!("shard {shard} has nothing to verify")), "{warnings}");
            }
            for (consumer, count) in verified(&report) {
                assert!(seen.insert(consumer.clone(), count).is_none(), "{consumer} verified twice");
            }
        }
        assert_eq!(empty, 1);
        assert_eq!(seen, BTreeMap::from([("Charlie".to_string(), 3), ("Echo".to_string(), 1)]));
        assert!(broker.verification_results().is_empty(), "a filtered run never publishes");
        broker.shutdown().await;
    };
    tokio::time::timeout(Duration::from_secs(60), body).await.expect("the shards finish within 60 s");
}

#[test]
fn a_bad_shard_is_a_configuration_error_naming_the_variable() {
    let spec = ProviderTestSpec { test_name: "sharding", manifest_dir: env!("CARGO_MANIFEST_DIR"), options: &[] };
    for value in ["0/3", "4/3", "x"] {
        let error = Settings::resolve_with(&spec, |name| (name == "PACT_SHARD").then(|| value.to_string()))
            .expect_err("a bad shard is refused");
        assert!(
            error.0.contains(&format!("PACT_SHARD must be `k/n` with 1 <= k <= n, such as `2/3`, got `{value}`")),
            "{error}"
        );
    }
}
