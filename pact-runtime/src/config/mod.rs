//! Configuration of a verification run: attribute options, overridden by environment variables.
//!
//! Precedence is fixed: **attribute < environment**. An empty variable counts as unset.
//! Relative paths in attributes resolve against the crate's directory (`CARGO_MANIFEST_DIR`);
//! relative paths in `PACT_SOURCES` against the current directory.
//!
//! | attribute | environment | default | meaning |
//! |---|---|---|---|
//! | `provider` | `PACT_PROVIDER_NAME` | the provider the pacts name | provider to verify; also scopes `provider = ...` states |
//! | `pacts` (repeatable) | `PACT_SOURCES` (comma-separated) | `pacts` in the crate | pact files, directories or `http(s)://` URLs |
//! | `base_path` | `PACT_PROVIDER_BASE_PATH` | none | path the app is mounted under, e.g. `/api` |
//! | `state_path` | `PACT_STATE_CHANGE_PATH` | `/_pact/provider_states` | path of the state endpoint [`StateServer`](crate::StateServer) serves (a `#[pact_provider_test]` calls its functions in-process) |
//! | `boot_timeout_ms` | `PACT_APP_BOOT_TIMEOUT_MS` | `10000` | how long the app may take to accept connections |
//! | `request_timeout_ms` | `PACT_REQUEST_TIMEOUT_MS` | `30000` | timeout of each request to the provider and the broker |
//! | `follow_redirects` | `PACT_FOLLOW_REDIRECTS` | `false` | follow the provider's `3xx` redirects; off because a pact's status is an exact match (the Pact specification, pact-jvm), while `pact_verifier` follows them by default |
//! | `state_timeout_ms` | `PACT_STATE_TIMEOUT_MS` | `30000` | how long one state function may run |
//! | `max_body_bytes` | `PACT_MAX_BODY_BYTES` | `16777216` (16 MiB) | the largest response or message body read; a larger one fails its interaction, and memory stays bounded |
//! | `missing_states` | `PACT_MISSING_STATES` | `fail` | `fail`: a state no function serves fails its interaction; `warn`: the request is sent without it and the report warns |
//! | `unused_states` | `PACT_UNUSED_STATES` | `warn` | after a complete, unfiltered run, `warn` lists the `#[provider_state]` and `#[message]` functions no interaction used, with their locations; `fail` also fails the run |
//! | `no_pacts` | `PACT_NO_PACTS` | `fail` | `fail`: finding no pacts for the provider fails the test; `pass`: the test passes with a warning |
//! | `broker_url` | `PACT_BROKER_BASE_URL` | none | broker base URL; userinfo credentials are used as basic auth |
//! | — | `PACT_BROKER_USERNAME`, `PACT_BROKER_PASSWORD` | none | basic auth (overrides URL userinfo) |
//! | — | `PACT_BROKER_TOKEN` | none | bearer token (PactFlow); conflicts with a username |
//! | `ca_bundle` | `PACT_BROKER_CA_BUNDLE` | system roots | PEM file of extra CA certificates for the broker |
//! | `consumer_version_selectors` | `PACT_CONSUMER_VERSION_SELECTORS` | the broker's default | JSON array of selectors |
//! | `provider_branch` | `PACT_PROVIDER_BRANCH`, then `GIT_BRANCH` | none | provider branch, for pending status and publishing |
//! | `provider_tags` | `PACT_PROVIDER_TAGS` | none | comma-separated provider tags |
//! | `enable_pending` | `PACT_ENABLE_PENDING` | `false` | pending pacts' failures do not fail the test |
//! | `include_wip_pacts_since` | `PACT_INCLUDE_WIP_PACTS_SINCE` | none | include WIP pacts created since `YYYY-MM-DD` |
//! | `publish` | `PACT_BROKER_PUBLISH_VERIFICATION_RESULTS` | `false` | publish verification results |
//! | `provider_version` | `PACT_PROVIDER_VERSION`, then `GIT_COMMIT` | none | provider version to publish results for |
//! | `build_url` | `PACT_BUILD_URL` | none | CI build URL published with the results |
//! | `filter_description` | `PACT_DESCRIPTION` | none | verify only interactions whose description matches this regex |
//! | `filter_state` | `PACT_PROVIDER_STATE` | none | verify only interactions with a state matching this regex |
//! | `filter_no_state` | `PACT_PROVIDER_NO_STATE` | `false` | verify only interactions without states |
//! | `filter_consumer` | `PACT_CONSUMER` | none | verify only these consumers' pacts (comma-separated) |
//! | `shard` | `PACT_SHARD` | none | `k/n`: verify only shard k of n, a deterministic set of whole pacts (see [`Shard`]) |
//! | `custom_headers` (repeatable) | `PACT_CUSTOM_HEADERS` | none | headers added to every request to the provider, `Name: value`, comma-separated |
//! | `junit_report` | `PACT_VERIFIER_JUNIT_REPORT` | none | write a JUnit XML report there (a directory gets a file named after the test) |
//! | `json_report` | `PACT_VERIFIER_JSON_REPORT` | none | write a JSON report there (see [`crate::report::json`]) |
//! | `html_report` | `PACT_VERIFIER_HTML_REPORT` | none | write an HTML report there: one self-contained page, failures first |
//! | `fail_fast` | `PACT_FAIL_FAST` | `false` | stop at the first interaction that fails the run (a pending one does not); the rest are reported as skipped, and nothing is published (the reference verifier's `--exit-on-first-error`) |
//! | `last_failed` | `PACT_LAST_FAILED` | none | verify only the interactions that failed (or pending-failed) in a previous run's JSON report: its path, or `true` for the report `json_report` names; nothing is published (the reference verifier's `--last-failed`) |
//! | `dedupe_interactions` | `PACT_DEDUPE_INTERACTIONS` | `true` | an interaction identical in several pacts of one consumer (versions several selectors chose) is verified once, and its result reported and published for each pact |
//! | — | `PACT_URL` (or `PACT_WEBHOOK_CALLBACK_URL`) | none | webhook mode: verify only this pact |
//!
//! A filtered run never publishes verification results. Options that contradict each other
//! are an error naming both: `filter_state` with `filter_no_state`, `PACT_BROKER_TOKEN` with
//! `PACT_BROKER_USERNAME` or with credentials in the broker URL, and `PACT_BROKER_PASSWORD`
//! without `PACT_BROKER_USERNAME`.
//!
//! To write a run's settings in code, [`Settings::builder`] has a method for every row of the
//! table (see [`SettingsBuilder`]).
//!
//! Where pacts come from, first match wins: `PACT_URL` (webhook mode) → a broker
//! (`broker_url`/`PACT_BROKER_BASE_URL`) → `pacts`/`PACT_SOURCES`. So one test verifies local
//! pacts offline and the broker's pacts in CI, where the broker variables are set.

mod builder;

use pact_syntax::options;

use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;

pub use crate::broker::{BrokerAuth, BrokerSettings, ConsumerVersionSelector, PublishSettings, Secret};
use crate::endpoint::DEFAULT_STATE_PATH;
pub use crate::pacts::{InteractionFilter, PactSource, Shard, SourceError};
use crate::report::files::RunFacts;
use crate::report::ReportFiles;
pub use crate::states::{MissingStates, UnusedStates};
pub use builder::SettingsBuilder;
use options::OptionKind;

/// The default of `max_body_bytes`: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = crate::util::DEFAULT_MAX_BODY_BYTES;

/// A test's attribute options as written, which [`Settings::resolve`] turns into settings
/// exactly as `#[pact_provider_test]` does (the macro writes one for every test). Build one to
/// resolve a run's settings in code with the same names, checks and precedence:
///
/// ```
/// use pact_runtime::config::ProviderTestSpec;
/// use pact_runtime::Settings;
///
/// let spec = ProviderTestSpec {
///     test_name: "verifies_against_the_broker",
///     manifest_dir: env!("CARGO_MANIFEST_DIR"),
///     options: &[("provider", "UserService"), ("publish", "true"), ("provider_version", "1.0.0")],
/// };
/// let broker = |name: &str| (name == "PACT_BROKER_BASE_URL").then(|| "https://broker.example".to_string());
/// let settings = Settings::resolve_with(&spec, broker).unwrap();
/// assert_eq!(settings.broker().unwrap().base_url, "https://broker.example");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ProviderTestSpec {
    /// The test's path, for messages.
    pub test_name: &'static str,
    /// The annotated crate's `CARGO_MANIFEST_DIR`.
    pub manifest_dir: &'static str,
    /// The attribute's options as `(name, value)` pairs, in order; the macro checked the names.
    pub options: &'static [(&'static str, &'static str)],
}

/// A configuration value that cannot be used. The message names the variable or option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    /// The message with control characters from the values it quotes shown escaped (`\u{1b}`),
    /// so a value cannot clear the terminal or overwrite the line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::report::console::printable(&self.0))
    }
}

impl std::error::Error for ConfigError {}

/// What a run does when no pact is found for the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NoPacts {
    /// The run fails with an error naming where it looked.
    #[default]
    Fail,
    /// The run passes with an empty report that warns where it looked.
    Pass,
}

/// The resolved settings of one verification run. Its `Debug` hides URL passwords.
///
/// Settings are made one way, so that every value passes the same checks: by
/// `#[pact_provider_test]`'s options and the environment ([`Settings::resolve`]), or in code by
/// [`Settings::builder`]. Each option is read with the method of its name.
#[derive(Clone)]
pub struct Settings {
    /// The provider to verify; `None` takes it from the pacts.
    pub(crate) provider: Option<String>,
    /// Local pact sources, used when neither webhook mode nor a broker is configured.
    pub(crate) sources: Vec<PactSource>,
    /// The broker to fetch pacts from, if any.
    pub(crate) broker: Option<BrokerSettings>,
    /// Webhook mode: the one pact URL to verify.
    pub(crate) pact_url: Option<String>,
    /// Publishing of verification results, when on.
    pub(crate) publish: Option<PublishSettings>,
    /// Path the app is mounted under (e.g. `/api`), prefixed to every request path.
    pub(crate) base_path: Option<String>,
    /// Path of the state endpoint [`StateServer`](crate::StateServer) serves.
    pub(crate) state_path: String,
    /// How long the app may take to accept connections.
    pub(crate) boot_timeout: Duration,
    /// Timeout of each request to the provider and the broker.
    pub(crate) request_timeout: Duration,
    /// Whether requests to the provider follow `3xx` redirects (off: the pact's status is exact).
    pub(crate) follow_redirects: bool,
    /// How long one state function may run.
    pub(crate) state_timeout: Duration,
    /// The largest response, message or state-change answer body read, in bytes; a larger one
    /// fails its interaction after reading at most this much.
    pub(crate) max_body_bytes: u64,
    /// Which interactions to verify.
    pub(crate) filter: InteractionFilter,
    /// Which shard of the pacts this job verifies, when the run is split across jobs.
    pub(crate) shard: Option<Shard>,
    /// What to do with a state no function serves.
    pub(crate) missing_states: MissingStates,
    /// What to do with state and message functions a complete run did not use.
    pub(crate) unused_states: UnusedStates,
    /// What to do when no pact is found.
    pub(crate) no_pacts: NoPacts,
    /// Headers added to every request to the provider, in order.
    pub(crate) custom_headers: Vec<(String, String)>,
    /// Where to write the JUnit XML report, if anywhere.
    pub(crate) junit_report: Option<PathBuf>,
    /// Where to write the JSON report, if anywhere.
    pub(crate) json_report: Option<PathBuf>,
    /// Where to write the HTML report, if anywhere (`SettingsBuilder::html_report`).
    pub(crate) html_report: Option<PathBuf>,
    /// Stop at the first interaction that fails the run.
    pub(crate) fail_fast: bool,
    /// Verify only the interactions that failed in this previous JSON report.
    pub(crate) last_failed: Option<LastFailed>,
    /// Verify an interaction identical in several pacts of one consumer once.
    pub(crate) dedupe_interactions: bool,
}

/// Where `last_failed` reads the previous run's JSON report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LastFailed {
    /// This file, as the option named it.
    Report { path: PathBuf, source: String },
    /// `true`: the file `json_report` names (for a directory, the file of this test in it).
    JsonReport { source: String },
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured so that a new field cannot be left out of this list unnoticed.
        let Settings {
            provider,
            sources,
            broker,
            pact_url,
            publish,
            base_path,
            state_path,
            boot_timeout,
            request_timeout,
            follow_redirects,
            state_timeout,
            max_body_bytes,
            filter,
            shard,
            missing_states,
            unused_states,
            no_pacts,
            custom_headers,
            junit_report,
            json_report,
            html_report,
            fail_fast,
            last_failed,
            dedupe_interactions,
        } = self;
        f.debug_struct("Settings")
            .field("provider", provider)
            .field("sources", sources)
            .field("broker", broker)
            .field("pact_url", &pact_url.as_deref().map(crate::util::redact::url))
            .field("publish", publish)
            .field("base_path", base_path)
            .field("state_path", state_path)
            .field("boot_timeout", boot_timeout)
            .field("request_timeout", request_timeout)
            .field("follow_redirects", follow_redirects)
            .field("state_timeout", state_timeout)
            .field("max_body_bytes", max_body_bytes)
            .field("filter", filter)
            .field("shard", shard)
            .field("missing_states", missing_states)
            .field("unused_states", unused_states)
            .field("no_pacts", no_pacts)
            .field("custom_headers", &custom_headers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("junit_report", junit_report)
            .field("json_report", json_report)
            .field("html_report", html_report)
            .field("fail_fast", fail_fast)
            .field("last_failed", last_failed)
            .field("dedupe_interactions", dedupe_interactions)
            .finish()
    }
}

impl Settings {
    /// Settings for local `sources` with every other value at its default.
    pub(crate) fn new(sources: Vec<PactSource>) -> Settings {
        Settings {
            provider: None,
            sources,
            broker: None,
            pact_url: None,
            publish: None,
            base_path: None,
            state_path: DEFAULT_STATE_PATH.to_string(),
            boot_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            follow_redirects: false,
            state_timeout: Duration::from_secs(30),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            filter: InteractionFilter::default(),
            shard: None,
            missing_states: MissingStates::Fail,
            unused_states: UnusedStates::Warn,
            no_pacts: NoPacts::Fail,
            custom_headers: Vec::new(),
            junit_report: None,
            json_report: None,
            html_report: None,
            fail_fast: false,
            last_failed: None,
            dedupe_interactions: true,
        }
    }

    /// `provider`: the provider to verify; `None` takes it from the pacts.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// `pacts`: the local pact sources, used when neither webhook mode nor a broker is set.
    pub fn sources(&self) -> &[PactSource] {
        &self.sources
    }

    /// The broker to fetch pacts from (`broker_url` and the options that go with it), if any.
    pub fn broker(&self) -> Option<&BrokerSettings> {
        self.broker.as_ref()
    }

    /// `PACT_URL`: webhook mode's one pact URL, if set.
    pub fn pact_url(&self) -> Option<&str> {
        self.pact_url.as_deref()
    }

    /// What verification results are published as, when `publish` is on.
    pub fn publish(&self) -> Option<&PublishSettings> {
        self.publish.as_ref()
    }

    /// `base_path`: the path the app is mounted under (e.g. `/api`), if any.
    pub fn base_path(&self) -> Option<&str> {
        self.base_path.as_deref()
    }

    /// `state_path`: the path of the state endpoint [`StateServer`](crate::StateServer) serves.
    pub fn state_path(&self) -> &str {
        &self.state_path
    }

    /// `boot_timeout_ms`: how long the app may take to accept connections.
    pub fn boot_timeout(&self) -> Duration {
        self.boot_timeout
    }

    /// `request_timeout_ms`: the timeout of each request to the provider and the broker.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// `follow_redirects`: whether requests to the provider follow `3xx` redirects.
    pub fn follow_redirects(&self) -> bool {
        self.follow_redirects
    }

    /// `state_timeout_ms`: how long one state function may run.
    pub fn state_timeout(&self) -> Duration {
        self.state_timeout
    }

    /// `max_body_bytes`: the largest response, message or state-change answer body read.
    pub fn max_body_bytes(&self) -> u64 {
        self.max_body_bytes
    }

    /// The `filter_*` options: which interactions to verify.
    pub fn filter(&self) -> &InteractionFilter {
        &self.filter
    }

    /// `shard`: which shard of the pacts this job verifies, if the run is split.
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }

    /// `missing_states`: what a state no function serves does.
    pub fn missing_states(&self) -> MissingStates {
        self.missing_states
    }

    /// `unused_states`: what state and message functions a complete run did not use do.
    pub fn unused_states(&self) -> UnusedStates {
        self.unused_states
    }

    /// `no_pacts`: what finding no pact does.
    pub fn no_pacts(&self) -> NoPacts {
        self.no_pacts
    }

    /// `custom_headers`: the headers added to every request to the provider, in order.
    pub fn custom_headers(&self) -> &[(String, String)] {
        &self.custom_headers
    }

    /// `junit_report`: where the JUnit XML report is written, if anywhere.
    pub fn junit_report(&self) -> Option<&Path> {
        self.junit_report.as_deref()
    }

    /// `json_report`: where the JSON report is written, if anywhere.
    pub fn json_report(&self) -> Option<&Path> {
        self.json_report.as_deref()
    }

    /// The report files these settings ask for.
    pub(crate) fn report_files(&self) -> ReportFiles {
        ReportFiles {
            junit: self.junit_report.clone(),
            json: self.json_report.clone(),
            html: self.html_report.clone(),
            facts: RunFacts {
                provider_version: self.publish.as_ref().map(|publish| publish.provider_version.clone()),
                shard: self.shard.map(|shard| shard.to_string()),
            },
        }
    }

    /// Resolves a test's attribute options, then lets the process environment override them.
    pub fn resolve(spec: &ProviderTestSpec) -> Result<Settings, ConfigError> {
        Self::resolve_with(spec, |name| std::env::var(name).ok())
    }

    /// [`Settings::resolve`] with `env` in place of the process environment (an empty value
    /// counts as unset).
    pub fn resolve_with(
        spec: &ProviderTestSpec,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        Self::resolve_options(Path::new(spec.manifest_dir), spec.options, env)
    }

    /// Resolves attribute-style `options` (relative paths against `manifest_dir`) under `env`.
    fn resolve_options(
        manifest_dir: &Path,
        options: &[(&str, &str)],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let values = Values { options, env: &|name: &str| env(name).filter(|value| !value.trim().is_empty()) };
        let sources = match values.env_value("pacts") {
            Some((_, list)) => {
                let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
                list.split(',')
                    .filter(|item| !item.trim().is_empty())
                    .map(|item| PactSource::parse(item, &cwd))
                    .collect()
            }
            None => {
                let attributes = values.attributes("pacts");
                let listed = if attributes.is_empty() { vec!["pacts"] } else { attributes };
                listed.into_iter().map(|item| PactSource::parse(item, manifest_dir)).collect()
            }
        };
        let (state_path_source, state_path) =
            values.text("state_path").unwrap_or_else(|| (String::new(), DEFAULT_STATE_PATH.into()));
        check_state_path(&state_path_source, &state_path)?;
        let broker = resolve_broker(&values, manifest_dir)?;
        let publish = resolve_publish(&values)?;
        if publish.is_some() && broker.is_none() && values.pact_url().is_none() {
            return Err(ConfigError(
                "publishing verification results needs a broker: set PACT_BROKER_BASE_URL (or `broker_url`), or turn publishing off".into(),
            ));
        }
        Ok(Settings {
            provider: values.text("provider").map(|(_, name)| name),
            sources,
            broker,
            pact_url: values.pact_url(),
            publish,
            base_path: values.text("base_path").map(|(_, path)| format!("/{}", path.trim_matches('/'))),
            state_path,
            boot_timeout: values.millis("boot_timeout_ms", 10_000)?,
            request_timeout: values.millis("request_timeout_ms", 30_000)?,
            follow_redirects: values.flag("follow_redirects")?,
            state_timeout: values.millis("state_timeout_ms", 30_000)?,
            max_body_bytes: values.bytes("max_body_bytes", DEFAULT_MAX_BODY_BYTES)?,
            filter: resolve_filter(&values)?,
            shard: values
                .text("shard")
                .map(|(source, text)| Shard::parse(&text).map_err(|err| ConfigError(format!("{source} {err}"))))
                .transpose()?,
            missing_states: match values.choice("missing_states", &["fail", "warn"])? {
                Some("warn") => MissingStates::Warn,
                _ => MissingStates::Fail,
            },
            unused_states: match values.choice("unused_states", &["warn", "fail"])? {
                Some("fail") => UnusedStates::Fail,
                _ => UnusedStates::Warn,
            },
            no_pacts: match values.choice("no_pacts", &["fail", "pass"])? {
                Some("pass") => NoPacts::Pass,
                _ => NoPacts::Fail,
            },
            custom_headers: resolve_custom_headers(&values)?,
            junit_report: values.report_path("junit_report", manifest_dir)?,
            json_report: values.report_path("json_report", manifest_dir)?,
            html_report: values.report_path("html_report", manifest_dir)?,
            fail_fast: values.flag("fail_fast")?,
            last_failed: resolve_last_failed(&values, manifest_dir)?,
            dedupe_interactions: values.flag_or("dedupe_interactions", true)?,
        })
    }
}

/// `last_failed`: `true`/`false`, or the path of a report (relative to the crate in the
/// attribute, to the current directory in `PACT_LAST_FAILED`). `true` needs `json_report`.
fn resolve_last_failed(values: &Values<'_>, manifest_dir: &Path) -> Result<Option<LastFailed>, ConfigError> {
    let Some((source, value)) = values.text("last_failed") else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "false" | "0" | "no" | "off" => Ok(None),
        "true" | "1" | "yes" | "on" => {
            if values.text("json_report").is_none() {
                return Err(ConfigError(format!(
                    "{source} is `{value}`, which reads the JSON report `json_report` names, but json_report \
                     (PACT_VERIFIER_JSON_REPORT) is not set: set it, or give {source} the report's path"
                )));
            }
            Ok(Some(LastFailed::JsonReport { source }))
        }
        _ => {
            let path = values.path("last_failed", manifest_dir).unwrap_or_default();
            Ok(Some(LastFailed::Report { path, source }))
        }
    }
}

/// Refuses a `state_path` (from `source`) that is not a plain path: the router `StateServer`
/// serves it with reads `:name`, `{name}` and `*name` as parameters, and panics on some.
fn check_state_path(source: &str, path: &str) -> Result<(), ConfigError> {
    if is_plain_path(path) {
        return Ok(());
    }
    Err(ConfigError(format!(
        "{source} must be a plain path such as `{DEFAULT_STATE_PATH}` (letters, digits, `-`, `.`, `_` and `~` between single slashes), got `{path}`"
    )))
}

/// A path of segments of letters, digits, `-`, `.`, `_` and `~`, each after one `/`.
fn is_plain_path(path: &str) -> bool {
    path == "/"
        || path.strip_prefix('/').is_some_and(|rest| {
            rest.split('/').all(|segment| {
                !segment.is_empty()
                    && segment.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte))
            })
        })
}

/// `custom_headers` from `PACT_CUSTOM_HEADERS`, or else from every attribute option.
fn resolve_custom_headers(values: &Values<'_>) -> Result<Vec<(String, String)>, ConfigError> {
    let listed: Vec<(String, String)> = match values.env_value("custom_headers") {
        Some((name, list)) => vec![(name, list)],
        None => values
            .attributes("custom_headers")
            .into_iter()
            .map(|v| ("option `custom_headers`".into(), v.into()))
            .collect(),
    };
    let mut headers = Vec::new();
    for (source, list) in listed {
        headers.extend(
            options::parse_headers(&list)
                .map_err(|err| ConfigError(format!("{source}: {}", crate::util::redact::text(&err))))?,
        );
    }
    Ok(headers)
}

/// Looks options up: environment first, then the attribute.
struct Values<'a> {
    options: &'a [(&'a str, &'a str)],
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Values<'a> {
    fn definition(attribute: &str) -> &'static options::OptionDef {
        options::find_option(attribute).unwrap_or_else(|| panic!("option `{attribute}` is not in the options table"))
    }

    fn env_value(&self, attribute: &str) -> Option<(String, String)> {
        Self::definition(attribute).env.iter().find_map(|name| (self.env)(name).map(|value| (name.to_string(), value)))
    }

    fn attributes(&self, attribute: &str) -> Vec<&'a str> {
        self.options.iter().filter(|(name, _)| *name == attribute).map(|(_, value)| *value).collect()
    }

    /// The value and where it came from (a variable name or `attribute option`).
    fn text(&self, attribute: &str) -> Option<(String, String)> {
        self.env_value(attribute).map(|(name, value)| (name, value.trim().to_string())).or_else(|| {
            self.attributes(attribute).last().map(|value| (format!("option `{attribute}`"), value.to_string()))
        })
    }

    fn flag(&self, attribute: &str) -> Result<bool, ConfigError> {
        self.flag_or(attribute, false)
    }

    /// A flag, `default` when unset.
    fn flag_or(&self, attribute: &str, default: bool) -> Result<bool, ConfigError> {
        match self.text(attribute) {
            None => Ok(default),
            Some((source, value)) => match value.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(ConfigError(format!("{source} must be `true` or `false`, got `{value}`"))),
            },
        }
    }

    /// One of `choices` (case-insensitive), or `None` when unset.
    fn choice(&self, attribute: &str, choices: &[&'static str]) -> Result<Option<&'static str>, ConfigError> {
        let Some((source, value)) = self.text(attribute) else {
            return Ok(None);
        };
        choices.iter().find(|choice| choice.eq_ignore_ascii_case(&value)).map(|choice| Some(*choice)).ok_or_else(|| {
            let listed: Vec<String> = choices.iter().map(|choice| format!("`{choice}`")).collect();
            ConfigError(format!("{source} must be {}, got `{value}`", listed.join(" or ")))
        })
    }

    fn millis(&self, attribute: &str, default: u64) -> Result<Duration, ConfigError> {
        debug_assert_eq!(Self::definition(attribute).kind, OptionKind::Integer);
        match self.text(attribute) {
            None => Ok(Duration::from_millis(default)),
            Some((source, value)) => value
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| ConfigError(format!("{source} must be a whole number of milliseconds, got `{value}`"))),
        }
    }

    /// A size in bytes, at least 1.
    fn bytes(&self, attribute: &str, default: u64) -> Result<u64, ConfigError> {
        debug_assert_eq!(Self::definition(attribute).kind, OptionKind::Integer);
        match self.text(attribute) {
            None => Ok(default),
            Some((source, value)) => value.parse::<u64>().ok().filter(|bytes| *bytes > 0).ok_or_else(|| {
                ConfigError(format!("{source} must be a whole number of bytes, at least 1, got `{value}`"))
            }),
        }
    }

    /// A path option: relative to the crate's directory in the attribute, to the current
    /// directory in a variable.
    fn path(&self, attribute: &str, manifest_dir: &Path) -> Option<PathBuf> {
        self.text(attribute).map(|(source, path)| {
            if source.starts_with("option") {
                manifest_dir.join(path)
            } else {
                PathBuf::from(path)
            }
        })
    }

    /// A report path: a regular file, a directory, or nothing yet (a FIFO would block the write).
    fn report_path(&self, attribute: &str, manifest_dir: &Path) -> Result<Option<PathBuf>, ConfigError> {
        let Some(path) = self.path(attribute, manifest_dir) else {
            return Ok(None);
        };
        crate::report::files::check_report_path(&path).map_err(|error| {
            let source = self.text(attribute).map(|(source, _)| source).unwrap_or_default();
            ConfigError(format!("{source}: the report path {error}"))
        })?;
        Ok(Some(path))
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        (self.env)(name).map(Secret::new)
    }

    fn pact_url(&self) -> Option<String> {
        ["PACT_URL", "PACT_WEBHOOK_CALLBACK_URL"].iter().find_map(|name| (self.env)(name))
    }
}

fn resolve_broker(values: &Values<'_>, manifest_dir: &Path) -> Result<Option<BrokerSettings>, ConfigError> {
    let Some((url_source, url)) = values.text("broker_url") else {
        return Ok(None);
    };
    let mut parsed = url::Url::parse(&url).map_err(|err| {
        ConfigError(format!("{url_source} is not a URL ({err}): `{}`", crate::util::redact::url(&url)))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError(format!("{url_source} must be an http(s) URL, got scheme `{}`", parsed.scheme())));
    }
    let mut auth = None;
    let token = values.secret("PACT_BROKER_TOKEN");
    if token.is_some() && (!parsed.username().is_empty() || parsed.password().is_some()) {
        return Err(ConfigError(format!(
            "both PACT_BROKER_TOKEN and credentials in {url_source} are set: use a token (PactFlow) or a username and password, not both"
        )));
    }
    if (values.env)("PACT_BROKER_PASSWORD").is_some() && (values.env)("PACT_BROKER_USERNAME").is_none() {
        return Err(ConfigError(
            "PACT_BROKER_PASSWORD is set but PACT_BROKER_USERNAME is not: set both for basic auth, or use PACT_BROKER_TOKEN alone".into(),
        ));
    }
    if !parsed.username().is_empty() {
        let username = percent_decode(parsed.username());
        let password = percent_decode(parsed.password().unwrap_or_default());
        auth =
            Some(BrokerAuth::Basic { username, password: Secret::new(password), source: "the broker URL's userinfo" });
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
    }
    let username = (values.env)("PACT_BROKER_USERNAME");
    if let Some(username) = username {
        if token.is_some() {
            return Err(ConfigError(
                "both PACT_BROKER_TOKEN and PACT_BROKER_USERNAME are set: use a token (PactFlow) or a username and password, not both".into(),
            ));
        }
        let password = values.secret("PACT_BROKER_PASSWORD").unwrap_or_else(|| Secret::new(String::new()));
        auth = Some(BrokerAuth::Basic { username, password, source: "PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD" });
    } else if let Some(token) = token {
        auth = Some(BrokerAuth::Bearer { token, source: "PACT_BROKER_TOKEN" });
    }
    let selectors = match values.text("consumer_version_selectors") {
        None => Vec::new(),
        Some((source, json)) => parse_selectors(&source, &json)?,
    };
    let include_wip_pacts_since = match values.text("include_wip_pacts_since") {
        None => None,
        Some((source, date)) => Some(check_date(&source, &date)?),
    };
    let ca_bundle = match values.text("ca_bundle") {
        None => None,
        Some((source, path)) => {
            let base = if source.starts_with("option") { manifest_dir.to_path_buf() } else { PathBuf::from(".") };
            let path = base.join(path);
            if !path.is_file() {
                return Err(ConfigError(format!("{source} names {}, which is not a file", path.display())));
            }
            Some(path)
        }
    };
    Ok(Some(BrokerSettings {
        base_url: parsed.as_str().trim_end_matches('/').to_string(),
        auth,
        selectors,
        provider_branch: values.text("provider_branch").map(|(_, branch)| branch),
        provider_tags: comma_list(values.text("provider_tags")),
        enable_pending: values.flag("enable_pending")?,
        include_wip_pacts_since,
        ca_bundle,
    }))
}

fn resolve_filter(values: &Values<'_>) -> Result<InteractionFilter, ConfigError> {
    let regex = |attribute: &str| -> Result<Option<Regex>, ConfigError> {
        values
            .text(attribute)
            .map(|(source, pattern)| {
                Regex::new(&pattern).map_err(|err| ConfigError(format!("{source} is not a valid regex: {err}")))
            })
            .transpose()
    };
    if let (Some((state_source, _)), true) = (values.text("filter_state"), values.flag("filter_no_state")?) {
        let no_state_source = values.text("filter_no_state").map(|(source, _)| source).unwrap_or_default();
        return Err(ConfigError(format!(
            "{state_source} and {no_state_source} exclude each other: one keeps interactions with a matching state, the other only interactions without states; set one"
        )));
    }
    Ok(InteractionFilter {
        description: regex("filter_description")?,
        state: regex("filter_state")?,
        no_state: values.flag("filter_no_state")?,
        consumers: comma_list(values.text("filter_consumer")),
    })
}

/// The selector keys the Pact Broker knows. Unknown keys would be dropped silently on the way
/// to the broker, so a typo is caught here instead.
const SELECTOR_KEYS: &[&str] = &[
    "mainBranch",
    "branch",
    "fallbackBranch",
    "matchingBranch",
    "deployedOrReleased",
    "deployed",
    "released",
    "environment",
    "tag",
    "fallbackTag",
    "latest",
    "consumer",
];

const SELECTOR_EXAMPLE: &str = "for example `[{\"mainBranch\": true}, {\"deployedOrReleased\": true}]`";

impl ConsumerVersionSelector {
    /// Reads one selector from its JSON object, e.g. `{"mainBranch": true}`. The keys are
    /// `mainBranch`, `branch`, `matchingBranch`, `deployedOrReleased`, `deployed`, `released`,
    /// `environment`, `tag`, `fallbackTag`, `latest` and `consumer`; any other key, or a value
    /// of the wrong type, is an error that says so.
    pub fn from_json(selector: &serde_json::Value) -> Result<ConsumerVersionSelector, ConfigError> {
        let Some(fields) = selector.as_object() else {
            return Err(ConfigError(format!("the selector {selector} is not a JSON object; {SELECTOR_EXAMPLE}")));
        };
        if let Some(unknown) = fields.keys().find(|key| !SELECTOR_KEYS.contains(&key.as_str())) {
            return Err(ConfigError(format!(
                "the selector {selector} has an unknown key `{unknown}`; the keys are {}",
                SELECTOR_KEYS.join(", ")
            )));
        }
        serde_json::from_value(selector.clone())
            .map(ConsumerVersionSelector)
            .map_err(|err| ConfigError(format!("the selector {selector}: {err}; {SELECTOR_EXAMPLE}")))
    }
}

fn parse_selectors(source: &str, json: &str) -> Result<Vec<ConsumerVersionSelector>, ConfigError> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|err| ConfigError(format!("{source} is not JSON ({err}); {SELECTOR_EXAMPLE}")))?;
    let Some(selectors) = value.as_array() else {
        return Err(ConfigError(format!("{source} must be a JSON array of selectors; {SELECTOR_EXAMPLE}")));
    };
    selectors
        .iter()
        .enumerate()
        .map(|(index, selector)| {
            ConsumerVersionSelector::from_json(selector)
                .map_err(|ConfigError(message)| ConfigError(format!("{source}, selector {index}: {message}")))
        })
        .collect()
}

fn resolve_publish(values: &Values<'_>) -> Result<Option<PublishSettings>, ConfigError> {
    if !values.flag("publish")? {
        return Ok(None);
    }
    let Some((_, provider_version)) = values.text("provider_version") else {
        return Err(ConfigError(
            "publishing verification results needs a provider version: set PACT_PROVIDER_VERSION or GIT_COMMIT (or `provider_version`)".into(),
        ));
    };
    Ok(Some(PublishSettings {
        provider_version,
        provider_branch: values.text("provider_branch").map(|(_, branch)| branch),
        provider_tags: comma_list(values.text("provider_tags")),
        build_url: values.text("build_url").map(|(_, url)| url),
    }))
}

fn comma_list(value: Option<(String, String)>) -> Vec<String> {
    value
        .map(|(_, list)| list.split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Accepts `YYYY-MM-DD` and RFC 3339 timestamps, as the broker does.
fn check_date(source: &str, date: &str) -> Result<String, ConfigError> {
    let bytes = date.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|part| part.iter().all(u8::is_ascii_digit));
    let shaped =
        bytes.len() >= 10 && digits(0..4) && bytes[4] == b'-' && digits(5..7) && bytes[7] == b'-' && digits(8..10);
    let month: u32 = date.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
    let day: u32 = date.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(0);
    let rest_ok = bytes.len() == 10 || matches!(bytes.get(10), Some(b'T') | Some(b't') | Some(b' '));
    if shaped && (1..=12).contains(&month) && (1..=31).contains(&day) && rest_ok {
        Ok(date.to_string())
    } else {
        Err(ConfigError(format!("{source} must be a date like `2024-01-31` (or an RFC 3339 timestamp), got `{date}`")))
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ProviderTestSpec = ProviderTestSpec {
        test_name: "t",
        manifest_dir: "/crate",
        options: &[
            ("provider", "FromAttribute"),
            ("pacts", "pacts/a.json"),
            ("state_path", "/states"),
            ("boot_timeout_ms", "500"),
        ],
    };

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    }

    /// `html_report` comes from the attribute (against the crate's directory), the environment
    /// (`PACT_VERIFIER_HTML_REPORT`, which wins) or the builder, and goes to the report files
    /// with the provider version and shard the page names.
    #[test]
    fn the_html_report_path_comes_from_the_attribute_the_environment_or_the_builder() {
        let spec =
            ProviderTestSpec { test_name: "t", manifest_dir: "/crate", options: &[("html_report", "target/r.html")] };
        let settings = Settings::resolve_with(&spec, |_| None).unwrap();
        assert_eq!(settings.report_files().html.as_deref(), Some(Path::new("/crate/target/r.html")));
        let settings = Settings::resolve_with(&spec, env(&[("PACT_VERIFIER_HTML_REPORT", "ci/r.html")])).unwrap();
        assert_eq!(settings.report_files().html.as_deref(), Some(Path::new("ci/r.html")));
        let settings = Settings::builder().html_report("out/").shard(2, 3).build().unwrap();
        let files = settings.report_files();
        assert_eq!(files.html.as_deref(), Some(Path::new("out/")));
        assert_eq!(files.facts, RunFacts { provider_version: None, shard: Some("2/3".into()) });
    }

    /// `custom_headers` refuses exactly the values the HTTP client would refuse at every request.
    #[test]
    fn custom_header_values_are_checked_as_the_http_client_checks_them() {
        for byte in 0..=u8::MAX {
            let value = [b'a', byte, b'b'];
            let http_accepts = axum::http::HeaderValue::from_bytes(&value).is_ok();
            let Ok(text) = std::str::from_utf8(&value) else { continue };
            let ours = options::parse_headers(&format!("X-Test: {text}")).is_ok();
            assert_eq!(ours, http_accepts, "byte {byte:#04x}");
        }
    }

    #[test]
    fn environment_overrides_attributes() {
        let settings = Settings::resolve_with(
            &SPEC,
            env(&[
                ("PACT_PROVIDER_NAME", "FromEnv"),
                ("PACT_APP_BOOT_TIMEOUT_MS", "42"),
                ("PACT_STATE_CHANGE_PATH", ""),
            ]),
        )
        .unwrap();
        assert_eq!(settings.provider.as_deref(), Some("FromEnv"));
        assert_eq!(settings.boot_timeout, Duration::from_millis(42));
        assert_eq!(settings.max_body_bytes, 16 * 1024 * 1024, "the default");
        let settings = Settings::resolve_with(&SPEC, env(&[("PACT_MAX_BODY_BYTES", "1048576")])).unwrap();
        assert_eq!(settings.max_body_bytes, 1024 * 1024);
        assert_eq!(settings.state_path, "/states");
        assert_eq!(settings.sources, vec![PactSource::File("/crate/pacts/a.json".into())]);
        assert!(settings.broker.is_none());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (pairs, expected) in [
            (&[("PACT_REQUEST_TIMEOUT_MS", "soon")][..], "PACT_REQUEST_TIMEOUT_MS"),
            (&[("PACT_MAX_BODY_BYTES", "16MiB")][..], "PACT_MAX_BODY_BYTES must be a whole number of bytes"),
            (&[("PACT_MAX_BODY_BYTES", "0")][..], "PACT_MAX_BODY_BYTES must be a whole number of bytes, at least 1"),
            (&[("PACT_SHARD", "0/3")][..], "PACT_SHARD must be `k/n` with 1 <= k <= n, such as `2/3`, got `0/3`"),
            (&[("PACT_SHARD", "4/3")][..], "PACT_SHARD must be `k/n`"),
            (&[("PACT_SHARD", "x")][..], "PACT_SHARD must be `k/n`"),
            (
                &[("PACT_BROKER_BASE_URL", "http://b"), ("PACT_CONSUMER_VERSION_SELECTORS", "{mainBranch")][..],
                "PACT_CONSUMER_VERSION_SELECTORS",
            ),
            (
                &[("PACT_BROKER_BASE_URL", "http://b"), ("PACT_INCLUDE_WIP_PACTS_SINCE", "last week")][..],
                "PACT_INCLUDE_WIP_PACTS_SINCE",
            ),
            (
                &[
                    ("PACT_BROKER_BASE_URL", "http://b"),
                    ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"mainBrnch": true}]"#),
                ][..],
                "PACT_CONSUMER_VERSION_SELECTORS, selector 0: the selector {\"mainBrnch\":true} has an unknown key `mainBrnch`",
            ),
            (&[("PACT_BROKER_BASE_URL", "http://b"), ("PACT_ENABLE_PENDING", "maybe")][..], "PACT_ENABLE_PENDING"),
            (
                &[("PACT_BROKER_BASE_URL", "http://b"), ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true")][..],
                "PACT_PROVIDER_VERSION",
            ),
            (
                &[("PACT_BROKER_BASE_URL", "http://b"), ("PACT_BROKER_TOKEN", "t"), ("PACT_BROKER_USERNAME", "u")][..],
                "PACT_BROKER_TOKEN",
            ),
        ] {
            let pairs: &'static [(&'static str, &'static str)] = Box::leak(pairs.to_vec().into_boxed_slice());
            let error = Settings::resolve_with(&SPEC, env(pairs)).unwrap_err();
            assert!(error.0.contains(expected), "{error}");
        }
    }

    #[test]
    fn a_selector_reads_and_writes_the_brokers_json() {
        let json = serde_json::json!({ "branch": "main", "consumer": "Web", "latest": true });
        let selector = ConsumerVersionSelector::from_json(&json).unwrap();
        assert_eq!(selector.to_json(), json);
        assert_eq!(format!("{selector:?}"), format!("ConsumerVersionSelector({json})"));
        let wrong_type = ConsumerVersionSelector::from_json(&serde_json::json!({ "mainBranch": "yes" })).unwrap_err();
        assert!(wrong_type.0.contains("mainBranch") || wrong_type.0.contains("boolean"), "{wrong_type}");
        let not_object = ConsumerVersionSelector::from_json(&serde_json::json!(["main"])).unwrap_err();
        assert!(not_object.0.contains("is not a JSON object"), "{not_object}");
    }

    #[test]
    fn userinfo_becomes_basic_auth_and_leaves_the_url() {
        let settings = Settings::resolve_with(
            &SPEC,
            env(&[
                ("PACT_BROKER_BASE_URL", "https://pact:p%40ss@broker.example/"),
                ("GIT_COMMIT", "abc123"),
                ("GIT_BRANCH", "main"),
                ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"),
                ("PACT_PROVIDER_TAGS", "a, b"),
            ]),
        )
        .unwrap();
        let broker = settings.broker.unwrap();
        assert_eq!(broker.base_url, "https://broker.example");
        match broker.auth {
            Some(BrokerAuth::Basic { username, password, .. }) => {
                assert_eq!(username, "pact");
                assert_eq!(password.expose(), "p@ss");
            }
            other => panic!("expected basic auth, got {other:?}"),
        }
        let publish = settings.publish.unwrap();
        assert_eq!(publish.provider_version, "abc123");
        assert_eq!(publish.provider_branch.as_deref(), Some("main"));
        assert_eq!(publish.provider_tags, vec!["a", "b"]);
    }

    #[test]
    fn redirects_are_followed_only_when_asked() {
        assert!(!Settings::resolve_with(&SPEC, env(&[])).unwrap().follow_redirects);
        assert!(Settings::resolve_with(&SPEC, env(&[("PACT_FOLLOW_REDIRECTS", "true")])).unwrap().follow_redirects);
        let error = Settings::resolve_with(&SPEC, env(&[("PACT_FOLLOW_REDIRECTS", "302")])).unwrap_err();
        assert!(error.0.contains("PACT_FOLLOW_REDIRECTS must be `true` or `false`"), "{error}");
    }
}
