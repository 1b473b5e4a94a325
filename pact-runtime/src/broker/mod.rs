//! The Pact Broker (or PactFlow): fetching the pacts to verify and publishing the results.
//!
//! Pacts come from `pb:provider-pacts-for-verification` with your consumer version selectors,
//! provider branch and tags, pending status and WIP pacts. In webhook mode (`PACT_URL`) only
//! that pact is fetched. Results are published per pact to its
//! `pb:publish-verification-results` link, after the provider version's branch
//! (`pb:branch-version`) and tags (`pb:version-tag`) are recorded.
//!
//! We use `pact_verifier::pact_broker`'s request types (selectors, the pacts-for-verification
//! body) but walk the HAL links ourselves, because its client:
//! - turns a for-verification answer it cannot parse into "no pacts found", hiding a broken broker;
//! - cannot take our pooled client, so a custom CA bundle would not reach fetch or publish;
//! - drops the `wip` flag, which we show.

mod client;
mod fetch;
mod publish;

use std::fmt;
use std::path::PathBuf;

pub use fetch::{fetch_broker_pacts, fetch_webhook_pact};
pub use publish::publish_results;

pub use client::BrokerClient;

/// One consumer version selector, as the Pact Broker's pacts-for-verification takes it: a JSON
/// object such as `{"mainBranch": true}` or `{"branch": "main", "consumer": "Web"}`. Made with
/// [`ConsumerVersionSelector::from_json`]. Our own type, so this API does not change when
/// `pact_verifier`'s does.
#[derive(Clone)]
pub struct ConsumerVersionSelector(pub(crate) pact_verifier::ConsumerVersionSelector);

impl ConsumerVersionSelector {
    /// The selector as the JSON object the broker receives.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for ConsumerVersionSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConsumerVersionSelector({})", self.to_json())
    }
}

/// A credential. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to authenticate to the broker. `Debug` hides the secrets, and the username too when
/// there is no password (then it is a token given as the URL's user).
#[derive(Clone, PartialEq, Eq)]
pub enum BrokerAuth {
    /// HTTP basic auth.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
        /// Where the credentials came from, for error messages (never their values).
        source: &'static str,
    },
    /// A bearer token (PactFlow).
    Bearer {
        /// The token.
        token: Secret,
        /// Where the token came from, for error messages.
        source: &'static str,
    },
}

impl fmt::Debug for BrokerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerAuth::Basic { username, password, source } => {
                let username = if password.expose().is_empty() { "***" } else { username.as_str() };
                f.debug_struct("Basic")
                    .field("username", &username)
                    .field("password", password)
                    .field("source", source)
                    .finish()
            }
            BrokerAuth::Bearer { token, source } => {
                f.debug_struct("Bearer").field("token", token).field("source", source).finish()
            }
        }
    }
}

impl BrokerAuth {
    /// Where the credentials came from, such as `PACT_BROKER_TOKEN`.
    pub fn source(&self) -> &'static str {
        match self {
            BrokerAuth::Basic { source, .. } | BrokerAuth::Bearer { source, .. } => source,
        }
    }
}

/// Where and how to fetch pacts from a broker, as [`Settings::broker`](crate::Settings::broker)
/// reads them; the broker options of [`SettingsBuilder`](crate::config::SettingsBuilder) set them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BrokerSettings {
    /// The broker's base URL, without credentials or a trailing slash.
    pub base_url: String,
    /// Credentials, if any.
    pub auth: Option<BrokerAuth>,
    /// Consumer version selectors; empty means the broker's default.
    pub selectors: Vec<ConsumerVersionSelector>,
    /// The provider's branch, for pending status and `matchingBranch`.
    pub provider_branch: Option<String>,
    /// The provider's tags, for pending status.
    pub provider_tags: Vec<String>,
    /// Ask for pending status.
    pub enable_pending: bool,
    /// Include WIP pacts created since this date.
    pub include_wip_pacts_since: Option<String>,
    /// A PEM bundle of extra CA certificates to trust.
    pub ca_bundle: Option<PathBuf>,
}

/// What to publish verification results as, as [`Settings::publish`](crate::Settings::publish)
/// reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishSettings {
    /// `providerApplicationVersion`.
    pub provider_version: String,
    /// Recorded with `pb:branch-version`.
    pub provider_branch: Option<String>,
    /// Recorded with `pb:version-tag`.
    pub provider_tags: Vec<String>,
    /// `buildUrl`.
    pub build_url: Option<String>,
}

/// A broker that failed or answered something unusable. The message never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerError(pub String);

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BrokerError {}
