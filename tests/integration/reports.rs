//! The reports of a `#[pact_provider_test]` run: the console report (a line per interaction,
//! mismatch details with a body diff, counts and a rerun filter, colour only on request), and
//! the JUnit XML and JSON files, checked by parsing them.
//!
//! The app is `pact_tests::users`, broken so that the two "user exists" interactions of
//! tests/fixtures/harness/ fail with a body mismatch.

use std::path::{Path, PathBuf};

use pact_runtime::__private::run_provider_test;
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::report::json::JsonReport;
use pact_runtime::{provider_state, verify_provider, Settings, VerificationReport};
use pact_tests::users::{add_user, app, remove_user, PACTS};
use serde_json::Value;

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    add_user(id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    remove_user(id);
}

/// Verifies the fixture pacts against the (`broken`) app.
async fn verify(broken: bool) -> VerificationReport {
    let settings = Settings::builder().pacts(PACTS).provider("UserService").build().unwrap();
    verify_provider(&settings, move || async move { app(broken) }).await.expect("the run completes")
}

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pact-reports-{label}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn parse_json(path: &Path) -> (JsonReport, Value) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    (serde_json::from_str(&text).unwrap(), serde_json::from_str(&text).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_report_has_a_line_per_interaction_the_mismatches_and_a_rerun_filter() {
    let report = verify(true).await;
    let text = report.to_string();
    println!("{text}");
    for fragment in [
        "Verifying provider `UserService`",
        "  AdminConsole → UserService (",
        "    ✓ passed  a health check [no provider state] (",
        "    ✗ FAILED  a request for user 7 [`user 7 exists`] (",
        "        - BodyMismatch: $.name -> Expected 42 (Integer) to be the same type as 'Verna Hampton' (String)\n          expected: \"Verna Hampton\"\n          actual:   42\n",
        "        body diff (- expected, + actual):\n",
        "          -   \"name\": \"Verna Hampton\"\n          +   \"name\": 42\n",
        "  UserServiceClient → UserService (",
        "    ✗ FAILED  a request for user 123 [`user 123 exists`] (",
        "    ✓ passed  a request for user 123 [`user 123 doesn't exist`] (",
        "\n2 passed, 2 failed in ",
        "rerun only the failures: PACT_DESCRIPTION='^(?:a request for user 123|a request for user 7)$' PACT_PROVIDER_STATE='^(?:user 123 exists|user 7 exists)$' cargo test\n",
    ] {
        assert!(text.contains(fragment), "`{fragment}` is not in:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "the plain report has no colour");
    assert!(report.failure_summary().contains("rerun only the failures: PACT_DESCRIPTION="));

    let coloured = format!("{report:#}");
    assert!(coloured.contains("\u{1b}[32m✓ passed\u{1b}[0m"), "{coloured}");
    assert!(coloured.contains("\u{1b}[31m-   \"name\": \"Verna Hampton\"\u{1b}[0m"), "{coloured}");
    // Colour only on a terminal (CI's stdout is not one), and never with NO_COLOR.
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()) {
        assert_eq!(report.console(), text);
    }

    let passing = verify(false).await;
    assert!(passing.is_success(), "{passing}");
    assert!(!passing.to_string().contains("rerun"), "{passing}");
    assert_eq!(passing.results.len(), 4, "the report lists every interaction:\n{passing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_junit_report_has_a_testcase_per_interaction() {
    let mut report = verify(true).await;
    let xml = report.to_junit_xml("reports::junit");
    let document = roxmltree::Document::parse(&xml).unwrap_or_else(|err| panic!("{err}\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attribute = |node: roxmltree::Node, name: &str| node.attribute(name).unwrap_or_default().to_string();
    assert_eq!(
        ["name", "tests", "failures", "errors", "skipped"].map(|name| attribute(root, name)),
        ["reports::junit", "4", "2", "0", "0"]
    );
    let suites: Vec<roxmltree::Node> = root.children().filter(|node| node.has_tag_name("testsuite")).collect();
    assert_eq!(
        suites
            .iter()
            .map(|suite| (attribute(*suite, "name"), attribute(*suite, "tests"), attribute(*suite, "failures")))
            .collect::<Vec<_>>(),
        [
            ("AdminConsole → UserService".to_string(), "2".to_string(), "1".to_string()),
            ("UserServiceClient → UserService".to_string(), "2".to_string(), "1".to_string()),
        ]
    );
    let cases: Vec<roxmltree::Node> = root.descendants().filter(|node| node.has_tag_name("testcase")).collect();
    assert_eq!(
        cases.iter().map(|case| (attribute(*case, "classname"), attribute(*case, "name"))).collect::<Vec<_>>(),
        [
            ("AdminConsole".to_string(), "a health check".to_string()),
            ("AdminConsole".to_string(), "a request for user 7 [user 7 exists]".to_string()),
            ("UserServiceClient".to_string(), "a request for user 123 [user 123 exists]".to_string()),
            ("UserServiceClient".to_string(), "a request for user 123 [user 123 doesn't exist]".to_string()),
        ]
    );
    for node in cases.iter().chain(&suites).chain([&root]) {
        let time: f64 = attribute(*node, "time").parse().unwrap_or_else(|_| panic!("no time on {node:?}"));
        assert!(time >= 0.0);
    }
    let failure = cases[1].children().find(|node| node.has_tag_name("failure")).expect("a failure element");
    assert_eq!(attribute(failure, "type"), "BodyMismatch");
    assert_eq!(
        attribute(failure, "message"),
        "BodyMismatch: $.name -> Expected 42 (Integer) to be the same type as 'Verna Hampton' (String)"
    );
    let body = failure.text().unwrap_or_default();
    assert!(body.contains("expected: \"Verna Hampton\"") && body.contains("+   \"name\": 42"), "{body}");
    assert!(cases[0].children().all(|node| !node.is_element()), "a passing testcase is empty");

    // A pending interaction's failure is skipped, with the details in its output.
    report.results[1].pending = true;
    let xml = report.to_junit_xml("reports::junit");
    let document = roxmltree::Document::parse(&xml).unwrap();
    let root = document.root_element();
    assert_eq!(["tests", "failures", "skipped"].map(|name| attribute(root, name)), ["4", "1", "1"]);
    let case = root.descendants().filter(|node| node.has_tag_name("testcase")).nth(1).unwrap();
    let skipped = case.children().find(|node| node.has_tag_name("skipped")).expect("a skipped element");
    assert!(attribute(skipped, "message").starts_with("pending interaction failed: BodyMismatch"));
    assert!(case.children().all(|node| !node.has_tag_name("failure")));
    let output = case.children().find(|node| node.has_tag_name("system-out")).and_then(|node| node.text()).unwrap();
    assert!(output.contains("body diff"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_report_follows_its_schema() {
    let mut report = verify(true).await;
    report.results[1].pending = true;
    // V4 comments, as a V4 pact's interaction carries them, go into every rendering.
    report.results[0].comments = vec!["comment one".into()];
    report.results[0].test_name = Some("health_check_test".into());
    assert!(report.to_string().contains("# comment one\n        # original test name: health_check_test"), "{report}");
    let junit = report.to_junit_xml("reports::json");
    assert!(junit.contains("comment: comment one\noriginal test name: health_check_test"), "{junit}");
    let value = serde_json::to_value(report.to_json("reports::json")).unwrap();
    assert_eq!(value["interactions"][0]["comments"], serde_json::json!(["comment one"]));
    assert_eq!(value["interactions"][0]["test_name"], "health_check_test");
    assert_eq!(value["schema"], "pact-runtime/verification-report/v1");
    assert_eq!((value["name"].as_str(), value["provider"].as_str()), (Some("reports::json"), Some("UserService")));
    assert_eq!(value["success"], false);
    assert_eq!(value["error"], Value::Null);
    assert_eq!(
        value["summary"],
        serde_json::json!({ "total": 4, "passed": 2, "failed": 1, "pending_failed": 1, "skipped": 0, "shared": 0 })
    );
    // Nothing was skipped (fail_fast) or shared between pacts (dedupe_interactions).
    assert_eq!((value["skipped"].as_array().map(Vec::len), value["shared_saved_ms"].as_f64()), (Some(0), Some(0.0)));
    assert!(value["interactions"].as_array().unwrap().iter().all(|i| i["shared_from"].is_null()));
    let interactions = value["interactions"].as_array().unwrap();
    let results: Vec<(&str, &str, &str)> = interactions
        .iter()
        .map(|i| (i["consumer"].as_str().unwrap(), i["description"].as_str().unwrap(), i["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        results,
        [
            ("AdminConsole", "a health check", "passed"),
            ("AdminConsole", "a request for user 7", "pending-failed"),
            ("UserServiceClient", "a request for user 123", "failed"),
            ("UserServiceClient", "a request for user 123", "passed"),
        ]
    );
    let failed = &interactions[2];
    assert_eq!(failed["states"], serde_json::json!(["user 123 exists"]));
    assert_eq!((failed["pending"].as_bool(), failed["wip"].as_bool()), (Some(false), Some(false)));
    assert!(failed["id"].is_null());
    // Two interactions with one description: told apart by their key and their index.
    let identity = |i: &Value| (i["index"].as_u64().unwrap(), i["key"].as_str().unwrap().to_string());
    let (first, second) = (identity(&interactions[2]), identity(&interactions[3]));
    assert_eq!((first.0, second.0), (0, 1));
    assert!(first.1.len() == 16 && second.1.len() == 16 && first.1 != second.1, "{first:?} {second:?}");
    assert_eq!(first.1, report.results[2].interaction_key);
    assert!(failed["duration_ms"].as_f64().unwrap() > 0.0);
    assert!(failed["pact_source"].as_str().unwrap().ends_with("UserServiceClient-UserService.json"));
    let mismatch = &failed["mismatches"][0];
    assert_eq!(
        (
            mismatch["kind"].as_str(),
            mismatch["path"].as_str(),
            mismatch["expected"].as_str(),
            mismatch["actual"].as_str()
        ),
        (Some("BodyMismatch"), Some("$.name"), Some("\"Verna Hampton\""), Some("42"))
    );
    assert!(failed["body"]["expected"].as_str().unwrap().contains("Verna Hampton"));
    assert!(failed["body"]["actual"].as_str().unwrap().contains("42"));
    assert_eq!(interactions[0]["mismatches"], serde_json::json!([]));
    assert!(interactions[0]["body"].is_null());
    assert!(value["duration_ms"].as_f64().unwrap() > 0.0);
}

/// Each spec's report options point into `dir`; returns the JUnit and JSON paths.
fn spec_with_reports(dir: &Path, name: &'static str) -> (ProviderTestSpec, PathBuf, PathBuf) {
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let options: &'static [(&'static str, &'static str)] = Box::leak(
        vec![
            ("provider", "UserService"),
            ("pacts", "fixtures/harness"),
            ("junit_report", &*Box::leak(junit.to_string_lossy().into_owned().into_boxed_str())),
            ("json_report", &*Box::leak(json.to_string_lossy().into_owned().into_boxed_str())),
        ]
        .into_boxed_slice(),
    );
    (ProviderTestSpec { test_name: name, manifest_dir: env!("CARGO_MANIFEST_DIR"), options }, junit, json)
}

#[test]
fn a_provider_test_writes_the_report_files_its_options_name() {
    // Passing.
    let dir = temp_dir("files");
    let (spec, junit, json) = spec_with_reports(&dir, "reports::passing");
    run_provider_test(spec, || async { app(false) });
    let (report, _) = parse_json(&json);
    assert!(report.success);
    assert_eq!(report.interactions.len(), 4);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(document.root_element().attribute("tests"), Some("4"));
    assert_eq!(document.root_element().attribute("failures"), Some("0"));

    // Failing: the test fails, and the files say why.
    let dir = temp_dir("files-failing");
    let (spec, junit, json) = spec_with_reports(&dir, "reports::failing");
    let outcome = std::panic::catch_unwind(|| run_provider_test(spec, || async { app(true) }));
    assert!(outcome.is_err(), "a failing verification fails the test");
    let (report, _) = parse_json(&json);
    assert_eq!((report.success, report.summary.failed), (false, 2));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(document.descendants().filter(|node| node.has_tag_name("failure")).count(), 2);

    // A run that cannot verify anything: one errored testcase, and the error in the JSON.
    let dir = temp_dir("files-error");
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let options: &'static [(&'static str, &'static str)] = Box::leak(
        vec![
            ("provider", "UserService"),
            ("pacts", "fixtures/no-such-directory"),
            ("junit_report", &*Box::leak(junit.to_string_lossy().into_owned().into_boxed_str())),
            ("json_report", &*Box::leak(json.to_string_lossy().into_owned().into_boxed_str())),
        ]
        .into_boxed_slice(),
    );
    let spec = ProviderTestSpec { test_name: "reports::error", manifest_dir: env!("CARGO_MANIFEST_DIR"), options };
    assert!(std::panic::catch_unwind(|| run_provider_test(spec, || async { app(false) })).is_err());
    let (report, _) = parse_json(&json);
    assert!(!report.success);
    assert!(report.error.as_deref().unwrap_or_default().contains("no-such-directory"), "{report:?}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    let error = document.descendants().find(|node| node.has_tag_name("error")).expect("an error element");
    assert!(error.attribute("message").unwrap_or_default().contains("no-such-directory"));
}

#[test]
fn a_report_directory_gets_a_file_named_after_the_test() {
    let dir = temp_dir("directory");
    let reports = format!("{}/", dir.join("reports").display());
    let options: &'static [(&'static str, &'static str)] = Box::leak(
        vec![
            ("provider", "UserService"),
            ("pacts", "fixtures/harness"),
            ("json_report", &*Box::leak(reports.into_boxed_str())),
        ]
        .into_boxed_slice(),
    );
    let spec =
        ProviderTestSpec { test_name: "reports::in_a_directory", manifest_dir: env!("CARGO_MANIFEST_DIR"), options };
    run_provider_test(spec, || async { app(false) });
    let (report, _) = parse_json(&dir.join("reports/reports__in_a_directory.json"));
    assert_eq!(report.name, "reports::in_a_directory");
}

#[test]
fn report_paths_come_from_the_options_or_the_environment() {
    let spec = ProviderTestSpec {
        test_name: "t",
        manifest_dir: "/crate",
        options: &[("junit_report", "target/junit.xml"), ("json_report", "target/report.json")],
    };
    let settings = Settings::resolve_with(&spec, |_| None).unwrap();
    assert_eq!(settings.junit_report(), Some(Path::new("/crate/target/junit.xml")));
    assert_eq!(settings.json_report(), Some(Path::new("/crate/target/report.json")));
    let settings = Settings::resolve_with(&spec, |name| match name {
        "PACT_VERIFIER_JUNIT_REPORT" => Some("ci/junit.xml".to_string()),
        "PACT_VERIFIER_JSON_REPORT" => Some("ci/report.json".to_string()),
        _ => None,
    })
    .unwrap();
    assert_eq!(settings.junit_report(), Some(Path::new("ci/junit.xml")));
    assert_eq!(settings.json_report(), Some(Path::new("ci/report.json")));
}

/// `verify_provider` with `json_report` and `junit_report` in its settings wrote nothing and
/// said nothing. It writes them, a directory getting a file named after the provider, and a
/// report it cannot write is a warning of the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_provider_writes_the_report_files_its_settings_name() {
    let dir = temp_dir("verify-provider");
    let json = dir.join("report.json");
    let settings = Settings::builder()
        .pacts(PACTS)
        .provider("UserService")
        .json_report(&json)
        .junit_report(dir.join("junit/"))
        .build()
        .unwrap();
    let report = verify_provider(&settings, || async { app(false) }).await.expect("the run completes");
    assert!(report.is_success(), "{report}");
    let (written, _) = parse_json(&json);
    assert_eq!(written.interactions.len(), report.results.len());
    let xml = std::fs::read_to_string(dir.join("junit").join("UserService.xml")).unwrap();
    assert!(xml.contains("<testsuites"), "{xml}");

    // A directory where the JSON file should be: the run still reports, with a warning.
    let blocked = dir.join("blocked.json");
    let settings = Settings::builder().pacts(PACTS).provider("UserService").json_report(&blocked).build().unwrap();
    std::fs::create_dir_all(blocked.join("UserService.json")).unwrap();
    let report = verify_provider(&settings, || async { app(false) }).await.expect("the run completes");
    let warning = report.warnings.iter().find(|warning| warning.contains("cannot write the JSON report"));
    assert!(warning.is_some(), "{:?}", report.warnings);
    let _ = std::fs::remove_dir_all(&dir);
}
