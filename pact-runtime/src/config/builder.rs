//! [`SettingsBuilder`]: a run's settings written in code, one method per option.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ConfigError, MissingStates, NoPacts, Settings, UnusedStates};

/// The settings of a run written in code: one method per option of the table in
/// [`config`](crate::config), named like the attribute option, and [`build`](Self::build)
/// checks them exactly as `#[pact_provider_test]` checks its attribute (the same messages).
/// The process environment is not read: what you write is what runs. Relative paths are
/// relative to the current directory.
///
/// ```
/// use std::time::Duration;
///
/// use pact_runtime::config::MissingStates;
/// use pact_runtime::Settings;
///
/// # fn main() -> Result<(), pact_runtime::config::ConfigError> {
/// let settings: Settings = Settings::builder()
///     .provider("UserService")
///     .pacts("pacts")
///     .pacts("https://pacts.example/latest.json")
///     .base_path("/api")
///     .request_timeout(Duration::from_secs(5))
///     .follow_redirects(true)
///     .missing_states(MissingStates::Warn)
///     .broker_url("https://broker.example")
///     .broker_token("a-read-token")
///     .consumer_version_selectors(r#"[{"mainBranch": true}, {"deployedOrReleased": true}]"#)
///     .provider_branch("main")
///     .enable_pending(true)
///     .include_wip_pacts_since("2024-01-01")
///     .publish(true)
///     .provider_version("1.0.0")
///     .filter_consumer(["UserServiceClient"])
///     .custom_header("Authorization", "Bearer test-token")
///     .json_report("target/pact-report.json")
///     .build()?;
/// let broker = settings.broker().expect("a broker");
/// assert_eq!((broker.base_url.as_str(), broker.provider_branch.as_deref()), ("https://broker.example", Some("main")));
/// assert!(settings.follow_redirects() && settings.publish().is_some());
///
/// // Mistakes are errors that name the option.
/// let error = Settings::builder().filter_description("(unclosed").build().unwrap_err();
/// assert!(error.to_string().starts_with("option `filter_description` is not a valid regex"));
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct SettingsBuilder {
    /// `(option, value)` pairs as the attribute writes them.
    options: Vec<(&'static str, String)>,
    /// Values only the environment sets in a test (credentials, webhook mode).
    env: HashMap<&'static str, String>,
}

impl std::fmt::Debug for SettingsBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: the environment values are credentials.
        let mut env: Vec<&&str> = self.env.keys().collect();
        env.sort();
        f.debug_struct("SettingsBuilder")
            .field("options", &self.options.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("env", &env)
            .finish()
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

fn path_text(path: impl AsRef<Path>) -> String {
    path.as_ref().to_string_lossy().into_owned()
}

fn list(items: impl IntoIterator<Item = impl Into<String>>) -> String {
    items.into_iter().map(Into::into).collect::<Vec<_>>().join(",")
}

impl SettingsBuilder {
    fn set(mut self, option: &'static str, value: impl Into<String>) -> SettingsBuilder {
        self.options.push((option, value.into()));
        self
    }

    fn set_env(mut self, variable: &'static str, value: impl Into<String>) -> SettingsBuilder {
        self.env.insert(variable, value.into());
        self
    }

    /// `provider`: the provider to verify (default: the one the pacts name).
    pub fn provider(self, name: impl Into<String>) -> Self {
        self.set("provider", name)
    }

    /// `pacts`: a pact file, a directory or an `http(s)://` URL; call it again for more
    /// (default: `pacts`).
    pub fn pacts(self, source: impl AsRef<Path>) -> Self {
        self.set("pacts", path_text(source))
    }

    /// `base_path`: the path the app is mounted under, e.g. `/api`.
    pub fn base_path(self, path: impl Into<String>) -> Self {
        self.set("base_path", path)
    }

    /// `state_path`: the path of the state endpoint [`StateServer`](crate::StateServer) serves; a
    /// plain path (letters, digits, `-`, `.`, `_` and `~` between single slashes), or `build()`
    /// refuses it.
    pub fn state_path(self, path: impl Into<String>) -> Self {
        self.set("state_path", path)
    }

    /// `boot_timeout_ms`: how long the app may take to accept connections.
    pub fn boot_timeout(self, timeout: Duration) -> Self {
        self.set("boot_timeout_ms", millis(timeout))
    }

    /// `request_timeout_ms`: the timeout of each request to the provider and the broker.
    pub fn request_timeout(self, timeout: Duration) -> Self {
        self.set("request_timeout_ms", millis(timeout))
    }

    /// `follow_redirects`: follow the provider's `3xx` redirects (default: off, see the table).
    pub fn follow_redirects(self, follow: bool) -> Self {
        self.set("follow_redirects", follow.to_string())
    }

    /// `state_timeout_ms`: how long one state function may run.
    pub fn state_timeout(self, timeout: Duration) -> Self {
        self.set("state_timeout_ms", millis(timeout))
    }

    /// `max_body_bytes`: the largest response or message body read (default 16 MiB); a larger
    /// one fails its interaction.
    pub fn max_body_bytes(self, bytes: u64) -> Self {
        self.set("max_body_bytes", bytes.to_string())
    }

    /// `missing_states`: fail or only warn when no function serves a state.
    pub fn missing_states(self, policy: MissingStates) -> Self {
        self.set("missing_states", if policy == MissingStates::Warn { "warn" } else { "fail" })
    }

    /// `unused_states`: warn about, or fail on, state and message functions a complete run did
    /// not use.
    pub fn unused_states(self, policy: UnusedStates) -> Self {
        self.set("unused_states", if policy == UnusedStates::Fail { "fail" } else { "warn" })
    }

    /// `no_pacts`: fail or pass when no pact is found for the provider.
    pub fn no_pacts(self, policy: NoPacts) -> Self {
        self.set("no_pacts", if policy == NoPacts::Pass { "pass" } else { "fail" })
    }

    /// `broker_url`: verify the pacts a Pact Broker selects instead of local ones; credentials
    /// in its userinfo are used as basic auth.
    pub fn broker_url(self, url: impl Into<String>) -> Self {
        self.set("broker_url", url)
    }

    /// `PACT_BROKER_USERNAME` and `PACT_BROKER_PASSWORD`: basic auth for the broker.
    pub fn broker_basic_auth(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.set_env("PACT_BROKER_USERNAME", username).set_env("PACT_BROKER_PASSWORD", password)
    }

    /// `PACT_BROKER_TOKEN`: a bearer token for the broker (PactFlow).
    pub fn broker_token(self, token: impl Into<String>) -> Self {
        self.set_env("PACT_BROKER_TOKEN", token)
    }

    /// `ca_bundle`: a PEM file of extra CA certificates to trust for the broker.
    pub fn ca_bundle(self, path: impl AsRef<Path>) -> Self {
        self.set("ca_bundle", path_text(path))
    }

    /// `consumer_version_selectors`: a JSON array of selectors, checked by [`build`](Self::build).
    pub fn consumer_version_selectors(self, json: impl Into<String>) -> Self {
        self.set("consumer_version_selectors", json)
    }

    /// `provider_branch`: the provider version's branch, for pending status and publishing.
    pub fn provider_branch(self, branch: impl Into<String>) -> Self {
        self.set("provider_branch", branch)
    }

    /// `provider_tags`: the provider version's tags.
    pub fn provider_tags(self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.set("provider_tags", list(tags))
    }

    /// `enable_pending`: ask the broker for pending status.
    pub fn enable_pending(self, enable: bool) -> Self {
        self.set("enable_pending", enable.to_string())
    }

    /// `include_wip_pacts_since`: include WIP pacts created since this date (`YYYY-MM-DD`).
    pub fn include_wip_pacts_since(self, date: impl Into<String>) -> Self {
        self.set("include_wip_pacts_since", date)
    }

    /// `publish`: publish verification results (needs a broker and a provider version).
    pub fn publish(self, publish: bool) -> Self {
        self.set("publish", publish.to_string())
    }

    /// `provider_version`: the provider version to publish results for.
    pub fn provider_version(self, version: impl Into<String>) -> Self {
        self.set("provider_version", version)
    }

    /// `build_url`: the CI build URL published with the results.
    pub fn build_url(self, url: impl Into<String>) -> Self {
        self.set("build_url", url)
    }

    /// `filter_description`: verify only interactions whose description matches this regex.
    pub fn filter_description(self, regex: impl Into<String>) -> Self {
        self.set("filter_description", regex)
    }

    /// `filter_state`: verify only interactions with a state matching this regex.
    pub fn filter_state(self, regex: impl Into<String>) -> Self {
        self.set("filter_state", regex)
    }

    /// `filter_no_state`: verify only interactions without states.
    pub fn filter_no_state(self, only_without: bool) -> Self {
        self.set("filter_no_state", only_without.to_string())
    }

    /// `filter_consumer`: verify only these consumers' pacts.
    pub fn filter_consumer(self, consumers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.set("filter_consumer", list(consumers))
    }

    /// `shard`: verify shard `index` of `count` (from 1), a deterministic set of whole pacts, as
    /// one job of a CI matrix does with `PACT_SHARD=index/count`.
    pub fn shard(self, index: u32, count: u32) -> Self {
        self.set("shard", format!("{index}/{count}"))
    }

    /// `custom_headers`: a header added to every request to the provider; call it again for more.
    pub fn custom_header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let header = format!("{}: {}", name.into(), value.into());
        self.set("custom_headers", header)
    }

    /// `junit_report`: write a JUnit XML report to this file (or into this directory).
    pub fn junit_report(self, path: impl AsRef<Path>) -> Self {
        self.set("junit_report", path_text(path))
    }

    /// `json_report`: write a JSON report to this file (or into this directory).
    pub fn json_report(self, path: impl AsRef<Path>) -> Self {
        self.set("json_report", path_text(path))
    }

    /// `html_report`: write an HTML report, one self-contained page, to this file (or into
    /// this directory).
    pub fn html_report(self, path: impl AsRef<Path>) -> Self {
        self.set("html_report", path_text(path))
    }

    /// `fail_fast`: stop at the first interaction that fails the run (a pending one does not);
    /// the rest are reported as skipped, and nothing is published.
    pub fn fail_fast(self, fail_fast: bool) -> Self {
        self.set("fail_fast", fail_fast.to_string())
    }

    /// `last_failed`: verify only the interactions that failed in the JSON report at `path` (a
    /// previous run's `json_report`); nothing is published. [`build`](Self::build) does not
    /// read it: the run does, and fails with a clear error when it is missing, unreadable or of
    /// another provider.
    pub fn last_failed(self, path: impl AsRef<Path>) -> Self {
        self.set("last_failed", path_text(path))
    }

    /// `last_failed = true`: verify only the interactions that failed in the report
    /// [`json_report`](Self::json_report) names, as the previous run wrote it.
    pub fn last_failed_from_json_report(self) -> Self {
        self.set("last_failed", "true")
    }

    /// `dedupe_interactions`: verify an interaction identical in several pacts of one consumer
    /// once (default on); off, every pact's copy is verified.
    pub fn dedupe_interactions(self, dedupe: bool) -> Self {
        self.set("dedupe_interactions", dedupe.to_string())
    }

    /// `PACT_URL`: webhook mode, verify only this pact URL (with the broker's credentials).
    pub fn pact_url(self, url: impl Into<String>) -> Self {
        self.set_env("PACT_URL", url)
    }

    /// The settings, checked as the attribute's options are: a value that cannot be used, or
    /// two that contradict each other, is an error naming the option.
    pub fn build(&self) -> Result<Settings, ConfigError> {
        let options: Vec<(&str, &str)> = self.options.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let env = |name: &str| self.env.get(name).cloned();
        Settings::resolve_options(&PathBuf::new(), &options, env)
    }
}

impl Settings {
    /// A [`SettingsBuilder`]: write a run's settings in code, one method per option.
    pub fn builder() -> SettingsBuilder {
        SettingsBuilder::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use pact_syntax::options::OPTIONS;

    use super::*;

    /// Every method once, so a new option without a builder method fails this test.
    fn every_method() -> SettingsBuilder {
        Settings::builder()
            .provider("P")
            .pacts("pacts")
            .base_path("/api")
            .state_path("/states")
            .boot_timeout(Duration::from_millis(1))
            .request_timeout(Duration::from_millis(2))
            .follow_redirects(true)
            .state_timeout(Duration::from_millis(3))
            .max_body_bytes(1024)
            .missing_states(MissingStates::Warn)
            .unused_states(UnusedStates::Fail)
            .no_pacts(NoPacts::Pass)
            .broker_url("http://broker.example")
            .broker_basic_auth("user", "password")
            .broker_token("token")
            .ca_bundle("ca.pem")
            .consumer_version_selectors("[]")
            .provider_branch("main")
            .provider_tags(["a", "b"])
            .enable_pending(true)
            .include_wip_pacts_since("2024-01-01")
            .publish(true)
            .provider_version("1")
            .build_url("http://ci.example/1")
            .filter_description("d")
            .filter_state("s")
            .filter_no_state(false)
            .filter_consumer(["C"])
            .shard(1, 2)
            .custom_header("X-A", "1")
            .junit_report("junit.xml")
            .json_report("report.json")
            .html_report("report.html")
            .fail_fast(true)
            .last_failed("report.json")
            .dedupe_interactions(false)
            .pact_url("http://broker.example/pact")
    }

    #[test]
    fn every_option_of_the_table_has_a_method() {
        let builder = every_method();
        let mut set: BTreeSet<&str> = builder.options.iter().map(|(name, _)| *name).collect();
        set.extend(builder.env.keys());
        for option in OPTIONS {
            let covered = match option.attribute {
                Some(attribute) => set.contains(attribute),
                None => option.env.iter().any(|variable| set.contains(variable)),
            };
            assert!(covered, "SettingsBuilder has no method for {:?} {:?}", option.attribute, option.env);
        }
    }

    #[test]
    fn the_built_settings_hold_every_value() {
        // A token together with a username is an error, as it is in the environment.
        let error = every_method().build().unwrap_err();
        assert!(error.0.contains("PACT_BROKER_TOKEN"), "{error}");
        let settings = Settings::builder()
            .provider("P")
            .pacts("a.json")
            .request_timeout(Duration::from_millis(250))
            .follow_redirects(true)
            .max_body_bytes(4096)
            .broker_url("http://user:pw@broker.example")
            .provider_tags(["a", "b"])
            .filter_state("exists$")
            .custom_header("X-A", "1, 2")
            .build()
            .unwrap();
        assert_eq!(settings.provider.as_deref(), Some("P"));
        assert_eq!(settings.sources, vec![crate::pacts::PactSource::File("a.json".into())]);
        assert_eq!(settings.request_timeout, Duration::from_millis(250));
        assert!(settings.follow_redirects);
        assert_eq!(settings.max_body_bytes, 4096);
        let broker = settings.broker.unwrap();
        assert_eq!((broker.base_url.as_str(), broker.provider_tags.len()), ("http://broker.example", 2));
        assert!(broker.auth.is_some());
        assert!(settings.filter.state.is_some());
        assert_eq!(settings.custom_headers, vec![("X-A".to_string(), "1, 2".to_string())]);
        let debug = format!("{:?}", Settings::builder().broker_token("s3cret"));
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
