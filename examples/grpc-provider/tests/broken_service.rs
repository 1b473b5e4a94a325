//! The deliberately broken service (`broken_app`) fails its gRPC pact, and the report says why
//! in the protobuf plugin's own words: the field path, what was expected, what came back (for a
//! metadata mismatch the plugin gives no path or values, only its message).

use std::sync::LazyLock;

use grpc_provider::{broken_app, UserStore};
use pact_runtime::{provider_state, verify_provider, Failure, Settings};

static STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    grpc_provider::user_exists(&STORE, id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    grpc_provider::user_does_not_exist(&STORE, id);
}

/// A mismatch as the report has it: the plugin's description, and the path, expected and actual
/// values where it gives them.
type Mismatch = (String, Option<String>, Option<String>, Option<String>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broken_service_fails_with_the_plugins_mismatches() {
    let pacts = concat!(env!("CARGO_MANIFEST_DIR"), "/pacts/UserWebApp-UserService.json");
    let settings = Settings::builder().pacts(pacts).provider("UserService").build().expect("valid settings");
    let report = verify_provider(&settings, || async { broken_app(STORE.clone()) }).await.expect("the run starts");
    println!("{report}");
    let mismatches: Vec<Mismatch> = report
        .results
        .iter()
        .flat_map(|result| &result.failures)
        .map(|failure| match failure {
            Failure::Mismatch { path, description, expected, actual, .. } => {
                (description.clone(), path.clone(), expected.clone(), actual.clone())
            }
            other => panic!("only mismatches, not {other}"),
        })
        .collect();
    assert_eq!(
        mismatches,
        [
            (
                "Expected 'Ada Lovelace' to match '^[^@\\s]+@[^@\\s]+$'".to_string(),
                Some("$.email".to_string()),
                Some("ada@example.com".to_string()),
                Some("Ada Lovelace".to_string())
            ),
            (
                "Comparison of metadata key 'grpc-status' failed: expected NOT_FOUND but received PERMISSION_DENIED"
                    .to_string(),
                None,
                None,
                None
            ),
        ]
    );
    assert_eq!(report.counts(), "0 passed, 2 failed");
}

/// Plugin 0.7.1 compares a matcher on `grpc-status` (`NOT_FOUND`) with the numeric code it puts
/// in the received metadata (`5`), so a pact with one fails against every real server: the
/// consumer's pact gives the status as a plain value.
#[test]
fn the_pact_has_no_matcher_on_grpc_status() {
    let pact = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pacts/UserWebApp-UserService.json"))
        .expect("the pact");
    let pact: serde_json::Value = serde_json::from_str(&pact).expect("JSON");
    for interaction in pact["interactions"].as_array().expect("interactions") {
        for response in interaction["response"].as_array().into_iter().flatten() {
            assert!(response.pointer("/matchingRules/metadata/grpc-status").is_none(), "{response}");
        }
    }
}
