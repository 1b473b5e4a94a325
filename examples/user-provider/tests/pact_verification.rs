//! Verifies the user service against its consumer's pact, offline.

use std::sync::LazyLock;

use pact_runtime::{pact_provider_test, provider_state};
use user_provider::{app, verna_hampton, UserStore};

/// The store the app under test reads and the states change.
static STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    STORE.insert(verna_hampton(id));
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    STORE.remove(id);
}

#[pact_provider_test(provider = "UserService", pacts = "pacts")]
async fn user_service_honours_its_pacts() -> axum::Router {
    app(STORE.clone())
}

/// The seed's broker path: basic auth in the broker URL, `publish_version = "0.0.0"`, results
/// published. Here against the Pact Broker double, so it runs offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_service_verifies_and_publishes_against_a_broker() {
    use pact_broker_double::{BrokerDouble, BrokerOptions};
    use pact_runtime::config::ProviderTestSpec;
    use pact_runtime::{verify_provider, Settings};

    let broker = BrokerDouble::start(BrokerOptions::new().with_basic_auth("pactbroker", "s3cret")).await.unwrap();
    let pact_path = concat!(env!("CARGO_MANIFEST_DIR"), "/pacts/UserServiceClient-UserService.json");
    let pact = serde_json::from_str(&std::fs::read_to_string(pact_path).unwrap()).unwrap();
    broker.publish_pact("UserServiceClient", "1.0.0", Some("main"), &[], pact).unwrap();

    // Credentials ride in the URL's userinfo only: they are not passed a second time.
    let broker_url = broker.url().replace("http://", "http://pactbroker:s3cret@");
    let spec = ProviderTestSpec {
        test_name: "user_service_verifies_and_publishes_against_a_broker",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("provider", "UserService"), ("publish", "true"), ("provider_version", "0.0.0")],
    };
    let settings =
        Settings::resolve_with(&spec, |name| (name == "PACT_BROKER_BASE_URL").then(|| broker_url.clone())).unwrap();

    let report = verify_provider(&settings, || async { app(STORE.clone()) }).await.unwrap();
    println!("{report}");
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(report.results.len(), 2);

    let results = broker.verification_results();
    assert_eq!(results.len(), 1, "one result for the one pact");
    assert!(results[0].success);
    assert_eq!(results[0].provider_version, "0.0.0");
    assert!(!report.to_string().contains("s3cret"), "the password must not be printed");
}
