//! Pact plugin interactions (`plugins` feature) through real runs: the gRPC example's pacts
//! through the protobuf plugin built from `vendor/`, and what a run says when the plugin is not
//! installed, is too old, crashes or hangs, when the pact's protobuf descriptors are broken, and
//! when the gRPC app does not speak HTTP/2; and, with the broker double, publishing, pending and
//! WIP pacts and sharding for gRPC interactions. After every run no plugin process is left.
//!
//! The runs take turns (one lock): each checks that its plugin processes are gone when it ends,
//! which another run's plugins would blur.

use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::routing::get;
use grpc_provider::{app, broken_app, UserStore};
use pact_runtime::{
    after_each, before_each, provider_state, request_filter, verify_provider, Failure, HookContext, ProviderRequest,
    Settings, VerificationReport,
};
use pact_tests::{failure_lines, write_pact};
use serde_json::{json, Value};

static STORE: LazyLock<UserStore> = LazyLock::new(UserStore::default);

#[provider_state("user {id} exists")]
fn user_exists(id: u64) {
    grpc_provider::user_exists(&STORE, id);
}

#[provider_state("user {id} doesn't exist")]
fn user_does_not_exist(id: u64) {
    grpc_provider::user_does_not_exist(&STORE, id);
}

/// The most plugin processes seen running while a state was set up, for the run that lists the
/// plugin several times.
static MOST_PLUGIN_PROCESSES: Mutex<usize> = Mutex::new(0);

#[provider_state("user {id} exists", provider = "PluginsListedTwice")]
fn user_exists_counting_plugins(id: u64) {
    let running = plugin_processes_now().len();
    let mut most = MOST_PLUGIN_PROCESSES.lock().unwrap();
    *most = (*most).max(running);
    grpc_provider::user_exists(&STORE, id);
}

/// What the state of the next interaction does to the plugin process: nothing, kill it, or stop
/// it (a plugin that hangs).
static DO_TO_PLUGIN: Mutex<Option<&'static str>> = Mutex::new(None);

#[provider_state("user {id} exists", provider = "PluginsMistreated")]
fn user_exists_and_the_plugin_is_mistreated(id: u64) {
    if let Some(signal) = DO_TO_PLUGIN.lock().unwrap().take() {
        for pid in plugin_processes_now().iter().map(|(pid, _)| pid) {
            std::process::Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
        }
    }
    grpc_provider::user_exists(&STORE, id);
}

/// What the hooks and the request filter of provider `PluginsHooked` saw, in order.
static HOOKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[before_each(provider = "PluginsHooked")]
fn hooked_before(interaction: HookContext) {
    HOOKED.lock().unwrap().push(format!("before {}", interaction.description));
}

#[after_each(provider = "PluginsHooked")]
fn hooked_after(interaction: HookContext) {
    HOOKED.lock().unwrap().push(format!("after {}", interaction.description));
}

/// Sees the gRPC request as an HTTP one: `POST /<service>/<method>`, the metadata as headers.
#[request_filter(provider = "PluginsHooked")]
fn hooked_filter(request: &mut ProviderRequest) {
    HOOKED.lock().unwrap().push(format!("filter {} {}", request.method(), request.path()));
    request.set_header("authorization", "Bearer from-the-filter");
}

/// The `authorization` metadata each gRPC call reached the app with.
static AUTHORIZATIONS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The example's service, recording the `authorization` metadata of each call.
struct RecordingGrpc;

impl AppFn for RecordingGrpc {
    async fn verify(self, settings: &Settings) -> VerificationReport {
        use grpc_provider::proto::users_server::UsersServer;
        verify_provider(settings, || async {
            let service = UsersServer::with_interceptor(
                grpc_provider::UsersService::new(STORE.clone()),
                |request: tonic::Request<()>| {
                    let value = request.metadata().get("authorization").and_then(|value| value.to_str().ok());
                    AUTHORIZATIONS.lock().unwrap().push(value.unwrap_or("(none)").to_string());
                    Ok(request)
                },
            );
            tonic::transport::Server::builder().add_service(service)
        })
        .await
        .expect("the run starts")
    }
}

/// The runs take turns; a failed one does not stop the others.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

/// The plugin directory of this workspace's runs, with the protobuf plugin built and installed.
fn plugin_dir() -> PathBuf {
    static INSTALLED: LazyLock<PathBuf> = LazyLock::new(|| {
        pact_test_plugins::protobuf_plugin().expect("the protobuf plugin builds and installs");
        PathBuf::from(std::env::var_os("PACT_PLUGIN_DIR").expect("PACT_PLUGIN_DIR (.cargo/config.toml)"))
    });
    INSTALLED.clone()
}

fn example_pact(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/grpc-provider/pacts").join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The example's gRPC pact, for provider `provider`.
fn grpc_pact(provider: &str) -> Value {
    let mut pact = example_pact("UserWebApp-UserService.json");
    pact["provider"]["name"] = json!(provider);
    pact
}

async fn run(provider: &str, pact: &Value, timeout: Duration, app: impl AppFn) -> VerificationReport {
    plugin_dir();
    let file = write_pact("pact.json", pact);
    let settings =
        Settings::builder().pacts(file).provider(provider).request_timeout(timeout).build().expect("valid settings");
    let report = app.verify(&settings).await;
    let left = plugin_processes();
    assert!(left.is_empty(), "plugin processes outlived the run: {left:?}");
    report
}

/// The provider apps these tests boot.
trait AppFn {
    async fn verify(self, settings: &Settings) -> VerificationReport;
}

/// The example's tonic app.
struct Grpc;
/// The deliberately broken tonic app.
struct BrokenGrpc;
/// An HTTP/1-only server where the gRPC server should be.
struct Http1Only;
/// An axum app for the HTTP interactions and the tonic app for the gRPC ones.
struct Mixed;

impl AppFn for Grpc {
    async fn verify(self, settings: &Settings) -> VerificationReport {
        verify_provider(settings, || async { app(STORE.clone()) }).await.expect("the run starts")
    }
}

impl AppFn for BrokenGrpc {
    async fn verify(self, settings: &Settings) -> VerificationReport {
        verify_provider(settings, || async { broken_app(STORE.clone()) }).await.expect("the run starts")
    }
}

impl AppFn for Http1Only {
    async fn verify(self, settings: &Settings) -> VerificationReport {
        // Answers every connection in HTTP/1 and closes it, as an HTTP/1-only server does.
        verify_provider(settings, |listener: tokio::net::TcpListener| async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                tokio::spawn(async move {
                    let mut request = [0u8; 1024];
                    let _ = stream.read(&mut request).await;
                    let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
                });
            }
        })
        .await
        .expect("the run starts")
    }
}

impl AppFn for Mixed {
    async fn verify(self, settings: &Settings) -> VerificationReport {
        verify_provider(settings, || async {
            (axum::Router::new().route("/health", get(|| async { "ok" })), app(STORE.clone()))
        })
        .await
        .expect("the run starts")
    }
}

/// The processes this test process started from the plugin directory, still running, after
/// giving the kernel a moment to reap those just killed.
fn plugin_processes() -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let found = plugin_processes_now();
        if found.is_empty() || Instant::now() > deadline {
            return found.into_iter().map(|(_, command_line)| command_line).collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The processes this test process started from the plugin directory, running now: their pid
/// and command line.
fn plugin_processes_now() -> Vec<(u32, String)> {
    let dir = plugin_dir().canonicalize().unwrap();
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for process in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let path = process.path();
        let Some(pid) = path.file_name().and_then(|name| name.to_str()).and_then(|name| name.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else { continue };
        let mut fields = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace()).into_iter().flatten();
        let state = fields.next();
        let parent = fields.next();
        if parent != Some(me.as_str()) || state == Some("Z") {
            continue;
        }
        let command_line =
            String::from_utf8_lossy(&std::fs::read(path.join("cmdline")).unwrap_or_default()).replace('\0', " ");
        let exe = std::fs::read_link(path.join("exe")).unwrap_or_default();
        if exe.starts_with(&dir) || command_line.contains(dir.to_str().unwrap()) {
            found.push((pid, command_line));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grpc_pact_passes_against_the_service_and_fails_with_the_plugins_mismatch_against_the_broken_one() {
    let _turn = one_at_a_time().await;
    let pact = grpc_pact("PluginsFaithful");
    let report = run("PluginsFaithful", &pact, Duration::from_secs(20), Grpc).await;
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(report.results.len(), 2);

    let report = run("PluginsFaithful", &pact, Duration::from_secs(20), BrokenGrpc).await;
    let lines = failure_lines(&report);
    assert!(lines.iter().all(|line| !line.is_empty()), "{lines:?}");
    let all = lines.join("\n");
    assert!(all.contains("expected NOT_FOUND but received PERMISSION_DENIED"), "{all}");
    let mismatch = report.results.iter().flat_map(|result| &result.failures).find_map(|failure| match failure {
        Failure::Mismatch { path: Some(path), expected, actual, .. } if path.contains("email") => {
            Some((expected.clone(), actual.clone()))
        }
        _ => None,
    });
    assert!(mismatch.is_some(), "a mismatch at the email field: {all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_and_request_filters_run_for_grpc_interactions_and_reports_show_them() {
    let _turn = one_at_a_time().await;
    let pact = grpc_pact("PluginsHooked");
    let report = run("PluginsHooked", &pact, Duration::from_secs(20), RecordingGrpc).await;
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(
        *HOOKED.lock().unwrap(),
        [
            "before a request for user 42",
            "filter POST /users.v1.Users/GetUser",
            "after a request for user 42",
            "before a request for user 7",
            "filter POST /users.v1.Users/GetUser",
            "after a request for user 7",
        ]
    );
    assert_eq!(*AUTHORIZATIONS.lock().unwrap(), ["Bearer from-the-filter", "Bearer from-the-filter"]);

    // The JSON and JUnit reports carry a plugin's failures like any other.
    let mut pact = grpc_pact("PluginsHooked");
    pact["metadata"]["plugins"][0]["version"] = json!("9.0.0");
    let report = run("PluginsHooked", &pact, Duration::from_secs(20), RecordingGrpc).await;
    let json = serde_json::to_value(report.to_json("plugins")).unwrap().to_string();
    assert!(json.contains("\"PluginFailed\""), "{json}");
    let junit = report.to_junit_xml("plugins");
    assert!(junit.contains("PluginFailed") && junit.contains("is not installed in"), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_listed_several_times_is_started_once() {
    let _turn = one_at_a_time().await;
    let mut pact = grpc_pact("PluginsListedTwice");
    // As pact_consumer leaves a file that several plugin versions wrote.
    let entry = pact["metadata"]["plugins"][0].clone();
    let mut entries = vec![entry.clone()];
    for version in ["0.6.4", "0.4.0", "0.3.12"] {
        let mut older = entry.clone();
        older["version"] = json!(version);
        entries.push(older);
    }
    pact["metadata"]["plugins"] = Value::Array(entries);
    let report = run("PluginsListedTwice", &pact, Duration::from_secs(20), Grpc).await;
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(*MOST_PLUGIN_PROCESSES.lock().unwrap(), 1, "one plugin process for the four entries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_dies_or_hangs_mid_run_fails_its_interaction_and_the_run_goes_on() {
    let _turn = one_at_a_time().await;
    let pact = grpc_pact("PluginsMistreated");

    *DO_TO_PLUGIN.lock().unwrap() = Some("KILL");
    let report = run("PluginsMistreated", &pact, Duration::from_secs(20), Grpc).await;
    let lines = failure_lines(&report);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("plugin failed: the `protobuf` plugin"), "{}", lines[0]);

    *DO_TO_PLUGIN.lock().unwrap() = Some("STOP");
    let started = Instant::now();
    let report = run("PluginsMistreated", &pact, Duration::from_secs(2), Grpc).await;
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    let lines = failure_lines(&report);
    assert!(lines[0].contains("the `protobuf` plugin did not answer within 2s"), "{}", lines[0]);
    assert_eq!(report.results.len(), 2, "the run goes on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_app_serves_http_and_grpc_on_the_ports_each_needs() {
    let _turn = one_at_a_time().await;
    let mut pact = grpc_pact("PluginsMixed");
    pact["interactions"].as_array_mut().unwrap().push(json!({
        "type": "Synchronous/HTTP",
        "description": "a health check",
        "request": { "method": "GET", "path": "/health" },
        "response": { "status": 200, "headers": { "Content-Type": "text/plain; charset=utf-8" }, "body": { "content": "ok", "contentType": "text/plain" } }
    }));
    let report = run("PluginsMixed", &pact, Duration::from_secs(20), Mixed).await;
    assert!(report.is_success(), "{}", report.failure_summary());
    assert_eq!(report.results.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_is_not_installed_is_named_with_the_directory_searched_and_the_rest_is_verified() {
    let _turn = one_at_a_time().await;
    let mut pact = grpc_pact("PluginsMissing");
    pact["metadata"]["plugins"] = json!([{ "name": "nosuchplugin", "version": "1.2.0", "configuration": {} }]);
    for interaction in pact["interactions"].as_array_mut().unwrap() {
        let configuration = interaction["pluginConfiguration"]["protobuf"].take();
        interaction["pluginConfiguration"] = json!({ "nosuchplugin": configuration });
    }
    pact["interactions"].as_array_mut().unwrap().push(json!({
        "type": "Synchronous/HTTP",
        "description": "a health check",
        "request": { "method": "GET", "path": "/health" },
        "response": { "status": 200 }
    }));
    let report = run("PluginsMissing", &pact, Duration::from_secs(20), Mixed).await;
    let lines = failure_lines(&report);
    let dir = plugin_dir();
    for line in &lines[..2] {
        assert!(
            line.starts_with(&format!(
                "plugin failed: the Pact plugin `nosuchplugin` (version 1.2.0 or later, as the pact's metadata asks) is not installed in {}: none is installed there. Install it with pact-plugin-cli (`pact-plugin-cli install nosuchplugin`)",
                dir.display()
            )),
            "{line}"
        );
    }
    assert_eq!(lines[2], "", "the HTTP interaction is verified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installed_version_older_than_the_pact_asks_is_refused_naming_what_is_installed() {
    let _turn = one_at_a_time().await;
    let mut pact = grpc_pact("PluginsTooOld");
    pact["metadata"]["plugins"][0]["version"] = json!("0.9.0");
    let report = run("PluginsTooOld", &pact, Duration::from_secs(20), Grpc).await;
    let line = &failure_lines(&report)[0];
    assert!(
        line.contains(
            "the Pact plugin `protobuf` (version 0.9.0 or later, as the pact's metadata asks) is not installed in"
        ) && line.contains("installed there: 0.7.1"),
        "{line}"
    );
}

/// Installs a fake plugin `name` whose executable is `script`, and answers the pact that needs it.
fn fake_plugin(name: &str, script: &str) -> Value {
    let dir = plugin_dir().join(format!("{name}-1.0.0"));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = json!({
        "manifestVersion": 1, "pluginInterfaceVersion": 1, "name": name, "version": "1.0.0",
        "executableType": "exec", "entryPoint": "run.sh"
    });
    std::fs::write(dir.join("pact-plugin.json"), manifest.to_string()).unwrap();
    let executable = dir.join("run.sh");
    std::fs::write(&executable, format!("#!/bin/sh\n{script}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut pact = grpc_pact(&format!("Plugins-{name}"));
    pact["metadata"]["plugins"] = json!([{ "name": name, "version": "1.0.0", "configuration": {} }]);
    for interaction in pact["interactions"].as_array_mut().unwrap() {
        interaction["pluginConfiguration"] = json!({ name: {} });
    }
    pact
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_crashes_at_start_fails_its_interactions_with_its_stderr() {
    let _turn = one_at_a_time().await;
    let pact = fake_plugin("crashing", "echo 'crashing plugin: no port to bind' >&2\nexit 3");
    let started = Instant::now();
    let report = run("Plugins-crashing", &pact, Duration::from_secs(20), Grpc).await;
    let lines = failure_lines(&report);
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    for line in &lines {
        assert!(line.contains("the Pact plugin `crashing` 1.0.0"), "{line}");
        assert!(line.contains("did not start"), "{line}");
        assert!(line.contains("crashing plugin: no port to bind"), "the plugin's stderr: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_hangs_at_start_is_cut_off_and_killed() {
    let _turn = one_at_a_time().await;
    // `sleep 6001` is the plugin's own child: killed with it, or it would hold its output open.
    let pact = fake_plugin("silent", "echo 'silent plugin: waiting for nothing' >&2\nsleep 6001");
    let started = Instant::now();
    let report = run("Plugins-silent", &pact, Duration::from_millis(1500), Grpc).await;
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    let lines = failure_lines(&report);
    assert!(lines[0].contains("the Pact plugin `silent` 1.0.0"), "{}", lines[0]);
    assert!(lines[0].contains("did not start within 1.5s"), "{}", lines[0]);
    assert!(lines[0].contains("silent plugin: waiting for nothing"), "the plugin's stderr: {}", lines[0]);
    // The second interaction is not made to wait again: the failed load is remembered.
    assert!(lines[1].contains("did not start within 1.5s"), "{}", lines[1]);
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|process| std::fs::read(process.path().join("cmdline")).ok())
        .map(|command_line| String::from_utf8_lossy(&command_line).replace('\0', " "))
        .filter(|command_line| command_line.trim() == "sleep 6001")
        .collect();
    assert!(left.is_empty(), "the plugin's child outlived it: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_protobuf_descriptors_fail_with_the_plugins_error() {
    let _turn = one_at_a_time().await;
    let mut pact = grpc_pact("PluginsBrokenDescriptors");
    let descriptors = pact["metadata"]["plugins"][0]["configuration"].as_object_mut().unwrap();
    for entry in descriptors.values_mut() {
        entry["protoDescriptors"] = json!("bm90IGEgZGVzY3JpcHRvcg==");
    }
    let report = run("PluginsBrokenDescriptors", &pact, Duration::from_secs(20), Grpc).await;
    for line in failure_lines(&report) {
        assert!(line.starts_with("plugin failed: the `protobuf` plugin"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_app_that_does_not_speak_http2_is_named() {
    let _turn = one_at_a_time().await;
    let pact = grpc_pact("PluginsHttp1");
    let report = run("PluginsHttp1", &pact, Duration::from_secs(5), Http1Only).await;
    for line in failure_lines(&report) {
        assert!(line.contains("gRPC needs HTTP/2"), "{line}");
    }
}

// ==================================================================== with a Pact Broker
//
// Publishing, pending and WIP pacts and sharding for gRPC interactions, against the broker
// double, as `broker_verification.rs` and `sharding.rs` prove them for HTTP ones. The settings
// resolve from an explicit environment (`Settings::resolve_with`); every test is bounded in time.

/// Settings for `provider` (a 20 s request timeout) from the explicit environment `env`.
fn broker_settings(provider: &'static str, env: &[(&str, &str)]) -> Settings {
    let options: Vec<(&'static str, &'static str)> = vec![("provider", provider), ("request_timeout_ms", "20000")];
    let spec = pact_runtime::config::ProviderTestSpec {
        test_name: "plugins",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: Box::leak(options.into_boxed_slice()),
    };
    let env: std::collections::HashMap<String, String> =
        env.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    Settings::resolve_with(&spec, move |name| env.get(name).cloned())
        .unwrap_or_else(|error| panic!("configuration error: {error}"))
}

/// Verifies `provider` with the pacts the environment `env` points at; no plugin process may
/// outlive the run. The caller has called `plugin_dir()`.
async fn broker_run(provider: &'static str, env: &[(&str, &str)], app: impl AppFn) -> VerificationReport {
    let report = app.verify(&broker_settings(provider, env)).await;
    println!("{report}");
    let left = plugin_processes();
    assert!(left.is_empty(), "plugin processes outlived the run: {left:?}");
    report
}

/// Runs a test body, failing the test if it takes longer than `bound`.
async fn bounded<T>(bound: Duration, body: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let outcome = tokio::time::timeout(bound, body).await;
    println!("took {:.0} ms (bound {} s)", started.elapsed().as_secs_f64() * 1000.0, bound.as_secs());
    outcome.unwrap_or_else(|_| panic!("the test did not finish within {bound:?}"))
}

async fn start_broker() -> pact_broker_double::BrokerDouble {
    pact_runtime::install_crypto_provider();
    pact_broker_double::BrokerDouble::start(pact_broker_double::BrokerOptions::new())
        .await
        .expect("the broker double starts")
}

/// The gRPC pact's two interactions.
const GRPC_INTERACTIONS: [&str; 2] = ["a request for user 42", "a request for user 7"];

/// The `testResults` entry for an interaction description.
fn test_result<'a>(record: &'a pact_broker_double::VerificationRecord, description: &str) -> &'a Value {
    record
        .test_results
        .as_ref()
        .and_then(Value::as_array)
        .and_then(|results| results.iter().find(|r| r["interactionDescription"] == description))
        .unwrap_or_else(|| panic!("no test result for `{description}` in {:?}", record.test_results))
}

/// The `_id` the broker gave the interaction `description` of the pact `sha`.
fn interaction_id(broker: &pact_broker_double::BrokerDouble, sha: &str, description: &str) -> String {
    let record = broker.pacts().into_iter().find(|p| p.sha == sha).expect("the pact is stored");
    record.content["interactions"]
        .as_array()
        .and_then(|list| list.iter().find(|i| i["description"] == description))
        .and_then(|i| i["_id"].as_str())
        .unwrap_or_else(|| panic!("no `_id` for `{description}`"))
        .to_string()
}

// Bound: 30 s (two runs, each starting the plugin, against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_results_are_published_per_interaction_with_the_plugins_mismatches() {
    let _turn = one_at_a_time().await;
    plugin_dir(); // built and installed before the bound: the first call in a process builds it
    bounded(Duration::from_secs(30), async {
        let broker = start_broker().await;
        let published =
            broker.publish_pact("UserWebApp", "1.0.0", Some("main"), &[], grpc_pact("PluginsPublished")).unwrap();
        let url = broker.url();
        let env = |version| {
            [
                ("PACT_BROKER_BASE_URL", url.as_str()),
                ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
                ("PACT_PROVIDER_VERSION", version),
                ("PACT_PROVIDER_BRANCH", "main"),
            ]
        };
        let report = broker_run("PluginsPublished", &env("grpc-1"), Grpc).await;
        assert!(report.is_success(), "{}", report.failure_summary());
        assert_eq!(report.results.len(), 2, "{report}");
        assert_eq!(report.publish_failures().count(), 0, "{report}");
        let outcomes: Vec<_> = report.publications.iter().map(|p| p.outcome.clone()).collect();
        assert_eq!(outcomes, vec![Ok(true)]);

        let records = broker.verification_results();
        assert_eq!(records.len(), 1, "one result for the pact: {records:?}");
        let record = &records[0];
        assert_eq!(
            (record.provider.as_str(), record.consumer.as_str(), record.provider_version.as_str()),
            ("PluginsPublished", "UserWebApp", "grpc-1")
        );
        assert_eq!(record.pact_version_sha, published.sha);
        assert!(record.success && !record.wip, "{record:?}");
        assert_eq!(record.provider_branches, vec!["main".to_string()]);
        assert_eq!(record.verified_by.as_ref().unwrap()["implementation"], "pact-runtime");
        assert_eq!(record.test_results.as_ref().and_then(Value::as_array).map(Vec::len), Some(2));
        for description in GRPC_INTERACTIONS {
            let entry = test_result(record, description);
            assert_eq!(entry["success"], true, "{entry}");
            assert_eq!(entry["interactionId"], interaction_id(&broker, &published.sha, description), "{entry}");
            assert!(entry.get("mismatches").is_none(), "{entry}");
        }

        // The broken service: a failed result, with the plugin's mismatches per interaction.
        let report = broker_run("PluginsPublished", &env("grpc-2"), BrokenGrpc).await;
        assert!(!report.is_success(), "{report}");
        assert_eq!(report.counts(), "0 passed, 2 failed");
        assert_eq!(report.publish_failures().count(), 0, "{report}");
        let outcomes: Vec<_> = report.publications.iter().map(|p| p.outcome.clone()).collect();
        assert_eq!(outcomes, vec![Ok(false)]);
        let records: Vec<_> =
            broker.verification_results().into_iter().filter(|r| r.provider_version == "grpc-2").collect();
        assert_eq!(records.len(), 1, "{records:?}");
        let record = &records[0];
        assert_eq!(record.pact_version_sha, published.sha);
        assert!(!record.success, "{record:?}");
        assert_eq!(record.test_results.as_ref().and_then(Value::as_array).map(Vec::len), Some(2));
        for (description, fragments) in [
            ("a request for user 42", &["$.email", "Ada Lovelace"][..]),
            ("a request for user 7", &["expected NOT_FOUND but received PERMISSION_DENIED"][..]),
        ] {
            let entry = test_result(record, description);
            assert_eq!(entry["success"], false, "{entry}");
            assert_eq!(entry["interactionId"], interaction_id(&broker, &published.sha, description), "{entry}");
            let mismatches = entry["mismatches"].as_array().unwrap_or_else(|| panic!("mismatches in {entry}"));
            assert!(!mismatches.is_empty(), "{entry}");
            let text = Value::Array(mismatches.clone()).to_string();
            for fragment in fragments {
                assert!(
                    text.contains(fragment),
                    "`{fragment}` is not in the published mismatches of `{description}`: {entry}"
                );
            }
        }
    })
    .await;
}

// Bound: 30 s (two runs, each starting the plugin, against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_grpc_pact_failing_does_not_fail_the_run() {
    let _turn = one_at_a_time().await;
    plugin_dir(); // built and installed before the bound: the first call in a process builds it
    bounded(Duration::from_secs(30), async {
        let broker = start_broker().await;
        broker.publish_pact("UserWebApp", "1.0.0", Some("main"), &[], grpc_pact("PluginsPending")).unwrap();
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}]"#),
            ("PACT_ENABLE_PENDING", "true"),
            ("PACT_PROVIDER_BRANCH", "feat-new"),
        ];
        let report = broker_run("PluginsPending", &env, BrokenGrpc).await;
        assert!(report.is_success(), "a pending pact's failure must not fail the run:\n{report}");
        assert_eq!(report.counts(), "0 passed, 0 failed, 2 pending failed");
        for description in GRPC_INTERACTIONS {
            let result = report.results.iter().find(|r| r.description == description).unwrap();
            assert!(result.pending && !result.passed() && !result.wip, "{result:?}");
            let pending_line = format!("~ pending-failed  {description} [");
            assert!(report.to_string().contains(&pending_line), "{report}");
        }
        // The plugin's mismatches are still reported.
        assert!(failure_lines(&report).join("\n").contains("expected NOT_FOUND but received PERMISSION_DENIED"));
        let notices = report.notices.join("\n");
        assert!(notices.contains("This pact is pending for this version of PluginsPending"), "{notices}");

        // Once a version on the branch has verified it, the pact is no longer pending, and the
        // same failures fail the run.
        broker
            .record_verification("PluginsPending", "p-1", "UserWebApp", "1.0.0", true, Some("feat-new"), &[])
            .unwrap();
        let report = broker_run("PluginsPending", &env, BrokenGrpc).await;
        assert!(!report.is_success(), "{report}");
        assert_eq!(report.counts(), "0 passed, 2 failed");
        assert!(report.results.iter().all(|r| !r.pending), "{report}");
    })
    .await;
}

// Bound: 30 s (one run, starting the plugin, against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wip_grpc_pact_is_verified_as_wip_and_its_result_published_as_wip() {
    let _turn = one_at_a_time().await;
    plugin_dir(); // built and installed before the bound: the first call in a process builds it
    bounded(Duration::from_secs(30), async {
        let broker = start_broker().await;
        let main = broker.publish_pact("UserWebApp", "1.0.0", Some("main"), &[], grpc_pact("PluginsWip")).unwrap();
        // The same calls, described anew on a feature branch: another pact content.
        let mut wip = grpc_pact("PluginsWip");
        for interaction in wip["interactions"].as_array_mut().unwrap() {
            let description = format!("{} (feat-wip)", interaction["description"].as_str().unwrap());
            interaction["description"] = json!(description);
        }
        let wip = broker.publish_pact("UserWebApp", "1.1.0", Some("feat-wip"), &[], wip).unwrap();
        // The provider branch has verified the main pact, so only the WIP pact is pending.
        broker
            .record_verification(
                "PluginsWip",
                "wip-provider-0",
                "UserWebApp",
                "1.0.0",
                true,
                Some("provider-main"),
                &[],
            )
            .unwrap();
        let url = broker.url();
        let env = [
            ("PACT_BROKER_BASE_URL", url.as_str()),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBranch": true}]"#),
            ("PACT_ENABLE_PENDING", "true"),
            ("PACT_INCLUDE_WIP_PACTS_SINCE", "2021-01-01"),
            ("PACT_PROVIDER_BRANCH", "provider-main"),
            ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
            ("PACT_PROVIDER_VERSION", "wip-provider-1"),
        ];
        let report = broker_run("PluginsWip", &env, Grpc).await;
        assert!(report.is_success(), "{}", report.failure_summary());
        assert_eq!(report.results.len(), 4, "{report}");
        for result in &report.results {
            let is_wip = result.description.ends_with("(feat-wip)");
            assert_eq!((result.wip, result.pending), (is_wip, is_wip), "{result:?}");
        }
        assert!(report.to_string().contains("a request for user 42 (feat-wip) [WIP] [`user 42 exists`]"), "{report}");
        let notices = report.notices.join("\n");
        assert!(notices.contains("is included as a work in progress pact"), "{notices}");

        let records = broker.verification_results();
        let records: Vec<_> = records.iter().filter(|r| r.provider_version == "wip-provider-1").collect();
        assert_eq!(records.len(), 2, "{records:?}");
        for (sha, wip) in [(&main.sha, false), (&wip.sha, true)] {
            let record = records.iter().find(|r| &r.pact_version_sha == sha).unwrap();
            assert_eq!((record.wip, record.success), (wip, true), "{record:?}");
            assert_eq!(record.test_results.as_ref().and_then(Value::as_array).map(Vec::len), Some(2), "{record:?}");
        }
    })
    .await;
}

// Bound: 30 s (two runs, each starting the plugin, against a local double).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_split_the_grpc_interactions_and_each_is_verified_and_published_once() {
    let _turn = one_at_a_time().await;
    plugin_dir(); // built and installed before the bound: the first call in a process builds it
    bounded(Duration::from_secs(30), async {
        // Sharding shares out whole pacts: the gRPC pact split in two, a consumer per call.
        let broker = start_broker().await;
        let mut shas = std::collections::BTreeMap::new();
        for (index, consumer) in ["UserWebApp", "UserAdminApp"].into_iter().enumerate() {
            let mut pact = grpc_pact("PluginsSharded");
            pact["consumer"]["name"] = json!(consumer);
            let interaction = pact["interactions"][index].take();
            pact["interactions"] = json!([interaction]);
            let published = broker.publish_pact(consumer, "1.0.0", Some("main"), &[], pact).unwrap();
            shas.insert(consumer.to_string(), published.sha);
        }
        let url = broker.url();
        let mut verified_by: std::collections::BTreeMap<String, Vec<&str>> = std::collections::BTreeMap::new();
        for shard in ["1/2", "2/2"] {
            let env = [
                ("PACT_BROKER_BASE_URL", url.as_str()),
                ("PACT_SHARD", shard),
                ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
                ("GIT_COMMIT", "abc123"),
            ];
            let report = broker_run("PluginsSharded", &env, Grpc).await;
            assert!(report.is_success(), "shard {shard}: {}", report.failure_summary());
            assert_eq!(report.results.len(), 1, "shard {shard}: {report}");
            assert_eq!(report.publish_failures().count(), 0, "{report}");
            assert_eq!(report.publications.len(), 1, "shard {shard}: {:?}", report.publications);
            for result in &report.results {
                verified_by.entry(result.description.clone()).or_default().push(shard);
            }
        }
        assert_eq!(verified_by.keys().map(String::as_str).collect::<Vec<_>>(), GRPC_INTERACTIONS, "{verified_by:?}");
        for (description, shards) in &verified_by {
            assert_eq!(shards.len(), 1, "`{description}` was verified by shards {shards:?}");
        }
        assert_ne!(verified_by["a request for user 42"], verified_by["a request for user 7"]);
        let records = broker.verification_results();
        assert_eq!(records.len(), 2, "one published result per pact: {records:?}");
        let published: std::collections::BTreeMap<String, String> =
            records.iter().map(|record| (record.consumer.clone(), record.pact_version_sha.clone())).collect();
        assert_eq!(published, shas, "every pact's result published once");
        assert!(records.iter().all(|record| record.success && record.provider_version == "abc123"), "{records:?}");
    })
    .await;
}
