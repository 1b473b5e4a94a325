//! The HTML report in a real browser: a `#[pact_provider_test]` run against a loopback app
//! writes it (`html_report`), and headless Chromium renders it, `--dump-dom` for what a person
//! sees and `--screenshot` for target/html-report/report.png, which CI keeps as an artifact
//! (docs/html-report.png in the README is a copy of it).
//!
//! Chromium comes from `CHROMIUM` or the PATH (`chromium`, `chromium-browser`, `google-chrome`);
//! without it the browser test skips with a message, unless `PACT_HTML_BROWSER_REQUIRED=1`
//! (set by .ci/run, which installs Debian's `chromium`), when it fails.
//!
//! `html_report_at_10000_interactions` (ignored; run it with `--ignored`) measures the report's
//! size and render time for 10,000 interactions.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use pact_runtime::__private::run_provider_test;
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::{provider_state, verify_provider, Settings};
use serde_json::{json, Value};

/// The orders app: `GET /orders/{id}` answers order 7 with its total as a number (the pact
/// expects a string: a body mismatch) and any other order as not found.
fn orders_app() -> Router {
    Router::new().route("/health", get(|| async { Json(json!({ "status": "ok" })) })).route(
        "/orders/{id}",
        get(|UrlPath(id): UrlPath<u64>| async move {
            match id {
                7 => Json(json!({ "id": 7, "total": 42, "items": ["tea", "cake"] })).into_response(),
                _ => (StatusCode::NOT_FOUND, Json(json!({ "detail": "no such order" }))).into_response(),
            }
        }),
    )
}

#[provider_state("order {id} exists")]
fn order_exists(id: u64) {
    let _ = id;
}

/// What would mark the page if a pact's script ran in it.
const PWNED: &str = "pwned-by-the-pact";

fn http(description: &str, state: Option<&str>, path: &str, status: u16, body: Option<Value>) -> Value {
    let mut interaction = json!({
        "type": "Synchronous/HTTP",
        "description": description,
        "providerStates": state.map(|name| vec![json!({ "name": name })]).unwrap_or_default(),
        "request": { "method": "GET", "path": path, "headers": { "Accept": ["application/json"] } },
        "response": { "status": status, "headers": { "Content-Type": ["application/json"] } },
    });
    if let Some(body) = body {
        interaction["response"]["body"] =
            json!({ "content": body, "contentType": "application/json", "encoded": false });
    }
    interaction
}

fn pact(consumer: &str, interactions: Vec<Value>) -> Value {
    json!({
        "consumer": { "name": consumer },
        "provider": { "name": "OrderService" },
        "interactions": interactions,
        "metadata": { "pactSpecification": { "version": "4.0" } },
    })
}

/// Two pacts: WebShop's passes one interaction and fails one (with a `<script>` in its
/// description and a comment), MobileApp's pending interaction fails with a status mismatch.
fn write_pacts(dir: &Path) {
    let mut failing = http(
        &format!("order 7 <script>document.body.dataset.x='{PWNED}'</script> with its total"),
        Some("order 7 exists"),
        "/orders/7",
        200,
        Some(json!({ "id": 7, "total": "42.00", "items": ["tea", "cake"] })),
    );
    failing["comments"] =
        json!({ "text": ["totals are strings <img src=x onerror=alert(1)>"], "testname": "orders::it_shows_order_7" });
    let web =
        pact("WebShop", vec![http("a health check", None, "/health", 200, Some(json!({ "status": "ok" }))), failing]);
    let mut pending = http("order 999", Some("order 999 exists"), "/orders/999", 200, None);
    pending["pending"] = json!(true);
    let mobile = pact("MobileApp", vec![pending]);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("WebShop-OrderService.json"), web.to_string()).unwrap();
    std::fs::write(dir.join("MobileApp-OrderService.json"), mobile.to_string()).unwrap();
}

/// The workspace's target dir: the test binary is target/<profile>/deps/<binary>.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors().nth(3).expect("target/<profile>/deps/<binary>").to_path_buf()
}

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pact-html-{label}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// Runs the two pacts as a `#[pact_provider_test]` does, writing the HTML report to `report`.
fn run_with_report(pacts: &Path, report: &Path) {
    let options: &'static [(&'static str, &'static str)] = Box::leak(
        vec![
            ("provider", "OrderService"),
            ("pacts", leak(pacts.display().to_string())),
            ("html_report", leak(report.display().to_string())),
            ("shard", "1/1"),
        ]
        .into_boxed_slice(),
    );
    let spec = ProviderTestSpec { test_name: "html_report::orders", manifest_dir: env!("CARGO_MANIFEST_DIR"), options };
    let outcome = std::panic::catch_unwind(|| run_provider_test(spec, || async { orders_app() }));
    assert!(outcome.is_err(), "a run with a failing interaction fails its test");
}

// ==================================================================== the browser

/// Chromium, or `None` (with the reason printed) when it is not here.
fn chromium() -> Option<PathBuf> {
    let found = match std::env::var_os("CHROMIUM").filter(|value| !value.is_empty()) {
        Some(path) if Path::new(&path).is_file() => Ok(PathBuf::from(path)),
        Some(path) => Err(format!("CHROMIUM={} does not exist", Path::new(&path).display())),
        None => ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
            .ok_or_else(|| "no chromium on the PATH and CHROMIUM is not set".to_string()),
    };
    match found {
        Ok(path) => Some(path),
        Err(reason) if std::env::var("PACT_HTML_BROWSER_REQUIRED").is_ok_and(|value| value == "1") => {
            panic!("headless Chromium is required (PACT_HTML_BROWSER_REQUIRED=1) but unavailable: {reason}")
        }
        Err(reason) => {
            // Straight to stderr, past the test harness's capture, so the skip shows in CI logs.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "skipping the browser check: {reason}");
            None
        }
    }
}

/// Runs headless Chromium on `page` with `args`, in a profile of its own, killed (with the
/// processes it started) after `limit`. Answers its stdout and how long it took.
fn headless(browser: &Path, page: &Path, args: &[String], limit: Duration) -> (String, Duration) {
    use std::os::unix::process::CommandExt;
    let profile = temp_dir("chromium-profile");
    let started = Instant::now();
    let mut child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", browser.display()));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).map(|_| text)
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = Command::new("kill").arg("-KILL").arg("--").arg(format!("-{}", child.id())).status();
            let _ = child.wait();
            panic!("headless Chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    // Its helper processes (the zygote, the GPU process) go with it.
    let _ = Command::new("kill").arg("-KILL").arg("--").arg(format!("-{}", child.id())).status();
    let stdout = out.join().unwrap().unwrap_or_default();
    let stderr = err.join().unwrap().unwrap_or_default();
    assert!(status.success(), "headless Chromium failed ({status}):\n{stderr}");
    let _ = std::fs::remove_dir_all(&profile);
    (stdout, took)
}

/// The text of the element that starts at `at` in `dom` (up to its closing `</tag>`).
fn element<'a>(dom: &'a str, start: &str, tag: &str) -> &'a str {
    let at = dom.find(start).unwrap_or_else(|| panic!("no `{start}` in the rendered page:\n{dom}"));
    let end = dom[at..].find(&format!("</{tag}>")).map_or(dom.len(), |end| at + end);
    &dom[at..end]
}

#[test]
fn the_html_report_reads_right_in_a_browser() {
    let dir = temp_dir("browser");
    write_pacts(&dir.join("pacts"));
    let report = dir.join("report.html");
    run_with_report(&dir.join("pacts"), &report);
    let html = std::fs::read_to_string(&report).expect("the run wrote the HTML report");
    assert!(!html.contains("<script>document"), "a pact's script is in the page as markup");
    assert!(!html.contains("http://") && !html.contains("https://"), "the page links to somewhere");

    let Some(browser) = chromium() else { return };
    let (dom, _) = headless(&browser, &report, &["--dump-dom".to_string()], Duration::from_secs(60));

    // The summary: 1 passed, 1 failed, 1 pending failed, of 3, and the shard.
    let summary = element(&dom, "<dl class=\"summary\">", "dl");
    for (label, value) in
        [("Passed", "1"), ("Failed", "1"), ("Pending failed", "1"), ("Interactions", "3"), ("Shard", "1/1")]
    {
        assert!(summary.contains(&format!("<dt>{label}</dt><dd>{value}</dd>")), "{label} {value} not in {summary}");
    }
    assert!(dom.contains("✗ Verification failed"));

    // The failing interaction comes first, open, with its mismatch, path, diff, comment and test name.
    let failing = element(&dom, "<details class=\"i failed\"", "details");
    assert!(failing.contains(" open=\"\"") || failing.contains(" open>"), "the failure is not expanded:\n{failing}");
    assert!(dom.find("<details class=\"i failed\"") < dom.find("<details class=\"i passed\""), "failures first");
    for text in [
        "BodyMismatch",
        "<code>$.total</code>",
        "orders::it_shows_order_7",
        "totals are strings &lt;img src=x onerror=alert(1)&gt;",
        "<span class=\"exp\">-   \"total\": \"42.00\"",
        "<span class=\"act\">+   \"total\": 42",
        "GET /orders/7",
    ] {
        assert!(failing.contains(text), "`{text}` not in the failing interaction:\n{failing}");
    }
    // The pact's script shows as text and did not run.
    assert!(failing.contains("&lt;script&gt;document.body.dataset.x="), "{failing}");
    assert!(!dom.contains(&format!("data-x=\"{PWNED}\"")), "a pact's script ran in the report");
    assert!(!dom.contains("<img"), "a pact's markup reached the page");

    // The pending failure: open, with the status mismatch and both statuses.
    let pending = element(&dom, "<details class=\"i pending-failed\"", "details");
    assert!(pending.contains("StatusMismatch") && pending.contains("<code>404</code>"), "{pending}");
    // The passing interaction is collapsed.
    let passing = element(&dom, "<details class=\"i passed\"", "details");
    assert!(!passing.contains(" open"), "{passing}");
    // The filters ran from file:// (the script shows them and counts what it shows).
    assert!(dom.contains("<form id=\"filters\" aria-label=\"Filters\">"), "the filters are hidden");
    assert!(dom.contains("3 of 3 interactions shown"), "the filter script did not run");
    assert!(dom.contains("<option value=\"MobileApp\">MobileApp</option>"));

    // The screenshot CI keeps.
    let shot = target_dir().join("html-report").join("report.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    let args =
        [format!("--screenshot={}", shot.display()), "--window-size=1280,1600".to_string(), "--hide-scrollbars".into()];
    headless(&browser, &report, &args, Duration::from_secs(60));
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    println!("screenshot: {} ({} bytes)", shot.display(), png.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `verify_provider` writes the HTML report its settings name, like the JUnit and JSON ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_provider_writes_the_html_report() {
    let dir = temp_dir("verify-provider");
    write_pacts(&dir.join("pacts"));
    let settings = Settings::builder()
        .pacts(dir.join("pacts").display().to_string())
        .provider("OrderService")
        .html_report(dir.join("html/"))
        .build()
        .unwrap();
    let report = verify_provider(&settings, || async { orders_app() }).await.expect("the run completes");
    assert_eq!(report.counts(), "1 passed, 1 failed, 1 pending failed");
    let html = std::fs::read_to_string(dir.join("html").join("OrderService.html")).expect("the HTML report");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<dt>Failed</dt><dd>1</dd>"), "{html}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run that cannot verify anything still writes a page that says why.
#[test]
fn a_run_that_verifies_nothing_writes_a_page_saying_why() {
    let dir = temp_dir("error");
    let report = dir.join("report.html");
    let options: &'static [(&'static str, &'static str)] = Box::leak(
        vec![
            ("provider", "OrderService"),
            ("pacts", leak(dir.join("no-such-directory").display().to_string())),
            ("html_report", leak(report.display().to_string())),
        ]
        .into_boxed_slice(),
    );
    let spec = ProviderTestSpec { test_name: "html_report::error", manifest_dir: env!("CARGO_MANIFEST_DIR"), options };
    assert!(std::panic::catch_unwind(|| run_provider_test(spec, || async { orders_app() })).is_err());
    let html = std::fs::read_to_string(&report).expect("the HTML report");
    assert!(html.contains("The run could not verify anything") && html.contains("no-such-directory"), "{html}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README shows the screenshot this test makes, committed as docs/html-report.png.
#[test]
fn the_readme_shows_the_report_screenshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("](docs/html-report.png)"), "the README does not show docs/html-report.png");
    let png = std::fs::read(root.join("docs/html-report.png")).expect("docs/html-report.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "docs/html-report.png is not a PNG");
    assert!(png.len() < 300 * 1024, "docs/html-report.png is {} bytes", png.len());
}

// ==================================================================== 10,000 interactions

/// The size of the report of 10,000 interactions (1% failing, 1% pending failing) from a real
/// run, and how long headless Chromium takes to render it, against a trivial page.
#[test]
#[ignore = "a measurement: cargo test -p pact-tests --test html_report -- --ignored --nocapture"]
fn html_report_at_10000_interactions() {
    let Some(browser) = chromium() else { return };
    let dir = temp_dir("large");
    let pacts = dir.join("pacts");
    std::fs::create_dir_all(&pacts).unwrap();
    for consumer in 0..10 {
        let interactions: Vec<Value> = (0..1000)
            .map(|n| {
                let mut interaction = match n % 100 {
                    0 => http(
                        &format!("order 7 ({consumer}/{n})"),
                        Some("order 7 exists"),
                        "/orders/7",
                        200,
                        Some(json!({ "id": 7, "total": "42.00" })),
                    ),
                    1 => {
                        http(&format!("order 999 ({consumer}/{n})"), Some("order 999 exists"), "/orders/999", 200, None)
                    }
                    _ => http(
                        &format!("a health check ({consumer}/{n})"),
                        None,
                        "/health",
                        200,
                        Some(json!({ "status": "ok" })),
                    ),
                };
                interaction["pending"] = json!(n % 100 == 1);
                interaction
            })
            .collect();
        let pact = pact(&format!("Consumer{consumer}"), interactions);
        std::fs::write(pacts.join(format!("Consumer{consumer}-OrderService.json")), pact.to_string()).unwrap();
    }
    let report = dir.join("report.html");
    let started = Instant::now();
    run_with_report(&pacts, &report);
    println!("run of 10,000 interactions with the HTML report: {:.1} s", started.elapsed().as_secs_f64());
    let size = std::fs::metadata(&report).unwrap().len();
    let trivial = dir.join("trivial.html");
    std::fs::write(&trivial, "<!DOCTYPE html><title>t</title><p>trivial</p>").unwrap();
    let dump = ["--dump-dom".to_string()];
    let shot = [
        format!("--screenshot={}", dir.join("shot.png").display()),
        "--window-size=1280,1600".to_string(),
        "--hide-scrollbars".to_string(),
    ];
    let median = |page: &Path, args: &[String]| {
        let mut times: Vec<f64> =
            (0..5).map(|_| headless(&browser, page, args, Duration::from_secs(120)).1.as_secs_f64()).collect();
        times.sort_by(f64::total_cmp);
        (times[2], times[0], times[4])
    };
    let (dom, _) = headless(&browser, &report, &dump, Duration::from_secs(120));
    assert!(dom.contains("10000 of 10000 interactions shown"), "the filter script did not finish");
    println!("HTML report of 10,000 interactions: {size} bytes ({:.1} MiB)", size as f64 / 1048576.0);
    for (what, args) in [("--dump-dom", &dump[..]), ("--screenshot", &shot[..])] {
        let (page, low, high) = median(&report, args);
        let (base, base_low, base_high) = median(&trivial, args);
        println!(
            "{what}: report {page:.2} s (min {low:.2}, max {high:.2}), trivial page {base:.2} s (min {base_low:.2}, max {base_high:.2}), render {:.2} s",
            page - base
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
