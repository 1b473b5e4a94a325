//! The developer's loop (issue 19, items 2 and 3): `fail_fast`/`PACT_FAIL_FAST` stops at the
//! first interaction that fails the run and reports the rest as skipped (console, JUnit, JSON);
//! `last_failed`/`PACT_LAST_FAILED` verifies only what failed in a previous run's JSON report,
//! and refuses a report that is missing, unreadable or of another provider with a clear error.
//! (That neither publishes is in broker_verification.rs.)
//!
//! The app is `pact_tests::things`, behind a layer that counts the requests it gets, so each
//! test sees what was really sent. Settings come from an explicit environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pact_runtime::config::ProviderTestSpec;
use pact_runtime::report::json::JsonReport;
use pact_runtime::{provider_state, verify_provider, RunError, Settings, VerificationReport};
use pact_tests::things::{self, failing, pact, passing};
use serde_json::{json, Value};

#[provider_state("thing {marker} exists", provider = "FastApi")]
fn fast_thing(marker: String) {
    things::add(marker);
}

#[provider_state("thing {marker} exists", provider = "RerunApi")]
fn rerun_thing(marker: String) {
    things::add(marker);
}

/// A directory of its own under the system's temp directory.
fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pact-developer-loop-{label}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Writes each `(file, pact)` into a new directory and answers it.
fn pact_dir(label: &str, pacts: &[(&str, Value)]) -> PathBuf {
    let dir = temp_dir(label);
    for (file, pact) in pacts {
        std::fs::write(dir.join(file), pact.to_string()).unwrap();
    }
    dir
}

/// Settings for `provider` with the pacts of `dir` and an explicit environment.
fn settings(
    provider: &'static str,
    dir: &Path,
    env: &[(&str, &str)],
) -> Result<Settings, pact_runtime::config::ConfigError> {
    let pacts: &'static str = Box::leak(dir.to_string_lossy().into_owned().into_boxed_str());
    let options: &'static [(&'static str, &'static str)] =
        Box::leak(vec![("provider", provider), ("pacts", pacts), ("request_timeout_ms", "5000")].into_boxed_slice());
    let spec = ProviderTestSpec { test_name: "developer_loop", manifest_dir: env!("CARGO_MANIFEST_DIR"), options };
    let env: HashMap<String, String> = env.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    Settings::resolve_with(&spec, move |name| env.get(name).cloned())
}

/// Verifies with `settings` against the things app, answering the report and how many
/// interaction requests (`/things/...`) the app got. Bound: 20 s.
async fn run(settings: &Settings) -> (Result<VerificationReport, RunError>, usize) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let app = move || async move { things::counted_app(counted) };
    let outcome = tokio::time::timeout(Duration::from_secs(20), verify_provider(settings, app))
        .await
        .expect("the run ends within 20 s");
    (outcome, requests.load(Ordering::SeqCst))
}

/// `consumer › description` of each verified interaction, in report order.
fn verified(report: &VerificationReport) -> Vec<String> {
    report.results.iter().map(|result| format!("{} › {}", result.consumer, result.description)).collect()
}

fn assert_contains(text: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(text.contains(fragment), "`{fragment}` is not in:\n{text}");
    }
}

/// `interaction` (of `passing`/`failing`) as a V4 HTTP interaction.
fn v4(interaction: Value) -> Value {
    let mut interaction = interaction;
    interaction["type"] = json!("Synchronous/HTTP");
    let body = interaction["response"]["body"].take();
    interaction["response"]["body"] = json!({ "content": body, "contentType": "application/json", "encoded": false });
    interaction
}

/// `failing(marker)` as a V4 interaction marked pending.
fn pending_failing(marker: &str) -> Value {
    let mut interaction = v4(failing(marker));
    interaction["pending"] = json!(true);
    interaction
}

// ==================================================================== fail fast

/// FastWeb's pact: pass, fail, pass, fail; FastMobile's: pass. With `PACT_FAIL_FAST` the run
/// verifies the first two, stops, and every report lists the other three as skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_stops_at_the_first_failure_and_reports_the_rest_as_skipped() {
    let dir = pact_dir(
        "fail-fast",
        &[
            (
                "a-web.json",
                pact("FastWeb", "FastApi", vec![passing("ff-1"), failing("ff-2"), passing("ff-3"), failing("ff-4")]),
            ),
            ("b-mobile.json", pact("FastMobile", "FastApi", vec![passing("ff-5")])),
        ],
    );
    let reports = temp_dir("fail-fast-reports");
    let (junit, json) = (reports.join("report.xml"), reports.join("report.json"));
    let env = [
        ("PACT_FAIL_FAST", "true"),
        ("PACT_VERIFIER_JUNIT_REPORT", junit.to_str().unwrap()),
        ("PACT_VERIFIER_JSON_REPORT", json.to_str().unwrap()),
    ];
    let (report, requests) = run(&settings("FastApi", &dir, &env).unwrap()).await;
    let report = report.expect("the run completes");
    let text = report.to_string();
    println!("{text}");
    assert!(!report.is_success());
    assert_eq!(verified(&report), ["FastWeb › a request for ff-1", "FastWeb › a broken request for ff-2"]);
    assert_eq!(requests, 2, "the app got only the requests of the two verified interactions");
    assert_eq!(report.counts(), "1 passed, 1 failed, 3 skipped");
    assert_contains(
        &text,
        &[
            "fail_fast stopped the run after FastWeb › a broken request for ff-2 failed: 3 interaction(s) skipped, not verified:\n",
            "  - skipped: FastWeb › a request for ff-3 [thing ff-3 exists] (",
            "  - skipped: FastWeb › a broken request for ff-4 [thing ff-4 exists] (",
            "  - skipped: FastMobile › a request for ff-5 [thing ff-5 exists] (",
            "1 passed, 1 failed, 3 skipped in ",
        ],
    );
    assert_contains(
        &report.failure_summary(),
        &["3 interaction(s) skipped", "skipped: FastMobile › a request for ff-5"],
    );

    // JUnit: the skipped ones are skipped testcases of their pacts' suites.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    let case = |name: &str| {
        document
            .descendants()
            .find(|node| node.has_tag_name("testcase") && node.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase `{name}` in\n{xml}"))
    };
    for name in [
        "a request for ff-3 [thing ff-3 exists]",
        "a broken request for ff-4 [thing ff-4 exists]",
        "a request for ff-5 [thing ff-5 exists]",
    ] {
        let skipped = case(name).children().find(|node| node.has_tag_name("skipped")).expect("a <skipped> element");
        assert_eq!(skipped.attribute("message"), Some("not verified: fail_fast stopped the run at the first failure"));
    }
    assert!(case("a broken request for ff-2 [thing ff-2 exists]").children().any(|node| node.has_tag_name("failure")));
    let suites: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("testsuite"))
        .filter_map(|node| node.attribute("name"))
        .collect();
    assert_eq!(suites, ["FastWeb → FastApi", "FastMobile → FastApi"]);

    // JSON: the verified ones in `interactions`, the others in `skipped`.
    let parsed: JsonReport = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!((parsed.summary.total, parsed.summary.failed, parsed.summary.skipped), (2, 1, 3));
    let skipped: Vec<(&str, &str, usize)> =
        parsed.skipped.iter().map(|s| (s.consumer.as_str(), s.description.as_str(), s.index)).collect();
    assert_eq!(
        skipped,
        [
            ("FastWeb", "a request for ff-3", 2),
            ("FastWeb", "a broken request for ff-4", 3),
            ("FastMobile", "a request for ff-5", 0)
        ]
    );
    assert!(parsed.skipped.iter().all(|s| s.key.len() == 16 && s.reason.contains("fail_fast")));

    // Without fail_fast every interaction runs.
    let (report, requests) = run(&settings("FastApi", &dir, &[]).unwrap()).await;
    let report = report.unwrap();
    assert_eq!((report.results.len(), requests), (5, 5));
    assert_eq!(report.counts(), "3 passed, 2 failed");
}

/// A pending interaction's failure does not fail the run, so it does not stop it either; the
/// first failure that fails the run does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_failure_does_not_stop_a_fail_fast_run() {
    let v4_pact = |interactions: Vec<Value>| {
        json!({
            "consumer": { "name": "FastPending" }, "provider": { "name": "FastApi" },
            "interactions": interactions,
            "metadata": { "pactSpecification": { "version": "4.0" } }
        })
    };
    let pact = v4_pact(vec![pending_failing("fp-1"), v4(passing("fp-2")), v4(failing("fp-3")), v4(passing("fp-4"))]);
    let dir = pact_dir("fail-fast-pending", &[("pending.json", pact)]);
    let (report, requests) = run(&settings("FastApi", &dir, &[("PACT_FAIL_FAST", "true")]).unwrap()).await;
    let report = report.expect("the run completes");
    println!("{report}");
    let outcomes: Vec<&str> = report.results.iter().map(|result| result.outcome()).collect();
    assert_eq!(outcomes, ["pending-failed", "passed", "failed"]);
    assert_eq!((requests, report.counts().as_str()), (3, "1 passed, 1 failed, 1 pending failed, 1 skipped"));
}

// ==================================================================== last failed

/// RerunWeb: pass, fail, pass, fail (two of them with one description and different states);
/// RerunMobile: fail.
fn rerun_pacts(label: &str) -> PathBuf {
    let mut same_description = failing("rr-4");
    same_description["description"] = json!("a request for rr-1");
    pact_dir(
        label,
        &[
            (
                "a-web.json",
                pact("RerunWeb", "RerunApi", vec![passing("rr-1"), failing("rr-2"), passing("rr-3"), same_description]),
            ),
            ("b-mobile.json", pact("RerunMobile", "RerunApi", vec![failing("rr-5"), passing("rr-6")])),
        ],
    )
}

const RERUN_FAILURES: [&str; 3] = [
    "RerunWeb › a broken request for rr-2",
    "RerunWeb › a request for rr-1",
    "RerunMobile › a broken request for rr-5",
];

/// A run writes its JSON report and prints `PACT_LAST_FAILED=<report>` as the rerun hint; the
/// rerun with it (or with `true` and the same `json_report`) verifies exactly the interactions
/// that failed, told apart by key (one shares its description with one that passed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_failed_verifies_only_what_failed_in_the_previous_report() {
    let dir = rerun_pacts("last-failed");
    let reports = temp_dir("last-failed-reports");
    let json = reports.join("report.json");
    let json_text = json.to_str().unwrap();
    let (first, requests) =
        run(&settings("RerunApi", &dir, &[("PACT_VERIFIER_JSON_REPORT", json_text)]).unwrap()).await;
    let first = first.unwrap();
    assert_eq!((first.results.len(), requests, first.counts().as_str()), (6, 6, "3 passed, 3 failed"));
    let hint = format!("rerun only the failures: PACT_LAST_FAILED='{json_text}' cargo test");
    assert_contains(&first.to_string(), &[&hint]);
    assert_contains(&first.failure_summary(), &[&hint]);

    let (rerun, requests) = run(&settings("RerunApi", &dir, &[("PACT_LAST_FAILED", json_text)]).unwrap()).await;
    let rerun = rerun.unwrap();
    println!("{rerun}");
    assert_eq!(verified(&rerun), RERUN_FAILURES);
    assert_eq!(requests, 3);
    assert!(rerun.results.iter().all(|result| !result.passed()));

    // `true` reads the report json_report names; that run writes it again, with the 3 failures.
    let env = [("PACT_LAST_FAILED", "true"), ("PACT_VERIFIER_JSON_REPORT", json_text)];
    let (again, _) = run(&settings("RerunApi", &dir, &env).unwrap()).await;
    assert_eq!(verified(&again.unwrap()), RERUN_FAILURES);
    let written: JsonReport = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(written.summary.total, 3);

    // A report whose failures are all fixed now: only they run, and they pass.
    let fixed_dir = pact_dir(
        "last-failed-fixed",
        &[
            ("a-web.json", pact("RerunWeb", "RerunApi", vec![passing("rr-2")])),
            ("b-mobile.json", pact("RerunMobile", "RerunApi", vec![passing("rr-5")])),
        ],
    );
    let (fixed, requests) = run(&settings("RerunApi", &fixed_dir, &[("PACT_LAST_FAILED", json_text)]).unwrap()).await;
    let fixed = fixed.unwrap();
    // The interactions changed, so their keys did: none of the failures is in these pacts.
    assert_eq!((fixed.results.len(), requests), (0, 0));
    assert_contains(
        &fixed.warnings.join("\n"),
        &[
            "last_failed: 3 interaction(s) that failed in",
            "are not in this run's pacts",
            "nothing is left to rerun; passing",
        ],
    );

    // A report with no failures passes at once, saying so.
    let clean = reports.join("clean.json");
    let clean_dir = pact_dir("last-failed-clean", &[("a.json", pact("RerunWeb", "RerunApi", vec![passing("rr-7")]))]);
    let (outcome, _) =
        run(&settings("RerunApi", &clean_dir, &[("PACT_VERIFIER_JSON_REPORT", clean.to_str().unwrap())]).unwrap())
            .await;
    assert!(outcome.unwrap().is_success());
    let (outcome, requests) =
        run(&settings("RerunApi", &dir, &[("PACT_LAST_FAILED", clean.to_str().unwrap())]).unwrap()).await;
    let outcome = outcome.unwrap();
    assert_eq!((outcome.results.len(), requests), (0, 0));
    assert_contains(
        &outcome.warnings.join("\n"),
        &["last_failed: no interaction failed in", "nothing to rerun; passing"],
    );
}

/// A report that is missing, not a file, not JSON, not a pact-runtime report, of another
/// provider, or of a run that could not verify anything is a configuration error that says
/// which and what to do; `true` without `json_report` is refused before the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_failed_report_that_cannot_be_used_is_a_clear_error() {
    let dir = rerun_pacts("last-failed-errors");
    let reports = temp_dir("last-failed-bad");
    let error = |path: PathBuf| {
        let dir = dir.clone();
        async move {
            let text = path.to_str().unwrap().to_string();
            let settings = settings("RerunApi", &dir, &[("PACT_LAST_FAILED", &text)]).unwrap();
            let (outcome, requests) = run(&settings).await;
            assert_eq!(requests, 0, "nothing may be verified");
            match outcome {
                Err(error @ RunError::Config(_)) => error.to_string(),
                other => panic!("expected a configuration error, got {other:?}"),
            }
        }
    };
    let missing = reports.join("missing.json");
    assert_eq!(
        error(missing.clone()).await,
        format!(
            "configuration error: PACT_LAST_FAILED: there is no report at {} to rerun the failures of: run once with json_report (PACT_VERIFIER_JSON_REPORT) set to write it, or give PACT_LAST_FAILED the path of one",
            missing.display()
        )
    );
    assert_eq!(
        error(reports.clone()).await,
        format!("configuration error: PACT_LAST_FAILED: {} is a directory, not a JSON report file", reports.display())
    );
    let write = |name: &str, text: &str| {
        let path = reports.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    assert_contains(
        &error(write("not-json.json", "{ half")).await,
        &["not-json.json is not JSON (", "it must be a report json_report wrote"],
    );
    assert_contains(
        &error(write("other-schema.json", r#"{"schema": "junit"}"#)).await,
        &["other-schema.json is not a pact-runtime JSON report (its `schema` is `junit`, not `pact-runtime/verification-report/v1`)"],
    );
    let other = JsonReport::for_error("t", "OtherApi", "x");
    let mut other = serde_json::to_value(&other).unwrap();
    other["error"] = Value::Null;
    assert_contains(
        &error(write("other-provider.json", &other.to_string())).await,
        &["other-provider.json is the report of provider `OtherApi`, not of `RerunApi`"],
    );
    let errored = serde_json::to_string(&JsonReport::for_error("t", "RerunApi", "the app did not boot")).unwrap();
    assert_contains(
        &error(write("errored.json", &errored)).await,
        &[
            "errored.json is the report of a run that could not verify anything",
            "the app did not boot",
            "run without last_failed",
        ],
    );

    let refused = settings("RerunApi", &dir, &[("PACT_LAST_FAILED", "true")]).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "PACT_LAST_FAILED is `true`, which reads the JSON report `json_report` names, but json_report (PACT_VERIFIER_JSON_REPORT) is not set: set it, or give PACT_LAST_FAILED the report's path"
    );
    // The builder's spelling of the same.
    let built = Settings::builder().provider("RerunApi").last_failed_from_json_report().build().unwrap_err();
    assert!(built.to_string().starts_with("option `last_failed` is `true`"), "{built}");
    let bad_flag = settings("RerunApi", &dir, &[("PACT_FAIL_FAST", "sometimes")]).unwrap_err();
    assert_eq!(bad_flag.to_string(), "PACT_FAIL_FAST must be `true` or `false`, got `sometimes`");
}
