//! The per-interaction harness (`pact_runtime::harness`) as `cargo test` and `cargo nextest`
//! drive it: the `harness-fixture` binary (tests/support/bin/harness-fixture.rs) run with
//! libtest's command-line arguments, one process per scenario.
//!
//! The fixture verifies `pact_tests::users` against tests/fixtures/harness/: `AdminConsole`
//! (`a health check`, `a request for user 7`) and `UserServiceClient` (`a request for user 123`
//! twice, told apart by their states).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use pact_broker_double::{BrokerDouble, BrokerOptions};
use pact_runtime::report::json::JsonReport;

const FIXTURE: &str = env!("CARGO_BIN_EXE_harness-fixture");

const HEALTH: &str = "AdminConsole › a health check";
const USER_7: &str = "AdminConsole › a request for user 7";
const USER_EXISTS: &str = "UserServiceClient › a request for user 123 [user 123 exists]";
const USER_MISSING: &str = "UserServiceClient › a request for user 123 [user 123 doesn't exist]";

/// Runs the fixture with `args` and `env`, and nothing of pact-runtime's configuration from
/// this process's environment.
fn fixture(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(FIXTURE);
    for (name, _) in std::env::vars() {
        if (name.starts_with("PACT_") && name != "PACT_DO_NOT_TRACK")
            || name.starts_with("GIT_")
            || name == "FIXTURE_BROKEN"
        {
            command.env_remove(name);
        }
    }
    command.env("PACT_DO_NOT_TRACK", "true").args(args).envs(env.iter().copied());
    command.output().expect("the harness fixture runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn describe(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The names `--list` prints, in order.
fn listed(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{}", describe(output));
    stdout(output).lines().filter_map(|line| line.strip_suffix(": test")).map(str::to_string).collect()
}

/// The `test NAME ... outcome` lines of a run, as (name, outcome).
fn outcomes(output: &Output) -> Vec<(String, String)> {
    stdout(output)
        .lines()
        .filter_map(|line| line.strip_prefix("test "))
        .filter_map(|line| line.split_once(" ... "))
        .map(|(name, outcome)| (name.trim_end().to_string(), outcome.to_string()))
        .collect()
}

/// A fresh directory under the system's temporary directory.
fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pact-harness-{label}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn boots(log: &Path) -> usize {
    std::fs::read_to_string(log).map(|text| text.lines().count()).unwrap_or(0)
}

fn json_report(path: &Path) -> JsonReport {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}\n{text}", path.display()))
}

#[test]
fn lists_a_test_per_interaction_named_consumer_and_description() {
    let dir = temp_dir("list");
    let log = dir.join("boots");
    let log_env = [("FIXTURE_BOOT_LOG", log.to_str().unwrap())];
    let expected = [HEALTH, USER_7, USER_EXISTS, USER_MISSING];
    assert_eq!(listed(&fixture(&["--list"], &log_env)), expected);
    // What nextest asks for.
    assert_eq!(listed(&fixture(&["--list", "--format", "terse"], &log_env)), expected);
    assert!(listed(&fixture(&["--list", "--format", "terse", "--ignored"], &log_env)).is_empty());
    assert_eq!(boots(&log), 0, "listing must not boot the app");
}

#[test]
fn a_name_filter_runs_only_the_matching_interaction() {
    let dir = temp_dir("filter");
    let log = dir.join("boots");
    let report = dir.join("report.json");
    let env = [("FIXTURE_BOOT_LOG", log.to_str().unwrap()), ("PACT_VERIFIER_JSON_REPORT", report.to_str().unwrap())];
    let output = fixture(&["doesn't exist"], &env);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(outcomes(&output), [(USER_MISSING.to_string(), "ok".to_string())], "{}", describe(&output));
    assert!(
        stdout(&output).contains("1 passed; 0 failed; 0 ignored; 0 measured; 3 filtered out"),
        "{}",
        describe(&output)
    );
    let json = json_report(&report);
    assert_eq!(json.interactions.len(), 1, "{json:?}");
    assert_eq!(json.interactions[0].states, ["user 123 doesn't exist"]);
    assert_eq!(boots(&log), 1);
}

#[test]
fn exact_runs_the_test_named_so_and_nothing_boots_when_nothing_matches() {
    let dir = temp_dir("exact");
    let log = dir.join("boots");
    let env = [("FIXTURE_BOOT_LOG", log.to_str().unwrap())];
    let output = fixture(&["--exact", USER_EXISTS], &env);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(outcomes(&output), [(USER_EXISTS.to_string(), "ok".to_string())]);

    // A prefix of two names is not a name.
    let output = fixture(&["--exact", "UserServiceClient › a request for user 123"], &env);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(outcomes(&output).is_empty(), "{}", describe(&output));
    assert!(stdout(&output).contains("0 passed; 0 failed; 0 ignored; 0 measured; 4 filtered out"));
    assert_eq!(boots(&log), 1, "only the run that had a test to run boots the app");
}

#[test]
fn pact_filters_turn_the_interactions_they_leave_out_into_ignored_tests() {
    let env = [("PACT_CONSUMER", "AdminConsole")];
    let output = fixture(&[], &env);
    assert!(output.status.success(), "{}", describe(&output));
    let ran: Vec<(String, String)> = outcomes(&output);
    assert_eq!(
        ran,
        [
            (HEALTH.to_string(), "ok".to_string()),
            (USER_7.to_string(), "ok".to_string()),
            (USER_EXISTS.to_string(), "ignored".to_string()),
            (USER_MISSING.to_string(), "ignored".to_string()),
        ]
    );
    assert_eq!(listed(&fixture(&["--list", "--ignored"], &env)), [USER_EXISTS, USER_MISSING]);
    let output = fixture(&["--ignored"], &env);
    assert!(
        stdout(&output).contains("2 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out"),
        "{}",
        describe(&output)
    );
}

#[test]
fn each_test_in_a_process_of_its_own_as_nextest_runs_them() {
    let dir = temp_dir("nextest");
    let log = dir.join("boots");
    let reports = dir.join("reports/");
    let env = [("FIXTURE_BOOT_LOG", log.to_str().unwrap()), ("PACT_VERIFIER_JSON_REPORT", reports.to_str().unwrap())];
    let names = listed(&fixture(&["--list", "--format", "terse"], &env));
    assert_eq!(names.len(), 4);
    let mut per_process = Vec::new();
    for name in &names {
        let started = Instant::now();
        let output = fixture(&["--exact", name, "--nocapture"], &env);
        per_process.push(started.elapsed());
        assert!(output.status.success(), "{}", describe(&output));
        assert_eq!(outcomes(&output), [(name.clone(), "ok".to_string())]);
    }
    println!("per-process times: {per_process:?}");
    assert_eq!(boots(&log), 4, "each process boots the app once");
    // A report file per process, named after its test, each with its one interaction.
    let mut verified = BTreeSet::new();
    for entry in std::fs::read_dir(&reports).unwrap() {
        let json = json_report(&entry.unwrap().path());
        assert_eq!(json.interactions.len(), 1, "{json:?}");
        verified.insert((json.interactions[0].description.clone(), json.interactions[0].states.clone()));
    }
    assert_eq!(verified.len(), 4, "{verified:?}");
}

#[test]
fn a_failing_interaction_fails_its_test_with_the_mismatch_and_a_rerun_command() {
    let output = fixture(&[], &[("FIXTURE_BROKEN", "1")]);
    assert_eq!(output.status.code(), Some(101), "{}", describe(&output));
    let text = stdout(&output);
    assert_eq!(
        outcomes(&output),
        [
            (HEALTH.to_string(), "ok".to_string()),
            (USER_7.to_string(), "FAILED".to_string()),
            (USER_EXISTS.to_string(), "FAILED".to_string()),
            (USER_MISSING.to_string(), "ok".to_string()),
        ]
    );
    for fragment in [
        &format!("---- {USER_EXISTS} ----"),
        "   states: `user 123 exists`",
        "- BodyMismatch: $.name -> Expected 42 (Integer) to be the same type as 'Verna Hampton' (String)",
        "  expected: \"Verna Hampton\"\n  actual:   42",
        "body diff (- expected, + actual):",
        "  -   \"name\": \"Verna Hampton\"\n",
        "  +   \"name\": 42\n",
        "Pact verification of `UserService`: 2 passed, 2 failed",
        "rerun only the failures: PACT_DESCRIPTION='^(?:a request for user 123|a request for user 7)$' PACT_PROVIDER_STATE='^(?:user 123 exists|user 7 exists)$' cargo test --test harness-fixture",
    ] {
        assert!(text.contains(fragment), "`{fragment}` is not in:\n{text}");
    }

    // The rerun command's filter runs the two failures and nothing else.
    let env = [
        ("FIXTURE_BROKEN", "1"),
        ("PACT_DESCRIPTION", "^(?:a request for user 123|a request for user 7)$"),
        ("PACT_PROVIDER_STATE", "^(?:user 123 exists|user 7 exists)$"),
    ];
    let rerun = fixture(&[], &env);
    let ran: Vec<String> =
        outcomes(&rerun).into_iter().filter(|(_, outcome)| outcome != "ignored").map(|(name, _)| name).collect();
    assert_eq!(ran, [USER_7, USER_EXISTS], "{}", describe(&rerun));

    // One failure: the hint is the test's exact name.
    let single = fixture(&["user 7"], &[("FIXTURE_BROKEN", "1")]);
    assert!(
        stdout(&single)
            .contains(&format!("rerun only the failure: cargo test --test harness-fixture -- --exact '{USER_7}'")),
        "{}",
        describe(&single)
    );
}

/// `PACT_FAIL_FAST`: the first test that fails the run stops it; the tests after it are
/// ignored as skipped, the JSON report lists them, and the summary says so.
#[test]
fn fail_fast_skips_the_tests_after_the_first_failure() {
    let dir = temp_dir("fail-fast");
    let report = dir.join("report.json");
    let env =
        [("FIXTURE_BROKEN", "1"), ("PACT_FAIL_FAST", "true"), ("PACT_VERIFIER_JSON_REPORT", report.to_str().unwrap())];
    let output = fixture(&[], &env);
    assert_eq!(output.status.code(), Some(101), "{}", describe(&output));
    let skipped = format!("ignored (skipped: fail_fast stopped the run at `{USER_7}`)");
    assert_eq!(
        outcomes(&output),
        [
            (HEALTH.to_string(), "ok".to_string()),
            (USER_7.to_string(), "FAILED".to_string()),
            (USER_EXISTS.to_string(), skipped.clone()),
            (USER_MISSING.to_string(), skipped),
        ]
    );
    let text = stdout(&output);
    for fragment in [
        "Pact verification of `UserService`: 1 passed, 1 failed, 2 skipped",
        "fail_fast stopped the run after AdminConsole › a request for user 7 failed: 2 interaction(s) skipped, not verified:",
        "  - skipped: UserServiceClient › a request for user 123 [user 123 exists] (",
    ] {
        assert!(text.contains(fragment), "`{fragment}` is not in:\n{text}");
    }
    let written = json_report(&report);
    assert_eq!((written.summary.total, written.summary.skipped, written.skipped.len()), (2, 2, 2));
}

/// A failing run's hint is `PACT_LAST_FAILED` with the JSON report it wrote; the rerun with it
/// runs the two failures, and lists the others as ignored.
#[test]
fn last_failed_reruns_the_failures_of_the_json_report() {
    let dir = temp_dir("last-failed");
    let report = dir.join("report.json");
    let shown = report.to_str().unwrap();
    let output = fixture(&[], &[("FIXTURE_BROKEN", "1"), ("PACT_VERIFIER_JSON_REPORT", shown)]);
    assert_eq!(output.status.code(), Some(101), "{}", describe(&output));
    let hint = format!("rerun only the failures: PACT_LAST_FAILED='{shown}' cargo test --test harness-fixture");
    assert!(stdout(&output).contains(&hint), "`{hint}` is not in:\n{}", describe(&output));

    let rerun = fixture(&[], &[("FIXTURE_BROKEN", "1"), ("PACT_LAST_FAILED", shown)]);
    let ran: Vec<String> =
        outcomes(&rerun).into_iter().filter(|(_, outcome)| outcome != "ignored").map(|(name, _)| name).collect();
    assert_eq!(ran, [USER_7, USER_EXISTS], "{}", describe(&rerun));
}

/// Two versions of one consumer's pact with the same interactions: each interaction is a test
/// in both, verified once and its result reused by the second, as the summary says;
/// `PACT_DEDUPE_INTERACTIONS=false` verifies each again.
#[test]
fn an_interaction_identical_in_two_pacts_is_verified_once_per_process() {
    let dir = temp_dir("dedupe");
    let pact = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/harness/UserServiceClient-UserService.json"),
    )
    .unwrap();
    std::fs::write(dir.join("v1.json"), &pact).unwrap();
    std::fs::write(dir.join("v2.json"), &pact).unwrap();
    let report = dir.join("report.json");
    let env = [("PACT_SOURCES", dir.to_str().unwrap()), ("PACT_VERIFIER_JSON_REPORT", report.to_str().unwrap())];
    let output = fixture(&[], &env);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(outcomes(&output).len(), 4, "{}", describe(&output));
    let text = stdout(&output);
    let shared =
        "2 interaction(s) identical in several pacts of one consumer were verified once and reported for each pact";
    assert!(text.contains(shared), "{}", describe(&output));
    let written = json_report(&report);
    assert_eq!((written.summary.total, written.summary.shared), (4, 2));
    assert!(written.interactions[2..]
        .iter()
        .all(|i| i.shared_from.as_deref() == Some(written.interactions[0].pact_source.as_str())));

    let off = fixture(&[], &[("PACT_SOURCES", dir.to_str().unwrap()), ("PACT_DEDUPE_INTERACTIONS", "false")]);
    assert!(off.status.success() && !stdout(&off).contains("verified once"), "{}", describe(&off));
}

#[test]
fn a_whole_harness_run_writes_a_junit_report_with_a_testcase_per_interaction() {
    let dir = temp_dir("junit");
    let junit = dir.join("junit.xml");
    let output = fixture(&[], &[("FIXTURE_BROKEN", "1"), ("PACT_VERIFIER_JUNIT_REPORT", junit.to_str().unwrap())]);
    assert_eq!(output.status.code(), Some(101), "{}", describe(&output));
    let text = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    let document = roxmltree::Document::parse(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (root.attribute("name"), root.attribute("tests"), root.attribute("failures")),
        (Some("harness-fixture"), Some("4"), Some("2"))
    );
    let cases: Vec<(String, String, bool)> = root
        .descendants()
        .filter(|node| node.has_tag_name("testcase"))
        .map(|case| {
            let failed = case.children().any(|child| child.has_tag_name("failure"));
            (case.attribute("classname").unwrap().to_string(), case.attribute("name").unwrap().to_string(), failed)
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("AdminConsole".to_string(), "a health check".to_string(), false),
            ("AdminConsole".to_string(), "a request for user 7 [user 7 exists]".to_string(), true),
            ("UserServiceClient".to_string(), "a request for user 123 [user 123 exists]".to_string(), true),
            ("UserServiceClient".to_string(), "a request for user 123 [user 123 doesn't exist]".to_string(), false),
        ]
    );
}

/// A loopback server for the fixture's two pacts, counting the requests for each.
async fn serve_pacts() -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let router = axum::Router::new().route(
        "/pacts/{file}",
        axum::routing::get(move |axum::extract::Path(file): axum::extract::Path<String>| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let path = Path::new(pact_tests::users::PACTS).join(file);
                match std::fs::read_to_string(path) {
                    Ok(text) => ([("content-type", "application/json")], text).into_response(),
                    Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }
        }),
    );
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let base = format!("http://{address}/pacts");
    (format!("{base}/AdminConsole-UserService.json,{base}/UserServiceClient-UserService.json"), fetches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacts_are_fetched_once_per_process_not_once_per_test() {
    let (sources, fetches) = serve_pacts().await;
    let output =
        tokio::task::spawn_blocking(move || fixture(&[], &[("PACT_SOURCES", sources.as_str())])).await.unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(outcomes(&output).len(), 4, "{}", describe(&output));
    assert_eq!(fetches.load(Ordering::SeqCst), 2, "each of the two pacts is fetched once for the four tests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_publishes_only_when_it_verified_every_interaction_unfiltered() {
    pact_runtime::install_crypto_provider();
    let broker = BrokerDouble::start(BrokerOptions::new()).await.expect("the broker double starts");
    for file in ["AdminConsole-UserService.json", "UserServiceClient-UserService.json"] {
        let pact: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(Path::new(pact_tests::users::PACTS).join(file)).unwrap())
                .unwrap();
        let consumer = pact["consumer"]["name"].as_str().unwrap().to_string();
        broker.publish_pact(&consumer, "1.0.0", Some("main"), &[], pact).unwrap();
    }
    let url = broker.url();
    let run = |args: &'static [&'static str], extra: &'static [(&'static str, &'static str)]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut env = vec![
                ("PACT_BROKER_BASE_URL", url.as_str()),
                ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
                ("PACT_PROVIDER_VERSION", "2.0.0"),
                ("PACT_PROVIDER_BRANCH", "main"),
            ];
            env.extend_from_slice(extra);
            fixture(args, &env)
        })
    };

    // A test-name filter verifies part of a pact: nothing is published.
    let output = run(&["user 123 exists"], &[]).await.unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(broker.verification_results().is_empty(), "{:?}", broker.verification_results());
    assert!(
        stdout(&output).contains("were not published: this process verified 1 of its 2 interactions"),
        "{}",
        describe(&output)
    );

    // A pact filter: nothing is published, and the run says why.
    let output = run(&[], &[("PACT_CONSUMER", "AdminConsole")]).await.unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(broker.verification_results().is_empty(), "{:?}", broker.verification_results());
    assert!(
        stdout(&output).contains("verification results were not published: the run was filtered"),
        "{}",
        describe(&output)
    );

    // The whole run publishes a result per pact.
    let output = run(&[], &[]).await.unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let published: BTreeSet<(String, bool)> =
        broker.verification_results().into_iter().map(|record| (record.consumer, record.success)).collect();
    assert_eq!(
        published,
        BTreeSet::from([("AdminConsole".to_string(), true), ("UserServiceClient".to_string(), true)]),
        "{}",
        describe(&output)
    );
}

#[test]
fn a_setup_error_is_one_failing_test() {
    let output = fixture(&["--list"], &[("PACT_SOURCES", "/nonexistent/pacts")]);
    assert_eq!(listed(&output), [pact_runtime::harness::SETUP_TEST_NAME]);
    let output = fixture(&[], &[("PACT_SOURCES", "/nonexistent/pacts")]);
    assert_eq!(output.status.code(), Some(101), "{}", describe(&output));
    assert!(stdout(&output).contains("/nonexistent/pacts"), "{}", describe(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_interactions_are_marked_and_their_failures_do_not_fail_the_run() {
    pact_runtime::install_crypto_provider();
    let broker = BrokerDouble::start(BrokerOptions::new()).await.expect("the broker double starts");
    let text =
        std::fs::read_to_string(Path::new(pact_tests::users::PACTS).join("AdminConsole-UserService.json")).unwrap();
    broker.publish_pact("AdminConsole", "1.0.0", Some("main"), &[], serde_json::from_str(&text).unwrap()).unwrap();
    let url = broker.url();
    let env = move |extra: &'static [(&'static str, &'static str)]| {
        let mut env = vec![
            ("PACT_BROKER_BASE_URL", url.clone()),
            ("PACT_ENABLE_PENDING", "true".to_string()),
            ("PACT_PROVIDER_BRANCH", "feat-new".to_string()),
        ];
        env.extend(extra.iter().map(|(name, value)| (*name, value.to_string())));
        env
    };
    let listing = env(&[]);
    let output = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = listing.iter().map(|(name, value)| (*name, value.as_str())).collect();
        fixture(&["--list"], &env)
    })
    .await
    .unwrap();
    assert_eq!(listed(&output), [format!("[pending] {HEALTH}"), format!("[pending] {USER_7}")]);

    let broken = env(&[("FIXTURE_BROKEN", "1")]);
    let output = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = broken.iter().map(|(name, value)| (*name, value.as_str())).collect();
        fixture(&[], &env)
    })
    .await
    .unwrap();
    assert!(output.status.success(), "a pending failure does not fail the run:\n{}", describe(&output));
    assert_eq!(
        outcomes(&output),
        [
            (format!("[pending] {HEALTH}"), "ok".to_string()),
            (
                format!("[pending] {USER_7}"),
                "ignored (pending interaction failed: BodyMismatch: $.name -> Expected 42 (Integer) to be the same type as 'Verna Hampton' (String))".to_string()
            ),
        ],
        "{}",
        describe(&output)
    );
    assert!(stdout(&output).contains("Pact verification of `UserService`: 1 passed, 0 failed, 1 pending failed"));
    assert!(stdout(&output).contains(&format!("pending, failed: {USER_7}")), "{}", describe(&output));
}

/// `harness::run_with` from code, with arguments parsed as a test binary's: the conclusion
/// counts what ran and what the filter left out. (Its failing side is the fixture's exit code
/// above.) Bound: the app answers at once.
#[test]
fn run_with_answers_counts_and_an_exit_code() {
    use axum::http::StatusCode;
    use axum::routing::get;
    use pact_runtime::harness::{self, Arguments};

    let dir = temp_dir("run-with");
    let pact = serde_json::json!({
        "consumer": { "name": "Pinger" },
        "provider": { "name": "HarnessApiService" },
        "interactions": [
            { "description": "a ping", "request": { "method": "GET", "path": "/ping" }, "response": { "status": 200 } },
            { "description": "a pong", "request": { "method": "GET", "path": "/pong" }, "response": { "status": 200 } }
        ],
        "metadata": { "pactSpecification": { "version": "3.0.0" } }
    });
    std::fs::write(dir.join("Pinger-HarnessApiService.json"), pact.to_string()).unwrap();
    let settings = pact_runtime::Settings::builder().pacts(&dir).provider("HarnessApiService").build().unwrap();
    let app = || async {
        let ok = get(|| async { StatusCode::OK });
        axum::Router::new().route("/ping", ok.clone()).route("/pong", ok)
    };

    let all = harness::run_with(&settings, Arguments::parse_from(["run_with"]), "run_with", app);
    assert_eq!((all.passed(), all.failed(), all.ignored(), all.filtered_out()), (2, 0, 0, 0), "{all:?}");
    assert!(!all.has_failed());
    assert_eq!(all.exit_code(), std::process::ExitCode::SUCCESS);

    let one = harness::run_with(&settings, Arguments::parse_from(["run_with", "a ping"]), "run_with", app);
    assert_eq!((one.passed(), one.failed(), one.filtered_out()), (1, 0, 1), "{one:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
