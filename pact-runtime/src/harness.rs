//! Per-interaction tests: every interaction of every pact is a test of its own, named
//! `<consumer> › <description>`, under a custom test harness (built on
//! [libtest-mimic](https://docs.rs/libtest-mimic), which this crate brings along).
//!
//! # Setting it up
//!
//! A test target with `harness = false` in `Cargo.toml`:
//!
//! ```toml
//! [[test]]
//! name = "pact_interactions"
//! harness = false
//! ```
//!
//! and in `tests/pact_interactions.rs` the `#[provider_state]` functions and one
//! `#[pact_provider_test(harness, ...)]`, which takes the same options as the plain test and
//! generates the target's `fn main`:
//!
//! ```no_run
//! use pact_runtime::{pact_provider_test, provider_state};
//!
//! #[provider_state("user {id} exists")]
//! fn user_exists(id: u64) {
//! # let _ = id;
//! }
//!
//! #[pact_provider_test(harness, provider = "UserService", pacts = "pacts")]
//! async fn user_service() -> axum::Router {
//!     axum::Router::new() // your app
//! }
//! ```
//!
//! Without the macro, call [`run_with`] from `fn main` with your own [`Settings`] and
//! [`Arguments`].
//!
//! # Running it
//!
//! ```text
//! $ cargo test --test pact_interactions
//! running 2 tests
//! test UserServiceClient › a request for user 123 [user 123 exists] ... ok
//! test UserServiceClient › a request for user 123 [user 123 doesn't exist] ... ok
//! ```
//!
//! - `cargo test --test pact_interactions -- "user 123 exists"` runs the tests whose name
//!   contains the text; `--exact <name>` the one named so; `--skip <text>` leaves some out.
//! - `-- --list` lists the names without booting anything.
//! - Interactions that the `filter_*` options or `PACT_DESCRIPTION`, `PACT_PROVIDER_STATE`,
//!   `PACT_PROVIDER_NO_STATE` or `PACT_CONSUMER` leave out are listed as ignored tests:
//!   `-- --ignored` runs just them, `-- --include-ignored` everything.
//! - Two interactions of one consumer with the same description are told apart by their
//!   states: `UserServiceClient › a request for user 123 [user 123 exists]`. If that is not
//!   enough, ` #1`, ` #2`, ... follow.
//! - Pending interactions (and WIP pacts) are marked `[pending]` (`[wip]`). When one fails, its
//!   test reports `ignored (pending interaction failed: ...)` and does not fail the run.
//! - `cargo nextest run` works: nextest lists the tests, then runs each in a process of its
//!   own with `--exact <name>`.
//!
//! # What happens in one process
//!
//! The pacts are fetched once per process, before listing. The app boots once, when the first test runs; a process that runs no test (`--list`, a filter
//! that matches nothing) boots nothing. Tests run one at a time, in pact order. So under
//! `cargo test` the whole run costs what the plain `#[pact_provider_test]` does, and under
//! nextest every test pays for loading the pacts and booting the app.
//!
//! After the tests, the harness prints a summary (counts, missing states, broker notices and a
//! command that reruns only the failures) and writes the report files asked for
//! (`junit_report`/`PACT_VERIFIER_JUNIT_REPORT`, `json_report`/`PACT_VERIFIER_JSON_REPORT`,
//! `html_report`/`PACT_VERIFIER_HTML_REPORT`),
//! with the interactions this process ran. Under nextest, where each process runs one test,
//! point those at a directory (each process then writes a file named after its test) or use
//! nextest's own JUnit output.
//!
//! Results are published to a broker (with `publish`) only when the process verified every
//! interaction of a pact, unfiltered: a `cargo test` of the whole target publishes, a filtered
//! run or a nextest process does not. So `cargo nextest run --partition` splits the
//! interactions across machines but publishes nothing; to split a run across the jobs of a CI
//! matrix and publish, give each job `PACT_SHARD=k/n` (the `shard` option): the process then
//! lists only the whole pacts of its shard, and a `cargo test` of the target publishes them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use libtest_mimic::{Completion, Failed, Trial};

use crate::app::{BootedApp, ProviderApp};
use crate::config::{ProviderTestSpec, Settings};
use crate::pacts::{Interaction, LoadedPact};
use crate::report::{InteractionResult, MissingState, SkippedInteraction, VerificationReport};
use crate::session::{load_run, Live, LoadedRun, Session};

/// A test binary's command line, as `cargo test` and nextest pass it (a filter, `--exact`,
/// `--list`, `--ignored`, `--format`, ...), parsed as libtest parses it.
#[derive(Debug, Clone, Default)]
pub struct Arguments(libtest_mimic::Arguments);

impl Arguments {
    /// The process's own arguments. Invalid ones print an error and end the process, as libtest
    /// does; `--help` prints the usage and ends it.
    pub fn from_args() -> Arguments {
        Arguments(libtest_mimic::Arguments::from_args())
    }

    /// Arguments from `items`, the first of which is the binary's name (as in `std::env::args`).
    pub fn parse_from<I>(items: I) -> Arguments
    where
        I: IntoIterator,
        I::Item: Into<std::ffi::OsString> + Clone,
    {
        Arguments(libtest_mimic::Arguments::from_iter(items))
    }
}

/// How a harness run ended: its counts, and the exit code for `main`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conclusion(libtest_mimic::Conclusion);

impl Conclusion {
    /// `ExitCode::SUCCESS` unless a test failed (or a report file or a publication did).
    pub fn exit_code(&self) -> ExitCode {
        self.0.exit_code()
    }

    /// Whether a test failed (or a report file or a publication did).
    pub fn has_failed(&self) -> bool {
        self.0.has_failed()
    }

    /// Tests that passed.
    pub fn passed(&self) -> u64 {
        self.0.num_passed
    }

    /// Tests that failed, plus report files that could not be written and publications that
    /// did not go through.
    pub fn failed(&self) -> u64 {
        self.0.num_failed
    }

    /// Tests ignored: interactions the pact filters leave out, and failed pending ones.
    pub fn ignored(&self) -> u64 {
        self.0.num_ignored
    }

    /// Tests the command line's filter left out.
    pub fn filtered_out(&self) -> u64 {
        self.0.num_filtered_out
    }
}

/// The name of the test that stands for the whole run when it cannot list the interactions
/// (a configuration error, pacts that do not load, no pacts).
pub const SETUP_TEST_NAME: &str = "pact verification setup";

/// Runs the per-interaction tests of `spec` against `app` with the process's command-line
/// arguments, and answers the exit code for `main` to return. This is what
/// `#[pact_provider_test(harness)]` generates.
#[doc(hidden)] // what `#[pact_provider_test(harness)]` generates; call `run_with` yourself
pub fn run<Form, App: ProviderApp<Form>>(spec: ProviderTestSpec, app: App) -> ExitCode {
    let args = Arguments::from_args();
    let name = binary_name().unwrap_or_else(|| spec.test_name.to_string());
    match Settings::resolve(&spec) {
        Ok(settings) => run_with(&settings, args, &name, app).exit_code(),
        Err(error) => {
            let message = format!("{}: configuration error: {error}", spec.test_name);
            setup_failure(&args, message).exit_code()
        }
    }
}

/// Runs the per-interaction tests with explicit `settings` and `args`; `name` names the run in
/// report files and hints (usually the test target). Answers how it ended, counting a failure
/// to write a report file or to publish as a failed test.
///
/// ```no_run
/// use pact_runtime::harness::{self, Arguments};
/// use pact_runtime::Settings;
///
/// fn main() -> std::process::ExitCode {
///     let settings = Settings::builder().provider("UserService").pacts("pacts").build().expect("valid settings");
///     let args = Arguments::from_args();
///     harness::run_with(&settings, args, "pact_interactions", || async { axum::Router::new() }).exit_code()
/// }
/// ```
pub fn run_with<Form, App: ProviderApp<Form>>(
    settings: &Settings,
    args: Arguments,
    name: &str,
    app: App,
) -> Conclusion {
    let mut args = args;
    // The interactions run one at a time anyway; on the main thread they print in pact order.
    args.0.test_threads.get_or_insert(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return setup_failure(&args, format!("cannot start a tokio runtime: {error}")),
    };
    let loaded = runtime.block_on(load_run(settings, Some(name)));
    let (session, trials) = match loaded {
        Ok(LoadedRun::Pacts(session)) => {
            let session = Arc::new(Tests::new(runtime.handle().clone(), session, app));
            let trials = trials(&session);
            (Some(session), trials)
        }
        Ok(LoadedRun::Nothing { warning, .. }) => {
            eprintln!("warning: {warning}");
            (None, Vec::new())
        }
        Err(error) => return setup_failure(&args, error.to_string()),
    };
    let mut conclusion = libtest_mimic::run(&args.0, trials);
    if let Some(session) = session {
        if !args.0.list {
            let (failed, _) = runtime.block_on(session.finish(&args, name));
            conclusion.num_failed += failed;
        }
        // Stops the app before the runtime goes.
        drop(session);
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    Conclusion(conclusion)
}

fn setup_failure(args: &Arguments, message: String) -> Conclusion {
    Conclusion(libtest_mimic::run(&args.0, vec![Trial::test(SETUP_TEST_NAME, move || Err(message.into()))]))
}

/// The test binary's name without cargo's hash, e.g. `pact_interactions`.
fn binary_name() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    Some(match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => name.to_string(),
        _ => stem,
    })
}

type BootFn = Box<dyn FnOnce() -> futures::future::BoxFuture<'static, Result<BootedApp, crate::app::AppError>> + Send>;

/// One interaction, as a test.
#[derive(Debug, Clone)]
struct Entry {
    pact: usize,
    interaction: usize,
    name: String,
    /// `pending`, `wip` or empty: libtest-mimic shows it as `[pending]` before the name.
    kind: &'static str,
    /// Whether the `filter_*` settings select it; the others are ignored tests.
    selected: bool,
    states_text: String,
}

/// What the tests of one process share: the session, and once the first test runs, the app.
struct Tests {
    handle: tokio::runtime::Handle,
    session: Box<Session>,
    entries: Vec<Entry>,
    app: Mutex<Option<BootFn>>,
    live: OnceLock<Result<Live, String>>,
    results: Mutex<Vec<(usize, InteractionResult)>>,
    missing: Mutex<Vec<MissingState>>,
    started: Instant,
    /// For each test, the earlier test of an identical interaction whose result is its own
    /// when that test ran in this process (`dedupe_interactions`).
    same_as: Vec<Option<usize>>,
    /// With `fail_fast`: the first test that failed the run; the tests after it are skipped.
    stopped_by: Mutex<Option<String>>,
    skipped: Mutex<Vec<SkippedInteraction>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The tests, in pact order, named `consumer › description`, with the states (then a number
/// no other test's name has) added where two names would be the same.
fn entries(pacts: &[LoadedPact], select: impl Fn(&str, &Interaction<'_>) -> bool) -> Vec<Entry> {
    let one_line = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut raw = Vec::new();
    for (pact_index, loaded) in pacts.iter().enumerate() {
        let consumer = loaded.pact.consumer().name;
        let pact_pending = loaded.broker.as_ref().is_some_and(|context| context.pending);
        let wip = loaded.broker.as_ref().is_some_and(|context| context.wip);
        for (index, interaction) in loaded.interactions().iter().enumerate() {
            let description = interaction.description();
            let states: Vec<String> = interaction.provider_states().into_iter().map(|state| state.name).collect();
            let kind = match (wip, pact_pending || interaction.pending()) {
                (true, _) => "wip",
                (false, true) => "pending",
                (false, false) => "",
            };
            let states_text = if states.is_empty() { "no provider state".to_string() } else { states.join(", ") };
            raw.push(Entry {
                pact: pact_index,
                interaction: index,
                name: format!("{} › {}", one_line(&consumer), one_line(&description)),
                kind,
                selected: select(&consumer, interaction.as_ref()),
                states_text: one_line(&states_text),
            });
        }
    }
    let count = |entries: &[Entry]| {
        entries.iter().fold(HashMap::<String, usize>::new(), |mut counts, entry| {
            *counts.entry(entry.name.clone()).or_default() += 1;
            counts
        })
    };
    let counts = count(&raw);
    for entry in &mut raw {
        if counts[&entry.name] > 1 {
            entry.name = format!("{} [{}]", entry.name, entry.states_text);
        }
    }
    let counts = count(&raw);
    // A number is skipped when another test has that name already (a description can end in
    // ` #1` too), so every name is unique.
    let mut taken: std::collections::HashSet<String> =
        raw.iter().filter(|entry| counts[&entry.name] == 1).map(|entry| entry.name.clone()).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for entry in &mut raw {
        if counts[&entry.name] > 1 {
            let number = seen.entry(entry.name.clone()).or_default();
            let numbered = loop {
                *number += 1;
                let numbered = format!("{} #{number}", entry.name);
                if !taken.contains(&numbered) {
                    break numbered;
                }
            };
            taken.insert(numbered.clone());
            entry.name = numbered;
        }
    }
    raw
}

fn trials(session: &Arc<Tests>) -> Vec<Trial> {
    session
        .entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let shared = Arc::clone(session);
            Trial::ignorable_test(entry.name.clone(), move || shared.run_test(index))
                .with_kind(entry.kind)
                .with_ignored_flag(!entry.selected)
        })
        .collect()
}

impl Tests {
    /// The tests of `session`'s pacts, the app to boot when the first one runs.
    fn new<Form, App: ProviderApp<Form>>(handle: tokio::runtime::Handle, session: Box<Session>, app: App) -> Tests {
        let entries = entries(&session.pacts, |consumer, interaction| session.selects(consumer, interaction));
        let plan = session.plan();
        let entry_of: HashMap<(usize, usize), usize> =
            entries.iter().enumerate().map(|(index, entry)| ((entry.pact, entry.interaction), index)).collect();
        let mut same_as = vec![None; entries.len()];
        for step in &plan.steps {
            if let Some(earlier) = step.same_as {
                let earlier = &plan.steps[earlier];
                same_as[entry_of[&(step.pact, step.interaction)]] =
                    Some(entry_of[&(earlier.pact, earlier.interaction)]);
            }
        }
        Tests {
            handle,
            entries,
            same_as,
            stopped_by: Mutex::new(None),
            skipped: Mutex::new(Vec::new()),
            session,
            app: Mutex::new(Some(Box::new(move || app.boot()) as BootFn)),
            live: OnceLock::new(),
            results: Mutex::new(Vec::new()),
            missing: Mutex::new(Vec::new()),
            started: Instant::now(),
        }
    }

    /// Boots the app, once.
    fn live(&self) -> &Result<Live, String> {
        self.live.get_or_init(|| {
            let boot = lock(&self.app).take().ok_or_else(|| "the provider app was already booted".to_string())?;
            self.handle.block_on(self.session.boot(boot())).map_err(|err| err.to_string())
        })
    }

    /// Verifies the interaction of test `index`.
    fn run_test(&self, index: usize) -> Result<Completion, Failed> {
        let live = match self.live() {
            Ok(live) => live,
            Err(message) => return Err(format!("the provider could not be verified: {message}").into()),
        };
        let entry = &self.entries[index];
        let loaded = &self.session.pacts[entry.pact];
        let interaction = self.session.pacts[entry.pact].interactions()[entry.interaction].as_ref();
        let provider = &self.session.provider;
        if let Some(first) = lock(&self.stopped_by).as_ref() {
            lock(&self.skipped).push(live.engine.skipped(provider, loaded, entry.interaction, interaction));
            return Ok(Completion::ignored_with(format!("skipped: fail_fast stopped the run at `{first}`")));
        }
        let original = self.same_as[index].and_then(|earlier| {
            lock(&self.results).iter().find(|(done, _)| *done == earlier).map(|(_, result)| result.clone())
        });
        let result = match original {
            Some(original) => live.engine.shared_result(provider, loaded, entry.interaction, interaction, &original),
            None => {
                let mut missing = lock(&self.missing);
                self.handle.block_on(live.verify(&self.session, loaded, entry.interaction, interaction, &mut missing))
            }
        };
        if self.session.settings.fail_fast && result.fails_run() {
            *lock(&self.stopped_by) = Some(entry.name.clone());
        }
        let outcome = if result.passed() {
            Ok(Completion::Completed)
        } else if result.pending {
            let first = result.failures[0].to_string();
            Ok(Completion::ignored_with(format!(
                "pending interaction failed: {}",
                first.lines().next().unwrap_or_default()
            )))
        } else {
            let mut message =
                format!("{}\n   states: {}\n   pact: {}\n", entry.name, result.states_text(), result.pact_source);
            message.push_str(&crate::report::failure_text(&result));
            Err(message.trim_end().into())
        };
        lock(&self.results).push((index, result));
        outcome
    }

    /// After the tests: the report, its files, publishing. Answers how many of these failed,
    /// and the report.
    async fn finish(&self, args: &Arguments, name: &str) -> (u64, VerificationReport) {
        let mut results = std::mem::take(&mut *lock(&self.results));
        if results.is_empty() {
            return (0, VerificationReport::default());
        }
        results.sort_by_key(|(index, _)| *index);
        let names: HashMap<usize, &str> =
            results.iter().map(|(index, _)| (*index, self.entries[*index].name.as_str())).collect();
        let failed_names: Vec<&str> =
            results.iter().filter(|(_, result)| result.fails_run()).map(|(index, _)| names[index]).collect();
        let mut report = VerificationReport {
            provider: self.session.provider.clone(),
            results: results.into_iter().map(|(_, result)| result).collect(),
            missing_states: std::mem::take(&mut *lock(&self.missing)),
            duration: self.started.elapsed(),
            skipped: std::mem::take(&mut *lock(&self.skipped)),
            ..VerificationReport::default()
        };
        let mut failed = self.session.finish(&mut report).await;
        // Unused state functions under `unused_states = "fail"` fail the binary too.
        failed += report.errors.len() as u64;
        let file_name = match &args.0.filter {
            Some(filter) => format!("{name} {filter}"),
            None => name.to_string(),
        };
        let files = self.session.settings.report_files();
        let written = files.write(&report, &file_name);
        if written.is_ok() {
            report.rerun_report = files.json_path(&file_name);
        }
        print!("{}", summary(&report, name, &failed_names));
        match written {
            Ok(paths) => paths.iter().for_each(|path| println!("wrote the report {}", path.display())),
            Err(error) => {
                eprintln!("error: {error}");
                failed += 1;
            }
        }
        (failed, report)
    }
}

/// What the harness prints after libtest-mimic's own lines.
fn summary(report: &VerificationReport, name: &str, failed_names: &[&str]) -> String {
    let mut text = format!("Pact verification of `{}`: {}\n", report.provider, report.counts());
    for notice in &report.notices {
        writeln!(text, "  broker: {notice}").ok();
    }
    for warning in &report.warnings {
        writeln!(text, "  warning: {}", indent(warning, "    ")).ok();
    }
    for error in &report.errors {
        writeln!(text, "  error: {}", indent(error, "    ")).ok();
    }
    for result in report.results.iter().filter(|result| !result.warnings.is_empty()) {
        for warning in &result.warnings {
            writeln!(text, "  warning: {} › {}: {warning}", result.consumer, result.description).ok();
        }
    }
    for result in report.results.iter().filter(|result| !result.passed() && result.pending) {
        writeln!(text, "  pending, failed: {} › {}", result.consumer, result.description).ok();
        text.push_str(&indent(&crate::report::failure_text(result), "    "));
    }
    for publication in &report.publications {
        match &publication.outcome {
            Ok(success) => writeln!(
                text,
                "  published {} result for {}",
                if *success { "a passing" } else { "a failing" },
                publication.pact_source
            ),
            Err(error) => writeln!(text, "  publishing the result for {} FAILED: {error}", publication.pact_source),
        }
        .ok();
    }
    text.push_str(&report.shared_and_skipped_text());
    text.push_str(&report.missing_states_text());
    match failed_names {
        [] => {}
        [one] if report.rerun_report.is_none() => {
            writeln!(
                text,
                "rerun only the failure: cargo test --test {name} -- --exact {}",
                crate::report::shell_quote(one)
            )
            .ok();
        }
        _ => {
            if let Some(hint) = report.rerun_hint() {
                writeln!(text, "rerun only the failures: {hint} cargo test --test {name}").ok();
            }
        }
    }
    text.push('\n');
    text
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|line| format!("{prefix}{line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two interactions named `d [fine]` beside one described `d [fine] #1` gave two tests named
    /// `D › d [fine] #1`: `--exact` ran both, and nextest listed 3 and ran 2. Names are unique
    /// whatever the descriptions are.
    #[test]
    fn test_names_are_unique_whatever_the_descriptions_are() {
        let interaction = |description: &str, state: Option<&str>| {
            let mut interaction = serde_json::json!({
                "description": description,
                "request": { "method": "GET", "path": "/" },
                "response": { "status": 200 }
            });
            if let Some(state) = state {
                interaction["providerStates"] = serde_json::json!([{ "name": state }]);
            }
            interaction
        };
        let pact = serde_json::json!({
            "consumer": { "name": "D" },
            "provider": { "name": "P" },
            "interactions": [
                interaction("d", Some("fine")),
                interaction("d", Some("fine")),
                interaction("d [fine] #1", None),
                interaction("d [fine] #2", Some("x")),
                interaction("e", None),
                interaction("e", None),
                interaction("e #1", None),
            ],
            "metadata": { "pactSpecification": { "version": "3.0.0" } }
        });
        let pact = pact_models::pact::load_pact_from_json("p.json", &pact).unwrap();
        let filter = crate::pacts::InteractionFilter::default();
        let names: Vec<String> =
            entries(&[LoadedPact::new("p.json", pact)], |consumer, interaction| filter.selects(consumer, interaction))
                .into_iter()
                .map(|entry| entry.name)
                .collect();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:#?}");
        assert_eq!(
            names,
            [
                "D › d [fine] #3",
                "D › d [fine] #4",
                "D › d [fine] #1",
                "D › d [fine] #2",
                "D › e [no provider state] #1",
                "D › e [no provider state] #2",
                "D › e #1",
            ]
        );
    }
}
