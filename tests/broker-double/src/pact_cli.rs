//! The Pact Foundation's consolidated Rust CLI, `pact` (PyPI `pact-python-cli` 1!0.10.x), as a
//! second independent client of the double and of pact-runtime's `StateServer`.
//!
//! Found through `PACT_CLI` (the path of the `pact` executable), then
//! `<target dir>/pact-rust-cli/bin/pact`; failing both it is installed there with
//! `python3 -m pip install --no-deps --target`. When it can't be had, tests say so on stderr
//! and pass, unless `PACT_CLI_REQUIRED=1` (as `.ci/run` sets), which makes them fail.
//!
//! The Ruby `pact-broker` CLI (pact-python-cli 2.6) shares the PyPI name, so the two live in
//! different directories under `target/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The release line the tests are written against (the `pact` binary inside the wheel).
const PACKAGE: &str = "pact-python-cli>=1!0.10,<1!0.11";
/// A cold install downloads one ~11 MB wheel.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);
/// One command; the verifier's broker retries are turned off by the tests that expect errors.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);

/// The located `pact` executable.
#[derive(Debug, Clone)]
pub struct PactCli {
    path: PathBuf,
}

/// What one `pact` command did.
#[derive(Debug, Clone)]
pub struct PactCliRun {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its standard output, without ANSI colour codes.
    pub stdout: String,
    /// Its standard error, without ANSI colour codes.
    pub stderr: String,
}

/// What one `pact verifier` run did, with its JSON report read.
#[derive(Debug, Clone)]
pub struct PactCliVerification {
    /// The command's exit status and output.
    pub run: PactCliRun,
    /// Each interaction's description and whether it passed, in the order verified.
    pub verdicts: Vec<(String, bool)>,
    /// How many failures it reported as pending (of pending or WIP pacts), not failing the run.
    pub pending_errors: usize,
}

impl PactCli {
    /// The CLI, or `None` with the reason on stderr; panics instead when `PACT_CLI_REQUIRED=1`.
    pub fn get() -> Option<PactCli> {
        static CLI: OnceLock<Result<PathBuf, String>> = OnceLock::new();
        match CLI.get_or_init(locate) {
            Ok(path) => Some(PactCli { path: path.clone() }),
            Err(reason) if std::env::var("PACT_CLI_REQUIRED").is_ok_and(|v| v == "1") => {
                panic!("the Rust pact CLI is required but unavailable: {reason}")
            }
            Err(reason) => {
                // Past the test harness's capture, so the skip shows in CI logs.
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "skipping: the Rust pact CLI is unavailable ({reason})");
                None
            }
        }
    }

    /// The executable's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `pact <args>` with the broker and provider variables the CLI reads from the
    /// environment removed (so only `args` configure it), within 90 s.
    ///
    /// Panics when it cannot start or takes longer: a test failure with the command in it.
    pub async fn run<S: AsRef<str>>(&self, args: &[S]) -> PactCliRun {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let mut command = tokio::process::Command::new(&self.path);
        command.args(&args).stdin(Stdio::null()).kill_on_drop(true).env("PACT_DO_NOT_TRACK", "true");
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("PACT_BROKER_")
                || name.starts_with("PACT_PROVIDER_")
                || name == "PACT_WEBHOOK_CALLBACK_URL"
            {
                command.env_remove(name.as_ref());
            }
        }
        let output = tokio::time::timeout(RUN_TIMEOUT, command.output())
            .await
            .unwrap_or_else(|_| panic!("pact {args:?} took longer than {RUN_TIMEOUT:?}"))
            .unwrap_or_else(|err| panic!("pact {args:?} did not start: {err}"));
        let run = PactCliRun {
            success: output.status.success(),
            stdout: plain(&output.stdout),
            stderr: plain(&output.stderr),
        };
        eprintln!("$ pact {}\n{}{}", args.join(" "), run.stdout, run.stderr);
        run
    }

    /// Runs `pact verifier <args> --json <report>` and reads its JSON report: each
    /// interaction's verdict (`"result": "OK"` passed) and the pending failures.
    ///
    /// Panics when the report is missing or unreadable (the run's output is in the message).
    pub async fn verify<S: AsRef<str>>(&self, args: &[S]) -> PactCliVerification {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let report = std::env::temp_dir().join(format!("pact-cli-report-{}-{n}.json", std::process::id()));
        let mut full: Vec<String> = vec!["verifier".into(), "--no-colour".into()];
        full.extend(args.iter().map(|a| a.as_ref().to_string()));
        full.extend(["--json".to_string(), report.display().to_string()]);
        let run = self.run(&full).await;
        let text = std::fs::read_to_string(&report)
            .unwrap_or_else(|err| panic!("pact verifier wrote no JSON report ({err}):\n{}{}", run.stdout, run.stderr));
        let _ = std::fs::remove_file(&report);
        let json: serde_json::Value = serde_json::from_str(&text).expect("the JSON report parses");
        let verdicts = json["interactionResults"]
            .as_array()
            .expect("the JSON report has interactionResults")
            .iter()
            .map(|result| {
                let description = result["description"].as_str().unwrap_or_default().to_string();
                (description, result["result"] == "OK")
            })
            .collect();
        let pending_errors = json["pendingErrors"].as_array().map_or(0, Vec::len);
        PactCliVerification { run, verdicts, pending_errors }
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// Where `pip install --target` puts the wheel's script.
fn installed_executable(dir: &Path) -> Option<PathBuf> {
    let binary = dir.join("bin").join("pact");
    binary.is_file().then_some(binary)
}

fn locate() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("PACT_CLI") {
        let path = PathBuf::from(path);
        return if path.is_file() { Ok(path) } else { Err(format!("PACT_CLI={} does not exist", path.display())) };
    }
    let dir = target_dir().join("pact-rust-cli");
    installed_executable(&dir).map(Ok).unwrap_or_else(|| install(&dir))
}

fn install(dir: &Path) -> Result<PathBuf, String> {
    let python = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("python3"))
        .find(|p| p.is_file())
        .ok_or("python3 is not on PATH")?;
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(dir.parent().unwrap_or(dir)).map_err(|e| e.to_string())?;
    let log = dir.with_extension("install.log");
    let file = std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-deps", "--target"])
        .arg(&partial)
        .arg(PACKAGE)
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| format!("starting pip: {e}"))?;
    let deadline = Instant::now() + INSTALL_TIMEOUT;
    loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) if status.success() => break,
            Some(status) => return Err(format!("pip install {PACKAGE} exited with {status}; see {}", log.display())),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("pip install {PACKAGE} took longer than {INSTALL_TIMEOUT:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    // Another test process may have finished first; either copy will do.
    if std::fs::rename(&partial, dir).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    installed_executable(dir).ok_or_else(|| format!("no bin/pact in {}", dir.display()))
}

/// Removes ANSI colour codes from a CLI's output (both Pact CLIs colour theirs).
pub fn plain(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
