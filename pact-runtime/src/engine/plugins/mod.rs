//! Pact plugins (the `plugins` feature): the plugins a pact names, loaded through Pact's plugin
//! driver (`pact-plugin-driver`, as `pact_verifier` uses it), and the interactions verified
//! through them ([`transport`]: a gRPC call or any other plugin transport).
//!
//! What this module adds to the driver, each for a trap found with it:
//! - **Each plugin once.** A pact's `metadata.plugins` may list one plugin several times (one
//!   entry per version that ever wrote the file); the driver would start a process per entry.
//!   We load each name once, at the highest installed version that satisfies every entry.
//! - **A runtime of their own.** The driver blocks its thread while a plugin starts and keeps
//!   plugin connections on the runtime that loaded them. Plugins are loaded and called on one
//!   process-wide runtime, so neither the app's runtime nor a test's short-lived one is blocked
//!   or needed afterwards, and every call is bounded by the caller's timeout.
//! - **No plugin outlives the runs.** Every engine that loaded plugins holds a lease; when the
//!   last lease ends the driver shuts every plugin process down. A plugin that did not start in
//!   time is killed, not left behind.
//! - **No network.** A plugin that is not installed is an error that names the plugin, the
//!   versions wanted and the directory searched, before the driver would try to download one.
//! - **The plugin's words.** The last lines a plugin wrote to stderr go with its errors.

pub(crate) mod transport;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
#[cfg(target_os = "linux")]
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use pact_plugin_driver::plugin_log_sink::{PluginLogEntry, PluginLogSink, PluginLogSource};
use pact_plugin_driver::plugin_manager;
use pact_plugin_driver::plugin_models::{PluginDependency, PluginDependencyType};
use semver::Version;

use crate::hooks::Hooks;
use crate::pacts::{Interaction, LoadedPact};
use crate::report::Failure;

/// How many of a plugin's last stderr lines are kept for its errors, and how long each may be.
const STDERR_LINES: usize = 20;
const STDERR_LINE_CHARS: usize = 400;

/// What an engine needs for its plugin interactions: where plugin transports reach the provider,
/// the bound of each plugin call, and its hold on the loaded plugins.
#[derive(Debug)]
pub(crate) struct PluginTarget {
    host: String,
    /// The base URL's port, for a transport without a port of its own.
    port: Option<u16>,
    transport_ports: HashMap<String, u16>,
    timeout: Duration,
    /// Whether the gRPC server on each port speaks HTTP/2, checked once.
    http2_checked: Mutex<HashMap<u16, Result<(), String>>>,
    _lease: PluginLease,
}

impl PluginTarget {
    pub(crate) fn new(host: &str, port: Option<u16>, transport_ports: HashMap<String, u16>, timeout: Duration) -> Self {
        PluginTarget {
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port,
            transport_ports,
            timeout,
            http2_checked: Mutex::new(HashMap::new()),
            _lease: PluginLease::new(),
        }
    }

    /// The plugins `needed` of `loaded`, loaded (each once, bounded by the request timeout).
    pub(crate) async fn ensure_loaded(&self, loaded: &LoadedPact, needed: &[String]) -> Result<(), String> {
        ensure_loaded(loaded, needed, self.timeout).await
    }

    /// Verifies an interaction over a plugin's transport (a gRPC call) through the plugin, or
    /// answers `None` for one without a transport of its own (a message a plugin matches).
    pub(crate) async fn exchange(
        &self,
        loaded: &LoadedPact,
        interaction: &Interaction<'_>,
        state_values: &HashMap<String, serde_json::Value>,
        custom_headers: &[(String, String)],
        hooks: Option<&Hooks>,
    ) -> Option<Vec<Failure>> {
        let v4 = interaction.as_v4()?;
        let transport = v4.transport().filter(|transport| !matches!(transport.as_str(), "" | "http" | "https"))?;
        let Some(pact) = loaded.v4_pact_of(v4.as_ref()).map(Arc::new) else {
            return Some(vec![Failure::Plugin {
                plugin: String::new(),
                message: format!("pact {} is not a V4 pact: Pact plugins verify V4 pacts only", loaded.source),
            }]);
        };
        let port = self.transport_ports.get(&transport).copied().or(self.port);
        if let (Some(port), "grpc") = (port, transport.as_str()) {
            if let Err(message) = self.check_http2(port).await {
                return Some(vec![Failure::Request { message }]);
            }
        }
        let call = transport::TransportCall {
            pact,
            interaction: v4,
            transport,
            host: self.host.clone(),
            port,
            state_values,
            custom_headers,
            hooks,
            timeout: self.timeout,
        };
        Some(transport::verify(call).await)
    }

    /// Whether the gRPC server on `port` speaks HTTP/2, asked once per port.
    async fn check_http2(&self, port: u16) -> Result<(), String> {
        let known = self.http2_checked.lock().unwrap_or_else(PoisonError::into_inner).get(&port).cloned();
        if let Some(checked) = known {
            return checked;
        }
        let checked = transport::speaks_http2(&self.host, port, self.timeout).await;
        self.http2_checked.lock().unwrap_or_else(PoisonError::into_inner).insert(port, checked.clone());
        checked
    }

    /// `matching` (Pact's message matching, which asks a plugin for the contents it matches),
    /// bounded by the request timeout.
    pub(crate) async fn bounded_matching(
        &self,
        interaction: &Interaction<'_>,
        matching: impl Future<Output = Vec<Failure>>,
    ) -> Vec<Failure> {
        match tokio::time::timeout(self.timeout, matching).await {
            Ok(failures) => failures,
            Err(_) => vec![Failure::Plugin {
                plugin: String::new(),
                message: format!(
                    "matching the message of `{}` through its plugin did not finish within {:?} (`request_timeout_ms`, PACT_REQUEST_TIMEOUT_MS)",
                    interaction.description(),
                    self.timeout
                ),
            }],
        }
    }
}

/// How long dropping the last engine waits for the plugins to be shut down.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// The runtime every plugin is loaded and called on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pact-plugins")
            .enable_all()
            .build()
            .expect("cannot start the Pact plugin runtime")
    })
}

/// Runs `future` on the plugin runtime and waits at most `timeout` for it. `None` when it did not
/// finish in time (it is cancelled) or panicked.
pub(crate) async fn bounded<T: Send + 'static>(
    timeout: Duration,
    future: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let task = runtime().spawn(future);
    let abort = task.abort_handle();
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(_)) => None,
        Err(_) => {
            abort.abort();
            None
        }
    }
}

/// Runs `make()`'s future on a thread of its own, on the plugin runtime, and waits at most
/// `timeout` for it: for the driver's futures that are not `Send` (its plugin loading holds a
/// lock across its awaits). `None` when it did not finish in time or panicked; the thread then
/// finishes in the background.
async fn bounded_on_thread<T: Send + 'static, F: Future<Output = T>>(
    timeout: Duration,
    make: impl FnOnce() -> F + Send + 'static,
) -> Option<T> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("pact-plugins-load".to_string())
        .spawn(move || {
            let _ = sender.send(runtime().block_on(make()));
        })
        .ok()?;
    tokio::time::timeout(timeout, receiver).await.ok()?.ok()
}

/// What the process has loaded, and how many engines still use it.
#[derive(Default)]
struct Registry {
    leases: usize,
    /// By plugin name: the version loaded, or why it could not be.
    loaded: HashMap<String, Result<String, String>>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    // Never held across an await; a panic while it was held leaves it consistent.
    REGISTRY.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner)
}

/// Loads are made one at a time: the driver holds its own lock across a plugin's start.
static LOADING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An engine's hold on the loaded plugins: when the last one is dropped, every plugin process
/// is shut down.
#[derive(Debug)]
pub(crate) struct PluginLease {
    _private: (),
}

impl PluginLease {
    pub(crate) fn new() -> PluginLease {
        registry().leases += 1;
        PluginLease { _private: () }
    }
}

impl Drop for PluginLease {
    fn drop(&mut self) {
        let mut registry = registry();
        registry.leases -= 1;
        if registry.leases == 0 && !registry.loaded.is_empty() {
            registry.loaded.clear();
            // The driver's shutdown takes its register's lock, which a load that did not finish
            // may hold: off this thread, so dropping an engine never waits on a plugin.
            let (done, finished) = std::sync::mpsc::channel();
            let shutdown = std::thread::Builder::new().name("pact-plugins-shutdown".to_string()).spawn(move || {
                plugin_manager::shutdown_plugins();
                let _ = done.send(());
            });
            if shutdown.is_ok() {
                let _ = finished.recv_timeout(SHUTDOWN_WAIT);
            }
        }
    }
}

/// The plugins `needed` (as `loaded`'s metadata lists them), loaded (each once) within
/// `timeout`; the error names each plugin that could not be, and why.
async fn ensure_loaded(loaded: &LoadedPact, needed: &[String], timeout: Duration) -> Result<(), String> {
    let mut errors = Vec::new();
    // Per interaction, the plugins are known: the pact's plugin data (its protobuf descriptors)
    // is copied only when one must be loaded.
    let unknown: Vec<&String> = needed
        .iter()
        .filter(|name| match known(name) {
            Some(Ok(())) => false,
            Some(Err(error)) => {
                errors.push(error);
                false
            }
            None => true,
        })
        .collect();
    if !unknown.is_empty() {
        // Pact's core entries in the plugin catalogue, which plugins may ask for, only once a
        // plugin is needed: with its content matchers registered, every body Pact matches
        // compiles a regex per content-type pattern (pact-plugin-driver's
        // `find_content_matcher`), which made a 0.10 ms interaction take 0.25 ms.
        pact_matching::matchingrules::configure_core_catalogue();
        let mut wanted = wanted_plugins(loaded);
        wanted.retain(|(name, _)| unknown.contains(&name));
        for (name, versions) in wanted {
            if let Err(error) = ensure_plugin(&name, &versions, timeout).await {
                errors.push(error);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// The plugins a pact's metadata lists, each name once with every version its entries ask for.
fn wanted_plugins(loaded: &LoadedPact) -> Vec<(String, Vec<String>)> {
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    for plugin in loaded.pact.plugin_data() {
        // As pact_verifier reads it: the first three parts of the version.
        let version = plugin.version.split('.').take(3).collect::<Vec<_>>().join(".");
        match wanted.iter_mut().find(|(name, _)| *name == plugin.name) {
            Some((_, versions)) if !versions.contains(&version) => versions.push(version),
            Some(_) => {}
            None => wanted.push((plugin.name.clone(), vec![version])),
        }
    }
    wanted
}

async fn ensure_plugin(name: &str, versions: &[String], timeout: Duration) -> Result<(), String> {
    if let Some(known) = known(name) {
        return known;
    }
    let _loading = LOADING.lock().await;
    if let Some(known) = known(name) {
        return known;
    }
    let outcome = load(name, versions, timeout).await;
    registry().loaded.insert(name.to_string(), outcome.clone());
    outcome.map(|_| ())
}

/// What the runs know of plugin `name`: loaded and still running, or why it could not be loaded.
/// `None` when it must be loaded (again: another user of the driver in this process, such as
/// `pact_verifier`, may have shut every plugin down).
fn known(name: &str) -> Option<Result<(), String>> {
    let mut registry = registry();
    match registry.loaded.get(name)? {
        Err(error) => Some(Err(error.clone())),
        Ok(version) => {
            let dependency = PluginDependency {
                name: name.to_string(),
                version: Some(version.clone()),
                dependency_type: PluginDependencyType::Plugin,
            };
            if plugin_manager::lookup_plugin(&dependency).is_some() {
                Some(Ok(()))
            } else {
                registry.loaded.remove(name);
                None
            }
        }
    }
}

/// Finds the best installed version of plugin `name` for `versions` and starts it.
async fn load(name: &str, versions: &[String], timeout: Duration) -> Result<String, String> {
    install_stderr_sink();
    let plugin_dir = plugin_dir()?;
    let installed = installed_versions(&plugin_dir, name);
    let wanted = versions.iter().filter_map(|version| lenient_version(version)).max();
    let wanted_text = versions.join(", ");
    let Some(best) = installed
        .iter()
        .filter(|(version, _)| wanted.as_ref().is_none_or(|wanted| version >= wanted))
        .max_by(|a, b| a.0.cmp(&b.0))
    else {
        let found = if installed.is_empty() {
            "none is installed there".to_string()
        } else {
            format!(
                "installed there: {}",
                installed.iter().map(|(version, _)| version.to_string()).collect::<Vec<_>>().join(", ")
            )
        };
        return Err(format!(
            "the Pact plugin `{name}` (version {wanted_text} or later, as the pact's metadata asks) is not installed in {}: {found}. Install it with pact-plugin-cli (`pact-plugin-cli install {name}`), or unpack its release into `{}/{name}-<version>/` with its pact-plugin.json; set PACT_PLUGIN_DIR to use another plugin directory",
            plugin_dir.display(),
            plugin_dir.display(),
        ));
    };
    let (version, dir) = (best.0.to_string(), best.1.clone());
    let dependency = PluginDependency {
        name: name.to_string(),
        version: Some(version.clone()),
        dependency_type: PluginDependencyType::Plugin,
    };
    // Set when the caller gave up, so that a plugin that starts after all is shut down.
    let abandoned = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let abandoned_in_task = abandoned.clone();
    let started = bounded_on_thread(timeout, move || async move {
        let outcome = plugin_manager::load_plugin(&dependency).await;
        if let Ok(plugin) = &outcome {
            if abandoned_in_task.load(std::sync::atomic::Ordering::SeqCst) {
                if let Some(instance) = plugin_manager::lookup_plugin(&plugin.manifest.as_dependency()) {
                    plugin_manager::shutdown_plugin(instance.as_ref());
                }
            }
        }
        outcome.map(|_| ()).map_err(|err| format!("{err:#}"))
    })
    .await;
    if started.is_none() {
        abandoned.store(true, std::sync::atomic::Ordering::SeqCst);
        // Its process may be up and silent: end it, which also frees the driver.
        kill_children_running(&dir);
    }
    if !matches!(started, Some(Ok(()))) {
        // The driver reads the plugin's stderr on a thread of its own: give it a moment.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    match started {
        Some(Ok(())) => Ok(version),
        Some(Err(error)) => Err(format!(
            "the Pact plugin `{name}` {version} (in {}) did not start: {error}{}",
            dir.display(),
            stderr_tail(name)
        )),
        None => {
            Err(format!(
                "the Pact plugin `{name}` {version} (in {}) did not start within {timeout:?} (`request_timeout_ms`, PACT_REQUEST_TIMEOUT_MS, bounds each plugin call){}",
                dir.display(),
                stderr_tail(name)
            ))
        }
    }
}

/// Where the driver looks for plugins: `PACT_PLUGIN_DIR`, else `~/.pact/plugins`.
fn plugin_dir() -> Result<PathBuf, String> {
    match std::env::var_os("PACT_PLUGIN_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .map(|home| PathBuf::from(home).join(".pact").join("plugins"))
            .ok_or_else(|| {
                "no Pact plugin directory: set PACT_PLUGIN_DIR (there is no home directory for ~/.pact/plugins)"
                    .to_string()
            }),
    }
}

/// Each installed version of plugin `name` in `plugin_dir` (a folder per plugin version with
/// its `pact-plugin.json`), with its folder.
fn installed_versions(plugin_dir: &Path, name: &str) -> Vec<(Version, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(plugin_dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let dir = entry.path();
            let manifest = std::fs::read(dir.join("pact-plugin.json")).ok()?;
            let manifest: serde_json::Value = serde_json::from_slice(&manifest).ok()?;
            (manifest.get("name")?.as_str()? == name)
                .then(|| lenient_version(manifest.get("version")?.as_str()?))
                .flatten()
                .map(|version| (version, dir))
        })
        .collect()
}

/// A version as plugins write them (`0.7`, `0.7.1`, `0.7.1-beta`), pre-release dropped.
fn lenient_version(text: &str) -> Option<Version> {
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|part| part.parse::<u64>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some(Version::new(major, minor, patch))
}

/// Kills the child processes of this process started from `dir` (their executable, or the
/// script an interpreter runs, lies in it), with everything they started: a plugin that started
/// but never answered, whose descendants would otherwise hold its output open. Linux only (it
/// reads `/proc`); elsewhere the driver's own shutdown is all there is.
fn kill_children_running(dir: &Path) {
    #[cfg(target_os = "linux")]
    {
        let Ok(dir) = dir.canonicalize() else { return };
        let Ok(entries) = std::fs::read_dir("/proc") else { return };
        // Every process with its parent.
        let processes: Vec<(u32, u32)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
                let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                // `pid (comm) state ppid ...`: the command may hold spaces and parentheses.
                let parent = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse::<u32>().ok()?;
                Some((pid, parent))
            })
            .collect();
        let started_from_dir = |pid: u32| {
            let path = PathBuf::from(format!("/proc/{pid}"));
            let exe = std::fs::read_link(path.join("exe")).ok();
            let command_line = std::fs::read(path.join("cmdline")).unwrap_or_default();
            exe.is_some_and(|exe| exe.starts_with(&dir))
                || command_line
                    .split(|byte| *byte == 0)
                    .take(2)
                    .any(|argument| Path::new(std::ffi::OsStr::from_bytes(argument)).starts_with(&dir))
        };
        let me = std::process::id();
        let mut doomed: Vec<u32> = processes
            .iter()
            .filter(|(pid, parent)| *parent == me && started_from_dir(*pid))
            .map(|(pid, _)| *pid)
            .collect();
        let mut next = 0;
        while next < doomed.len() {
            let parent = doomed[next];
            doomed.extend(processes.iter().filter(|(_, of)| *of == parent).map(|(pid, _)| *pid));
            next += 1;
        }
        if !doomed.is_empty() {
            let _ = std::process::Command::new("kill").arg("-9").args(doomed.iter().map(u32::to_string)).status();
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = dir;
}

/// The last lines each plugin wrote to stderr, by plugin name.
fn stderr_lines() -> std::sync::MutexGuard<'static, HashMap<String, VecDeque<String>>> {
    static LINES: OnceLock<Mutex<HashMap<String, VecDeque<String>>>> = OnceLock::new();
    LINES.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps the plugins' stderr lines (the driver also writes them to its log files).
struct StderrSink;

impl PluginLogSink for StderrSink {
    fn log(&self, entry: &PluginLogEntry) {
        if entry.source != PluginLogSource::Stderr {
            return;
        }
        let mut line: String = entry.message.chars().take(STDERR_LINE_CHARS).collect();
        if line.len() < entry.message.len() {
            line.push('…');
        }
        let mut lines = stderr_lines();
        let kept = lines.entry(entry.plugin_name.clone()).or_default();
        if kept.len() == STDERR_LINES {
            kept.pop_front();
        }
        kept.push_back(crate::util::redact::text(&line));
    }
}

fn install_stderr_sink() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| pact_plugin_driver::plugin_log_sink::set_plugin_log_sink(Box::new(StderrSink)));
}

/// The plugin's last stderr lines, as a paragraph to add to an error; empty when it wrote none.
pub(crate) fn stderr_tail(name: &str) -> String {
    let lines = stderr_lines();
    match lines.get(name).filter(|lines| !lines.is_empty()) {
        Some(lines) => format!(
            "\nthe plugin's stderr (last {} lines):\n{}",
            lines.len(),
            lines.iter().map(|line| format!("  {line}")).collect::<Vec<_>>().join("\n")
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_leniently() {
        assert_eq!(lenient_version("0.7.1"), Some(Version::new(0, 7, 1)));
        assert_eq!(lenient_version("0.7"), Some(Version::new(0, 7, 0)));
        assert_eq!(lenient_version("0.3.12-beta.1"), Some(Version::new(0, 3, 12)));
        assert_eq!(lenient_version("latest"), None);
    }

    #[test]
    fn the_best_installed_version_satisfies_every_entry() {
        let dir = std::env::temp_dir().join(format!("pact-runtime-plugins-{}", std::process::id()));
        for (folder, name, version) in
            [("a", "protobuf", "0.6.4"), ("b", "protobuf", "0.7.1"), ("c", "protobuf", "0.7.3"), ("d", "csv", "1.0.0")]
        {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
            std::fs::write(
                dir.join(folder).join("pact-plugin.json"),
                serde_json::json!({ "name": name, "version": version }).to_string(),
            )
            .unwrap();
        }
        let mut installed = installed_versions(&dir, "protobuf");
        installed.sort();
        assert_eq!(
            installed.iter().map(|(version, _)| version.to_string()).collect::<Vec<_>>(),
            ["0.6.4", "0.7.1", "0.7.3"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
