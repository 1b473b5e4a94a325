//! Pact plugin interactions (`plugins` feature) through real runs: the gRPC example's pacts
//! through the protobuf plugin built from `vendor/`, and what a run says when the plugin is not
//! installed, is too old, crashes or hangs, when the pact's protobuf descriptors are broken, and
//! when the gRPC app does not speak HTTP/2. After every run no plugin process is left.
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
    let pact = fake_plugin("silent", "echo 'silent plugin: waiting for nothing' >&2\nsleep 600");
    let started = Instant::now();
    let report = run("Plugins-silent", &pact, Duration::from_millis(1500), Grpc).await;
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    let lines = failure_lines(&report);
    assert!(lines[0].contains("the Pact plugin `silent` 1.0.0"), "{}", lines[0]);
    assert!(lines[0].contains("did not start within 1.5s"), "{}", lines[0]);
    assert!(lines[0].contains("silent plugin: waiting for nothing"), "the plugin's stderr: {}", lines[0]);
    // The second interaction is not made to wait again: the failed load is remembered.
    assert!(lines[1].contains("did not start within 1.5s"), "{}", lines[1]);
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
