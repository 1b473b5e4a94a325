//! Interaction filters (`filter_description`/`PACT_DESCRIPTION`, `filter_state`/
//! `PACT_PROVIDER_STATE`, `filter_no_state`/`PACT_PROVIDER_NO_STATE`,
//! `filter_consumer`/`PACT_CONSUMER`): a filtered run verifies exactly the matching
//! interactions. (That a filtered run never publishes is in broker_verification.rs for the
//! plain test and harness_cli.rs for the harness.)

use std::collections::BTreeSet;

use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{provider_state, verify_provider, RunError, Settings};
use pact_tests::users::{add_user, app, remove_user};

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    add_user(id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    remove_user(id);
}

const SPEC: ProviderTestSpec = ProviderTestSpec {
    test_name: "filters",
    manifest_dir: env!("CARGO_MANIFEST_DIR"),
    options: &[("provider", "UserService"), ("pacts", "fixtures/harness")],
};

/// `consumer › description [states]` of every interaction a run with `env` verified.
async fn verified(env: &'static [(&'static str, &'static str)]) -> Result<BTreeSet<String>, RunError> {
    let settings =
        Settings::resolve_with(&SPEC, |name| env.iter().find(|(key, _)| *key == name).map(|(_, v)| v.to_string()))
            .expect("the settings resolve");
    let report = verify_provider(&settings, || async { app(false) }).await?;
    assert!(report.is_success(), "{report}");
    Ok(report
        .results
        .iter()
        .map(|result| format!("{} › {} [{}]", result.consumer, result.description, result.states.join(", ")))
        .collect())
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| item.to_string()).collect()
}

const HEALTH: &str = "AdminConsole › a health check []";
const USER_7: &str = "AdminConsole › a request for user 7 [user 7 exists]";
const USER_EXISTS: &str = "UserServiceClient › a request for user 123 [user 123 exists]";
const USER_MISSING: &str = "UserServiceClient › a request for user 123 [user 123 doesn't exist]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_run_verifies_only_the_matching_interactions() {
    assert_eq!(verified(&[]).await.unwrap(), set(&[HEALTH, USER_7, USER_EXISTS, USER_MISSING]));
    assert_eq!(verified(&[("PACT_DESCRIPTION", "user 123$")]).await.unwrap(), set(&[USER_EXISTS, USER_MISSING]));
    assert_eq!(verified(&[("PACT_PROVIDER_STATE", "exists$")]).await.unwrap(), set(&[USER_7, USER_EXISTS]));
    assert_eq!(verified(&[("PACT_PROVIDER_NO_STATE", "true")]).await.unwrap(), set(&[HEALTH]));
    assert_eq!(verified(&[("PACT_CONSUMER", "AdminConsole")]).await.unwrap(), set(&[HEALTH, USER_7]));
    assert_eq!(
        verified(&[("PACT_CONSUMER", "UserServiceClient, AdminConsole"), ("PACT_PROVIDER_STATE", "^user 1")])
            .await
            .unwrap(),
        set(&[USER_EXISTS, USER_MISSING])
    );
    assert_eq!(
        verified(&[("PACT_DESCRIPTION", "^a request"), ("PACT_PROVIDER_STATE", "doesn't")]).await.unwrap(),
        set(&[USER_MISSING])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribute_filters_work_like_the_variables_and_the_variables_win() {
    let spec = ProviderTestSpec {
        options: &[
            ("provider", "UserService"),
            ("pacts", "fixtures/harness"),
            ("filter_consumer", "AdminConsole"),
            ("filter_description", "health"),
        ],
        ..SPEC
    };
    let settings = Settings::resolve_with(&spec, |_| None).unwrap();
    let report = verify_provider(&settings, || async { app(false) }).await.unwrap();
    assert_eq!(report.results.len(), 1, "{report}");
    assert_eq!(report.results[0].description, "a health check");

    let settings =
        Settings::resolve_with(&spec, |name| (name == "PACT_DESCRIPTION").then(|| "user 7".to_string())).unwrap();
    let report = verify_provider(&settings, || async { app(false) }).await.unwrap();
    assert_eq!(report.results.iter().map(|r| r.description.as_str()).collect::<Vec<_>>(), ["a request for user 7"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_that_matches_nothing_is_an_error_naming_it() {
    let error = verified(&[("PACT_DESCRIPTION", "no such interaction")]).await.unwrap_err();
    assert!(
        matches!(&error, RunError::NoPacts(message) if message.contains("no interaction matches the filter (description ~ /no such interaction/)")),
        "{error}"
    );
}
