//! A gRPC pact (written through the Pact protobuf plugin) verified without pact-runtime's
//! `plugins` feature, as an HTTP-only provider crate builds it: each plugin interaction fails on
//! its own, naming the plugin and the feature that would verify it.

use pact_runtime::{verify_provider, Settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_interactions_fail_naming_the_plugin_and_the_feature() {
    let settings = Settings::builder().pacts("pacts-grpc").provider("UserService").build().expect("valid settings");
    let report = verify_provider(&settings, || async { axum::Router::new() }).await.expect("the run starts");
    assert_eq!(report.results.len(), 2);
    for result in &report.results {
        let failures: Vec<String> = result.failures.iter().map(ToString::to_string).collect();
        assert_eq!(
            failures,
            [format!(
                "not verified: interaction `{}` needs the `protobuf` plugin over the `grpc` transport: enable the `plugins` feature of pact-runtime to verify it through the plugin (`pact-runtime = {{ version = \"0.1\", features = [\"plugins\"] }}`)",
                result.description
            )]
        );
    }
}
