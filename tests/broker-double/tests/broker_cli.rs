//! The real Ruby `pact-broker` CLI (PyPI `pact-python-cli` 2.6.x, which bundles
//! `pact_broker-client`) against the broker double: publish, tag, environments, deployments
//! and can-i-deploy.
//!
//! The CLI is found through `PACT_BROKER_CLI` (path to the `pact-broker` executable), then
//! `PATH`, then `target/pact-python-cli`; failing all three it is installed there with
//! `python3 -m pip install --target`. Without python3 (or network) the tests say so on stderr
//! and pass, unless `PACT_BROKER_CLI_REQUIRED=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pact_broker_double::pact_cli::plain;
use pact_broker_double::{BrokerDouble, BrokerOptions};
use pact_verifier::pact_broker::{fetch_pacts_dynamically_from_broker, publish_verification_results, TestResult};
use serde_json::{json, Value};

const PACKAGE: &str = "pact-python-cli>=2.6,<2.7";
/// Generous: a cold install downloads ~25 MB.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);
/// One CLI command (Ruby starts in well under a second; the CLI retries 5xx for longer).
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

// ==================================================================== locating the CLI

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// Where `pip install --target` puts the bundled CLI (a shell script next to its own Ruby).
fn installed_executable(dir: &Path) -> Option<PathBuf> {
    let script = dir.join("pact_cli").join("bin").join("pact-broker");
    script.is_file().then_some(script)
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// Runs a command to completion or kills it after `timeout`; output goes to `log`.
fn run_bounded(mut command: Command, log: &Path, timeout: Duration) -> Result<(), String> {
    let file = std::fs::File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| format!("starting {command:?}: {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{command:?} exited with {status}; see {}", log.display())),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{command:?} took longer than {timeout:?}; see {}", log.display()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn install(dir: &Path) -> Result<PathBuf, String> {
    let python = on_path("python3").ok_or("python3 is not on PATH")?;
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(dir.parent().unwrap_or(dir)).map_err(|e| e.to_string())?;
    let mut pip = Command::new(python);
    pip.args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--target"])
        .arg(&partial)
        .arg(PACKAGE);
    let started = Instant::now();
    run_bounded(pip, &dir.with_extension("install.log"), INSTALL_TIMEOUT)?;
    // Another test process may have finished first; either copy will do.
    if std::fs::rename(&partial, dir).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    eprintln!("installed {PACKAGE} into {} in {:.1?}", dir.display(), started.elapsed());
    installed_executable(dir).ok_or_else(|| format!("no pact_cli/bin/pact-broker in {}", dir.display()))
}

fn locate() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("PACT_BROKER_CLI") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("PACT_BROKER_CLI={} does not exist", path.display()))
        };
    }
    if let Some(path) = on_path("pact-broker") {
        return Ok(path);
    }
    let dir = target_dir().join("pact-python-cli");
    installed_executable(&dir).map(Ok).unwrap_or_else(|| install(&dir))
}

/// The CLI, or `None` (with the reason printed) when it can't be had here.
fn cli() -> Option<PathBuf> {
    static CLI: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match CLI.get_or_init(locate) {
        Ok(path) => Some(path.clone()),
        Err(reason) if std::env::var("PACT_BROKER_CLI_REQUIRED").is_ok_and(|v| v == "1") => {
            panic!("the pact-broker CLI is required but unavailable: {reason}")
        }
        Err(reason) => {
            // Straight to stderr, past the test harness's capture, so the skip shows in CI logs.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "skipping: the pact-broker CLI is unavailable ({reason})");
            None
        }
    }
}

// ==================================================================== running it

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

async fn pact_broker(cli: &Path, args: &[&str]) -> Run {
    let mut command = tokio::process::Command::new(cli);
    command.args(args).stdin(Stdio::null()).kill_on_drop(true);
    for var in ["PACT_BROKER_BASE_URL", "PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD", "PACT_BROKER_TOKEN"] {
        command.env_remove(var);
    }
    let output = tokio::time::timeout(CLI_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("pact-broker {args:?} took longer than {CLI_TIMEOUT:?}"))
        .expect("pact-broker runs");
    let run = Run { success: output.status.success(), stdout: plain(&output.stdout), stderr: plain(&output.stderr) };
    eprintln!("$ pact-broker {}\n{}{}", args.join(" "), run.stdout, run.stderr);
    run
}

fn pact_file(consumer: &str, provider: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("broker-cli-{}-{n}-{consumer}-{provider}.json", std::process::id()));
    let pact = json!({
        "consumer": { "name": consumer },
        "provider": { "name": provider },
        "interactions": [{
            "description": "a request for an order",
            "providerState": "an order exists",
            "request": { "method": "GET", "path": "/orders/1" },
            "response": { "status": 200, "body": { "id": 1 } }
        }],
        "metadata": { "pactSpecification": { "version": "2.0.0" } }
    });
    std::fs::write(&path, pact.to_string()).expect("the pact file is written");
    path
}

/// Publishes a successful verification the way a Rust provider build does.
async fn verify(broker: &BrokerDouble, provider: &str, version: &str, auth: Option<pact_models::http_utils::HttpAuth>) {
    let fetched = fetch_pacts_dynamically_from_broker(
        &broker.url(),
        provider.to_string(),
        false,
        None,
        vec![],
        Some("main".into()),
        vec![],
        auth.clone(),
        0,
    )
    .await
    .expect("pacts for verification");
    for result in fetched {
        let (_, _, links) = result.expect("a pact");
        publish_verification_results(
            links,
            &broker.url(),
            auth.clone(),
            TestResult::Ok(vec![]),
            version.into(),
            None,
            vec![],
            Some("main".into()),
            None,
            0,
        )
        .await
        .expect("the result is published");
    }
}

// ==================================================================== tests

#[tokio::test]
async fn publish_tag_deploy_and_can_i_deploy() {
    let Some(cli) = cli() else { return };
    let broker = BrokerDouble::start(BrokerOptions::new()).await.unwrap();
    let url = broker.url();
    let base = ["--broker-base-url", url.as_str()];
    let with_base = |args: &[&str]| -> Vec<String> { args.iter().chain(base.iter()).map(|s| s.to_string()).collect() };
    let run = |args: Vec<String>| {
        let cli = cli.clone();
        async move { pact_broker(&cli, &args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };

    let created = run(with_base(&["create-environment", "--name", "production", "--production"])).await;
    assert!(created.success, "{}", created.stdout);
    assert!(created.stdout.contains("Created production environment"), "{}", created.stdout);

    let file = pact_file("Foo", "Bar");
    let published =
        run(with_base(&["publish", file.to_str().unwrap(), "--consumer-app-version", "1.0.0", "--branch", "main"]))
            .await;
    assert!(published.success, "{}{}", published.stdout, published.stderr);
    assert!(published.stdout.contains("Pact published for Foo version 1.0.0 and provider Bar"), "{}", published.stdout);
    let pacts = broker.pacts();
    assert_eq!(pacts.len(), 1);
    assert_eq!((pacts[0].consumer_version.as_str(), pacts[0].branches.clone()), ("1.0.0", vec!["main".to_string()]));

    let tagged =
        run(with_base(&["create-version-tag", "--pacticipant", "Foo", "--version", "1.0.0", "--tag", "prod"])).await;
    assert!(tagged.success, "{}{}", tagged.stdout, tagged.stderr);
    assert_eq!(broker.pacts()[0].tags, vec!["prod"]);
    let missing =
        run(with_base(&["create-version-tag", "--pacticipant", "Foo", "--version", "9", "--tag", "prod"])).await;
    assert!(!missing.success, "tagging a version that doesn't exist fails without --auto-create-version");

    // The provider version exists (as after its CI published a branch) and is deployed.
    let status = reqwest_client()
        .put(format!("{url}/pacticipants/Bar/branches/main/versions/2.0.0"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
    let deployed = run(with_base(&[
        "record-deployment",
        "--pacticipant",
        "Bar",
        "--version",
        "2.0.0",
        "--environment",
        "production",
    ]))
    .await;
    assert!(deployed.success, "{}{}", deployed.stdout, deployed.stderr);
    assert!(deployed.stdout.contains("Recorded deployment of Bar version 2.0.0 to production"), "{}", deployed.stdout);

    let can_i_deploy = ["can-i-deploy", "--pacticipant", "Foo", "--version", "1.0.0", "--to-environment", "production"];
    let no = run(with_base(&can_i_deploy)).await;
    assert!(!no.success, "not verified yet: {}", no.stdout);
    assert!(no.stdout.contains("Computer says no"), "{}", no.stdout);
    assert!(no.stdout.contains("There is no verified pact"), "{}", no.stdout);

    verify(&broker, "Bar", "2.0.0", None).await;
    let yes = run(with_base(&can_i_deploy)).await;
    assert!(yes.success, "{}{}", yes.stdout, yes.stderr);
    assert!(yes.stdout.contains("Computer says yes"), "{}", yes.stdout);
    assert!(yes.stdout.contains("Foo") && yes.stdout.contains("2.0.0"), "the matrix table: {}", yes.stdout);

    // The same answer as JSON, and the provider's view once Foo is deployed too.
    let mut json_args = with_base(&can_i_deploy);
    json_args.extend(["--output".to_string(), "json".to_string()]);
    let json = run(json_args).await;
    let matrix: Value = serde_json::from_str(&json.stdout).expect("JSON output");
    assert_eq!(matrix["summary"]["deployable"], true);
    let deployed = run(with_base(&[
        "record-deployment",
        "--pacticipant",
        "Foo",
        "--version",
        "1.0.0",
        "--environment",
        "production",
    ]))
    .await;
    assert!(deployed.success);
    let provider = run(with_base(&[
        "can-i-deploy",
        "--pacticipant",
        "Bar",
        "--version",
        "2.0.0",
        "--to-environment",
        "production",
    ]))
    .await;
    assert!(provider.success, "{}", provider.stdout);

    std::fs::remove_file(file).ok();
}

#[tokio::test]
async fn credentials_are_checked_for_the_cli() {
    let Some(cli) = cli() else { return };
    let broker = BrokerDouble::start(BrokerOptions::new().with_basic_auth("ci", "s3cret")).await.unwrap();
    let url = broker.url();
    let file = pact_file("Web", "Api");
    let file = file.to_str().unwrap();
    let publish = |password: &'static str| {
        let cli = cli.clone();
        let url = url.clone();
        let file = file.to_string();
        async move {
            let args = [
                "publish",
                &file,
                "--consumer-app-version",
                "1",
                "--broker-base-url",
                &url,
                "--broker-username",
                "ci",
                "--broker-password",
                password,
            ];
            pact_broker(&cli, &args).await
        }
    };
    let rejected = publish("wrong").await;
    assert!(!rejected.success);
    assert!(broker.pacts().is_empty());
    assert!(broker.requests().iter().all(|r| r.status == 401));
    let accepted = publish("s3cret").await;
    assert!(accepted.success, "{}{}", accepted.stdout, accepted.stderr);
    assert_eq!(broker.pacts().len(), 1);
    std::fs::remove_file(file).ok();
}

#[tokio::test]
async fn bearer_tokens_releases_and_describing_versions() {
    let Some(cli) = cli() else { return };
    let broker = BrokerDouble::start(BrokerOptions::new().with_bearer_token("t0ken")).await.unwrap();
    let url = broker.url();
    let args = |extra: &[&str]| -> Vec<String> {
        extra
            .iter()
            .map(|s| s.to_string())
            .chain(["--broker-base-url".into(), url.clone(), "--broker-token".into(), "t0ken".into()])
            .collect()
    };
    let run = |args: Vec<String>| {
        let cli = cli.clone();
        async move { pact_broker(&cli, &args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };
    let file = pact_file("Mobile", "Api");
    let published =
        run(args(&["publish", file.to_str().unwrap(), "--consumer-app-version", "3.1", "--tag", "beta"])).await;
    assert!(published.success, "{}{}", published.stdout, published.stderr);
    broker.create_environment("app-store", true);
    let released =
        run(args(&["record-release", "--pacticipant", "Mobile", "--version", "3.1", "--environment", "app-store"]))
            .await;
    assert!(released.success, "{}{}", released.stdout, released.stderr);
    let described = run(args(&["describe-version", "--pacticipant", "Mobile", "--version", "3.1"])).await;
    assert!(described.success && described.stdout.contains("beta"), "{}", described.stdout);
    let environments = run(args(&["list-environments"])).await;
    assert!(environments.stdout.contains("app-store"), "{}", environments.stdout);

    // The released version is what a provider verifying `deployedOrReleased` gets.
    let got = fetch_pacts_dynamically_from_broker(
        &url,
        "Api".into(),
        false,
        None,
        vec![],
        None,
        vec![serde_json::from_value(json!({ "deployedOrReleased": true })).unwrap()],
        Some(pact_models::http_utils::HttpAuth::Token("t0ken".into())),
        0,
    )
    .await
    .unwrap();
    assert_eq!(got.len(), 1);
    std::fs::remove_file(file).ok();
}

fn reqwest_client() -> reqwest::Client {
    pact_runtime::install_crypto_provider();
    reqwest::Client::new()
}
