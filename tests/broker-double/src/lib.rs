//! A Pact Broker test double: a real HTTP(S) server speaking the Pact Broker's HAL API, with
//! in-memory state, for testing broker clients (pact_verifier's broker client, the Ruby
//! `pact-broker` CLI, the Rust `pact` CLI) without a real broker.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use pact_broker_double::{BrokerDouble, BrokerOptions, Fault};
//!
//! let broker = BrokerDouble::start(BrokerOptions::new().with_basic_auth("user", "pass")).await?;
//! let pact = serde_json::json!({
//!     "consumer": { "name": "Web" }, "provider": { "name": "Users" },
//!     "interactions": [], "metadata": { "pactSpecification": { "version": "3.0.0" } }
//! });
//! broker.publish_pact("Web", "1.0.0", Some("main"), &["prod"], pact)?;
//! broker.set_fault(Fault::server_error(503).times(2).on_path("/for-verification"));
//! println!("point the verifier at {}", broker.url());
//! # Ok(()) }
//! ```
//!
//! # What it implements
//!
//! The index (`GET /`), publishing (`PUT /pacts/provider/{p}/consumer/{c}/version/{v}` and
//! `POST /contracts/publish`), pacts by content (`/pact-version/{sha}`) and by version,
//! provider collections (`/pacts/provider/{p}/latest[/{tag}]`), `pacts for verification`
//! (GET and POST), verification results, pacticipants, versions, tags, branches,
//! environments, deployments, releases, `/matrix` and `/can-i-deploy`. All links are absolute,
//! built from the request's `Host` header.
//!
//! # Rules followed from the real broker
//!
//! * **Selectors**: `mainBranch` selects the pact of the head of each consumer's main branch;
//!   `branch` the latest pact from that branch (`fallbackBranch` when no pact at all is found
//!   for the branch); `matchingBranch` is `branch` = `providerVersionBranch`; `tag` with
//!   `latest: true` the latest pact per consumer with the tag (`fallbackTag` likewise), `tag`
//!   alone every pact with the tag; `latest` alone the latest pact per consumer; `deployed`,
//!   `released`, `deployedOrReleased` and `environment` the currently deployed/supported
//!   versions; `consumer` restricts any of them. Without selectors: per consumer its main
//!   branch (or the latest with a tag named like it, or the latest), plus all deployed and
//!   released versions. The same content selected several ways is one entry with merged
//!   descriptions.
//! * **Pending**: with `providerVersionBranch`, a pact is pending unless a provider version on
//!   that branch verified it successfully, or a version on another branch did before the
//!   branch was created; with tags only, the same per tag (pending when any tag is pending);
//!   with neither, pending until any successful verification.
//! * **WIP** (`includeWipPactsSince`, needs a provider branch or tags): the pacts at the head of
//!   each consumer branch and the latest per consumer tag, published after the date, not
//!   selected explicitly and still pending; a successful result published for a WIP pact (its
//!   URL carries that in a metadata segment) doesn't end WIP status.
//! * **can-i-deploy**: a consumer version needs a successful verification from each provider
//!   it has a pact with (the provider versions in the target environment / with the target tag
//!   / the latest); a provider version must have verified the pacts of the consumer versions in
//!   the target. `deployable` is `null` while a result is missing.
//! * Publishing different content for an existing consumer version is a `409` unless
//!   [`BrokerOptions::allow_contract_modification`] is set. The first branch named `main`,
//!   `master` or `develop` becomes a pacticipant's main branch when none is set.

// Handlers and their helpers return ready-made error responses; boxing them buys nothing here.
#![allow(clippy::result_large_err)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod auth;
mod content;
mod faults;
mod hal;
mod matrix;
pub mod pact_cli;
mod query;
mod repr;
mod routes;
mod selectors;
mod state;
mod tls;

pub use faults::{Fault, FaultKind};

use state::{PublishError, State};

/// A PEM certificate chain and private key to serve HTTPS with.
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// The certificate chain, leaf first, in PEM.
    pub cert_pem: Vec<u8>,
    /// The private key (PKCS#8, PKCS#1 or SEC1) in PEM.
    pub key_pem: Vec<u8>,
}

/// How to start a [`BrokerDouble`].
#[derive(Debug, Clone, Default)]
pub struct BrokerOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Accept these basic-auth credentials.
    pub basic_auth: Option<(String, String)>,
    /// Accept this bearer token.
    pub bearer_token: Option<String>,
    /// Serve HTTPS with this certificate instead of HTTP.
    pub tls: Option<TlsIdentity>,
    /// Build links on this base URL instead of the request's `Host` (as a broker behind a
    /// proxy would be configured).
    pub public_base_url: Option<String>,
    /// Let a consumer version's pact be replaced by different content (the real broker's
    /// `allow_dangerous_contract_modification`); off by default, as there.
    pub allow_contract_modification: bool,
    /// Ignore unknown consumer version selector fields instead of answering 400.
    pub lenient_selectors: bool,
    /// Serve everything under this path (such as `/broker`), as a broker behind a reverse proxy
    /// at a sub-path: links and [`BrokerDouble::url`] carry it, other paths are `404`.
    pub path_prefix: Option<String>,
}

impl BrokerOptions {
    /// HTTP on a free port, no authentication.
    pub fn new() -> Self {
        Self::default()
    }

    /// Listens on this port (0 picks a free one).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Requires (or, with a token too, also accepts) these basic-auth credentials.
    pub fn with_basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic_auth = Some((username.into(), password.into()));
        self
    }

    /// Requires (or, with basic auth too, also accepts) this bearer token.
    pub fn with_bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// Serves HTTPS with a PEM certificate chain and key.
    pub fn with_tls(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls = Some(TlsIdentity { cert_pem: cert_pem.into(), key_pem: key_pem.into() });
        self
    }

    /// Builds links on a fixed base URL.
    pub fn with_public_base_url(mut self, url: impl Into<String>) -> Self {
        self.public_base_url = Some(url.into());
        self
    }

    /// Serves the broker under a path prefix, e.g. `/broker` (see [`BrokerOptions::path_prefix`]).
    pub fn with_path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Allows republishing different content for an existing consumer version.
    pub fn allow_contract_modification(mut self) -> Self {
        self.allow_contract_modification = true;
        self
    }

    /// Ignores unknown consumer version selector fields.
    pub fn lenient_selectors(mut self) -> Self {
        self.lenient_selectors = true;
        self
    }
}

/// A pact stored in the double.
#[derive(Debug, Clone, PartialEq)]
pub struct PactRecord {
    /// Consumer name.
    pub consumer: String,
    /// Provider name.
    pub provider: String,
    /// The consumer version the pact was published for.
    pub consumer_version: String,
    /// The content hash ("pact version sha").
    pub sha: String,
    /// The document as served (with interaction `_id`s, without `_links`).
    pub content: Value,
    /// Branches of the consumer version.
    pub branches: Vec<String>,
    /// Tags of the consumer version.
    pub tags: Vec<String>,
    /// When it was published.
    pub created_at: DateTime<Utc>,
}

impl PactRecord {
    fn to_json(&self) -> Value {
        json!({
            "consumer": self.consumer,
            "provider": self.provider,
            "consumerVersion": self.consumer_version,
            "sha": self.sha,
            "branches": self.branches,
            "tags": self.tags,
            "createdAt": hal::timestamp(&self.created_at),
        })
    }
}

/// A verification result stored in the double.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationRecord {
    /// Provider name.
    pub provider: String,
    /// Consumer name.
    pub consumer: String,
    /// The content hash of the verified pact.
    pub pact_version_sha: String,
    /// `providerApplicationVersion`.
    pub provider_version: String,
    /// Whether the verification passed.
    pub success: bool,
    /// `buildUrl`, if sent.
    pub build_url: Option<String>,
    /// `testResults`, if sent.
    pub test_results: Option<Value>,
    /// `verifiedBy`, if sent.
    pub verified_by: Option<Value>,
    /// Branches of the provider version (as they are now).
    pub provider_branches: Vec<String>,
    /// Tags of the provider version (as they are now).
    pub provider_tags: Vec<String>,
    /// Published for a pact that was handed out as work in progress.
    pub wip: bool,
    /// When it was published.
    pub created_at: DateTime<Utc>,
}

impl VerificationRecord {
    fn to_json(&self) -> Value {
        json!({
            "provider": self.provider,
            "consumer": self.consumer,
            "pactVersionSha": self.pact_version_sha,
            "providerVersion": self.provider_version,
            "success": self.success,
            "buildUrl": self.build_url,
            "testResults": self.test_results,
            "verifiedBy": self.verified_by,
            "providerBranches": self.provider_branches,
            "providerTags": self.provider_tags,
            "wip": self.wip,
            "createdAt": hal::timestamp(&self.created_at),
        })
    }
}

/// One request the double answered (control-plane requests excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Status code answered (after auth and faults).
    pub status: u16,
}

/// A pact published through [`BrokerDouble::publish_pact`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPact {
    /// The content hash ("pact version sha").
    pub sha: String,
    /// The absolute URL of the pact content (`/pact-version/{sha}`).
    pub url: String,
}

pub(crate) struct Config {
    pub scheme: &'static str,
    pub local_addr: SocketAddr,
    pub public_base_url: Option<String>,
    /// `/broker` or empty: what every path and link starts with.
    pub path_prefix: String,
    pub basic_auth: Option<(String, String)>,
    pub bearer_token: Option<String>,
    pub allow_contract_modification: bool,
    pub reject_unknown_selector_keys: bool,
}

pub(crate) struct Shared {
    pub config: Config,
    state: Mutex<State>,
    pub faults: Mutex<Vec<Fault>>,
    pub requests: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    /// The state, even if a panicking handler poisoned the lock (the data is still usable).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn reset(&self) {
        *self.state() = State::default();
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn pact_records(&self) -> Vec<PactRecord> {
        let state = self.state();
        let mut pubs: Vec<_> = state.publications.iter().collect();
        pubs.sort_by_key(|p| p.seq);
        pubs.into_iter()
            .map(|p| {
                let version = state.version(&p.consumer, &p.consumer_version);
                PactRecord {
                    consumer: p.consumer.clone(),
                    provider: p.provider.clone(),
                    consumer_version: p.consumer_version.clone(),
                    sha: p.sha.clone(),
                    content: state
                        .content(&p.consumer, &p.provider, &p.sha)
                        .map(|c| c.json.clone())
                        .unwrap_or_default(),
                    branches: version.map(|v| v.branches.clone()).unwrap_or_default(),
                    tags: version.map(|v| v.tags.iter().map(|t| t.name.clone()).collect()).unwrap_or_default(),
                    created_at: p.created_at,
                }
            })
            .collect()
    }

    pub fn verification_records(&self) -> Vec<VerificationRecord> {
        let state = self.state();
        state
            .verifications
            .iter()
            .map(|v| {
                let version = state.version(&v.provider, &v.provider_version);
                VerificationRecord {
                    provider: v.provider.clone(),
                    consumer: v.consumer.clone(),
                    pact_version_sha: v.sha.clone(),
                    provider_version: v.provider_version.clone(),
                    success: v.success,
                    build_url: v.build_url.clone(),
                    test_results: v.test_results.clone(),
                    verified_by: v.verified_by.clone(),
                    provider_branches: version.map(|x| x.branches.clone()).unwrap_or_default(),
                    provider_tags: version.map(|x| x.tags.iter().map(|t| t.name.clone()).collect()).unwrap_or_default(),
                    wip: v.wip,
                    created_at: v.created_at,
                }
            })
            .collect()
    }
}

/// A running broker double. It stops when dropped (or with [`BrokerDouble::shutdown`]).
pub struct BrokerDouble {
    shared: Arc<Shared>,
    url: String,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for BrokerDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerDouble").field("url", &self.url).finish_non_exhaustive()
    }
}

impl BrokerDouble {
    /// Binds 127.0.0.1 on the given port and starts serving in the background.
    pub async fn start(options: BrokerOptions) -> anyhow::Result<BrokerDouble> {
        let tls_config = match &options.tls {
            Some(identity) => Some(tls::server_config(&identity.cert_pem, &identity.key_pem)?),
            None => None,
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
        let addr = listener.local_addr()?;
        let scheme = if tls_config.is_some() { "https" } else { "http" };
        let path_prefix = match options.path_prefix.as_deref().map(|prefix| prefix.trim_matches('/')) {
            Some(prefix) if !prefix.is_empty() => format!("/{prefix}"),
            _ => String::new(),
        };
        let shared = Arc::new(Shared {
            config: Config {
                scheme,
                local_addr: addr,
                public_base_url: options.public_base_url.clone(),
                path_prefix: path_prefix.clone(),
                basic_auth: options.basic_auth.clone(),
                bearer_token: options.bearer_token.clone(),
                allow_contract_modification: options.allow_contract_modification,
                reject_unknown_selector_keys: !options.lenient_selectors,
            },
            state: Mutex::new(State::default()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let app = routes::router(shared.clone());
        let app = if path_prefix.is_empty() { app } else { routes::under_prefix(path_prefix.clone(), app) };
        let (shutdown, signal) = oneshot::channel::<()>();
        let signal = async move {
            let _ = signal.await;
        };
        let server = match tls_config {
            None => tokio::spawn(async move {
                let _ = axum::serve(listener, app).with_graceful_shutdown(signal).await;
            }),
            Some(config) => {
                let listener = tls::TlsListener::new(listener, config)?;
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).with_graceful_shutdown(signal).await;
                })
            }
        };
        Ok(BrokerDouble {
            shared,
            url: format!("{scheme}://127.0.0.1:{}{path_prefix}", addr.port()),
            addr,
            shutdown: Some(shutdown),
            server: Some(server),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`, or `http://127.0.0.1:41234/broker` under a
    /// path prefix (no trailing slash).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    // ------------------------------------------------------------------ seeding

    /// Publishes a pact for a consumer version (as `PUT /pacts/provider/{p}/consumer/{c}/version/{v}`
    /// would), after putting the version on `branch` and tagging it. The provider is read from
    /// the pact's `provider.name`.
    pub fn publish_pact(
        &self,
        consumer: &str,
        version: &str,
        branch: Option<&str>,
        tags: &[&str],
        pact: Value,
    ) -> anyhow::Result<PublishedPact> {
        let (in_consumer, provider) = content::participant_names(&pact);
        let provider = provider.ok_or_else(|| anyhow::anyhow!("the pact has no provider.name"))?;
        if let Some(name) = in_consumer.filter(|n| n != consumer) {
            anyhow::bail!("the pact's consumer is '{name}', not '{consumer}'");
        }
        let mut state = self.shared.state();
        state.ensure_version(consumer, version);
        if let Some(branch) = branch {
            state.add_branch_version(consumer, version, branch);
        }
        for tag in tags {
            state.add_tag(consumer, version, tag);
        }
        let outcome = state
            .publish(consumer, &provider, version, pact, self.shared.config.allow_contract_modification, false)
            .map_err(|e| match e {
                PublishError::Conflict(m) | PublishError::Invalid(m) => anyhow::anyhow!(m),
            })?;
        let url = format!(
            "{}/pacts/provider/{}/consumer/{}/pact-version/{}",
            self.url,
            hal::enc(&provider),
            hal::enc(consumer),
            outcome.sha
        );
        Ok(PublishedPact { sha: outcome.sha, url })
    }

    /// Records a verification result for the pact `consumer` published for `consumer_version`,
    /// by `provider_version` (created, and put on `branch` / tagged, first).
    #[allow(clippy::too_many_arguments)]
    pub fn record_verification(
        &self,
        provider: &str,
        provider_version: &str,
        consumer: &str,
        consumer_version: &str,
        success: bool,
        branch: Option<&str>,
        tags: &[&str],
    ) -> anyhow::Result<()> {
        let mut state = self.shared.state();
        let sha = state
            .publication(consumer, provider, consumer_version)
            .map(|p| p.sha.clone())
            .ok_or_else(|| anyhow::anyhow!("{consumer} version {consumer_version} has no pact with {provider}"))?;
        state.ensure_version(provider, provider_version);
        if let Some(branch) = branch {
            state.add_branch_version(provider, provider_version, branch);
        }
        for tag in tags {
            state.add_tag(provider, provider_version, tag);
        }
        state.record_verification(consumer, provider, &sha, provider_version, success, None, None, None, false);
        Ok(())
    }

    /// Creates an environment (or returns the existing one's UUID).
    pub fn create_environment(&self, name: &str, production: bool) -> String {
        let mut state = self.shared.state();
        if let Some(existing) = state.environment_by_name(name) {
            return existing.uuid.clone();
        }
        state.create_environment(name, None, production, None).uuid
    }

    /// Records that `pacticipant` `version` is deployed to `environment`, creating the version
    /// and the (non-production) environment if needed. Returns the deployment's UUID.
    pub fn record_deployment(&self, pacticipant: &str, version: &str, environment: &str) -> String {
        let environment = self.create_environment(environment, false);
        let mut state = self.shared.state();
        state.ensure_version(pacticipant, version);
        state.record_deployment(pacticipant, version, &environment, None).uuid
    }

    /// Records that `pacticipant` `version` is released (and supported) in `environment`,
    /// creating what's needed like [`BrokerDouble::record_deployment`]. Returns the release's UUID.
    pub fn record_release(&self, pacticipant: &str, version: &str, environment: &str) -> String {
        let environment = self.create_environment(environment, false);
        let mut state = self.shared.state();
        state.ensure_version(pacticipant, version);
        state.record_release(pacticipant, version, &environment).uuid
    }

    /// Sets (or clears) a pacticipant's main branch, creating the pacticipant if needed.
    pub fn set_main_branch(&self, pacticipant: &str, branch: Option<&str>) {
        let mut state = self.shared.state();
        state.ensure_pacticipant(pacticipant);
        if let Some(p) = state.pacticipant_mut(pacticipant) {
            p.main_branch = branch.map(str::to_string);
        }
    }

    /// Puts a version (created if needed) on a branch.
    pub fn add_version_to_branch(&self, pacticipant: &str, version: &str, branch: &str) {
        self.shared.state().add_branch_version(pacticipant, version, branch);
    }

    /// Tags a version (created if needed).
    pub fn tag_version(&self, pacticipant: &str, version: &str, tag: &str) {
        self.shared.state().add_tag(pacticipant, version, tag);
    }

    /// Freezes the clock at `now` (`None` lets it run again). Affects the creation time of
    /// everything stored afterwards, e.g. to place pacts before an `includeWipPactsSince` date.
    pub fn set_clock(&self, now: Option<DateTime<Utc>>) {
        self.shared.state().clock = now;
    }

    /// Forgets everything: data, faults and recorded requests.
    pub fn reset(&self) {
        self.shared.reset();
    }

    // ------------------------------------------------------------------ inspection

    /// The stored pacts, in publication order.
    pub fn pacts(&self) -> Vec<PactRecord> {
        self.shared.pact_records()
    }

    /// The stored verification results, in publication order.
    pub fn verification_results(&self) -> Vec<VerificationRecord> {
        self.shared.verification_records()
    }

    /// The requests answered so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.requests.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    // ------------------------------------------------------------------ faults

    /// Adds a fault for the next matching requests.
    pub fn set_fault(&self, fault: Fault) {
        self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()).push(fault);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Drop for BrokerDouble {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
