//! Configuration of a verification run: attribute options, overridden by environment variables.
//!
//! | attribute option | environment variable | default | meaning |
//! |---|---|---|---|
//! | `provider = "Name"` | `PACT_PROVIDER_NAME` | the provider named in the pacts | provider to verify; scopes `provider = ...` states |
//! | `pacts = "..."` (repeatable) | `PACT_SOURCES` (comma-separated) | `pacts` (directory of the crate) | pact files, directories or `http(s)://` URLs |
//! | `state_path = "/..."` | `PACT_STATE_CHANGE_PATH` | `/_pact/provider_states` | path of the generated state endpoint |
//! | `boot_timeout_ms = N` | `PACT_APP_BOOT_TIMEOUT_MS` | `10000` | how long the app may take to accept connections |
//! | — | `PACT_REQUEST_TIMEOUT_MS` | `30000` | timeout of each request to the provider |
//! | — | `PACT_STATE_TIMEOUT_MS` | `30000` | how long a state function may run |
//!
//! Relative paths in attributes resolve against the crate's directory (`CARGO_MANIFEST_DIR`);
//! relative paths in `PACT_SOURCES` against the current directory. An empty variable counts
//! as unset.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::PactSource;
use crate::state_endpoint::DEFAULT_STATE_PATH;

/// What `#[pact_provider_test]` wrote down at compile time.
#[derive(Debug, Clone, Copy)]
pub struct ProviderTestSpec {
    /// The test's path, for messages.
    pub test_name: &'static str,
    /// `provider = "..."`.
    pub provider: Option<&'static str>,
    /// `pacts = "..."`, in order.
    pub pacts: &'static [&'static str],
    /// `state_path = "..."`.
    pub state_path: Option<&'static str>,
    /// `boot_timeout_ms = ...`.
    pub boot_timeout_ms: Option<u64>,
    /// The annotated crate's `CARGO_MANIFEST_DIR`.
    pub manifest_dir: &'static str,
}

/// A configuration value that cannot be used. The message names the variable or option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The resolved settings of one verification run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The provider to verify; `None` takes it from the pacts.
    pub provider: Option<String>,
    /// Where to read pacts.
    pub sources: Vec<PactSource>,
    /// Path of the state endpoint.
    pub state_path: String,
    /// How long the app may take to accept connections.
    pub boot_timeout: Duration,
    /// Timeout of each request to the provider.
    pub request_timeout: Duration,
    /// How long one state function may run.
    pub state_timeout: Duration,
}

impl Settings {
    /// Settings for `sources` with every other value at its default.
    pub fn new(sources: Vec<PactSource>) -> Settings {
        Settings {
            provider: None,
            sources,
            state_path: DEFAULT_STATE_PATH.to_string(),
            boot_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            state_timeout: Duration::from_secs(30),
        }
    }

    /// Sets the provider name.
    pub fn provider(mut self, name: impl Into<String>) -> Settings {
        self.provider = Some(name.into());
        self
    }

    /// Resolves a test's attribute options, then lets the process environment override them.
    pub fn resolve(spec: &ProviderTestSpec) -> Result<Settings, ConfigError> {
        Self::resolve_with(spec, |name| std::env::var(name).ok())
    }

    /// [`Settings::resolve`] with an explicit environment, for tests.
    pub fn resolve_with(
        spec: &ProviderTestSpec,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let manifest_dir = Path::new(spec.manifest_dir);
        let sources = match env("PACT_SOURCES") {
            Some(list) => {
                let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
                list.split(',')
                    .filter(|item| !item.trim().is_empty())
                    .map(|item| PactSource::parse(item, &cwd))
                    .collect()
            }
            None if spec.pacts.is_empty() => vec![PactSource::parse("pacts", manifest_dir)],
            None => spec.pacts.iter().map(|item| PactSource::parse(item, manifest_dir)).collect(),
        };
        let state_path = env("PACT_STATE_CHANGE_PATH")
            .or_else(|| spec.state_path.map(str::to_string))
            .unwrap_or_else(|| DEFAULT_STATE_PATH.to_string());
        if !state_path.starts_with('/') {
            return Err(ConfigError(format!("PACT_STATE_CHANGE_PATH must start with `/`, got `{state_path}`")));
        }
        let millis = |name: &str, attribute: Option<u64>, default: u64| -> Result<Duration, ConfigError> {
            let value = match env(name) {
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| ConfigError(format!("{name} must be a whole number of milliseconds, got `{text}`")))?,
                None => attribute.unwrap_or(default),
            };
            Ok(Duration::from_millis(value))
        };
        Ok(Settings {
            provider: env("PACT_PROVIDER_NAME").or_else(|| spec.provider.map(str::to_string)),
            sources,
            state_path,
            boot_timeout: millis("PACT_APP_BOOT_TIMEOUT_MS", spec.boot_timeout_ms, 10_000)?,
            request_timeout: millis("PACT_REQUEST_TIMEOUT_MS", None, 30_000)?,
            state_timeout: millis("PACT_STATE_TIMEOUT_MS", None, 30_000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ProviderTestSpec = ProviderTestSpec {
        test_name: "t",
        provider: Some("FromAttribute"),
        pacts: &["pacts/a.json"],
        state_path: Some("/states"),
        boot_timeout_ms: Some(500),
        manifest_dir: "/crate",
    };

    #[test]
    fn environment_overrides_attributes() {
        let settings = Settings::resolve_with(&SPEC, |name| match name {
            "PACT_PROVIDER_NAME" => Some("FromEnv".into()),
            "PACT_APP_BOOT_TIMEOUT_MS" => Some("42".into()),
            "PACT_STATE_CHANGE_PATH" => Some("".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(settings.provider.as_deref(), Some("FromEnv"));
        assert_eq!(settings.boot_timeout, Duration::from_millis(42));
        assert_eq!(settings.state_path, "/states");
        assert_eq!(settings.sources, vec![PactSource::File("/crate/pacts/a.json".into())]);
    }

    #[test]
    fn bad_numbers_name_the_variable() {
        let error = Settings::resolve_with(&SPEC, |name| (name == "PACT_REQUEST_TIMEOUT_MS").then(|| "soon".into()))
            .unwrap_err();
        assert!(error.0.contains("PACT_REQUEST_TIMEOUT_MS"), "{error}");
    }
}
