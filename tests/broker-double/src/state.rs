//! In-memory data model of the broker double: pacticipants, versions, branches, tags, pact
//! publications, verification results, environments, deployments and releases.
//!
//! Every record carries a `seq` from one global counter, so "before"/"after" comparisons stay
//! exact even when many records share a timestamp (tests run fast, and the clock can be frozen).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::content;

/// Branch names the real broker adopts as a pacticipant's main branch when none is configured.
const MAIN_BRANCH_CANDIDATES: [&str; 3] = ["develop", "main", "master"];

#[derive(Debug, Clone)]
pub(crate) struct Pacticipant {
    pub name: String,
    pub display_name: Option<String>,
    pub main_branch: Option<String>,
    pub repository_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub pacticipant: String,
    pub number: String,
    /// Creation order; "latest" always means the highest order.
    pub order: u64,
    pub created_at: DateTime<Utc>,
    pub build_url: Option<String>,
    pub tags: Vec<Tag>,
    pub branches: Vec<String>,
}

impl Version {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.name == tag)
    }

    pub fn on_branch(&self, branch: &str) -> bool {
        self.branches.iter().any(|b| b == branch)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub pacticipant: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct PactContent {
    pub consumer: String,
    pub provider: String,
    pub sha: String,
    /// The published document with interaction `_id`s added.
    pub json: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Publication {
    pub consumer: String,
    pub provider: String,
    pub consumer_version: String,
    pub version_order: u64,
    pub sha: String,
    pub created_at: DateTime<Utc>,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Verification {
    /// Position of this result among the results for the same pact content (1-based).
    pub number: u64,
    pub consumer: String,
    pub provider: String,
    pub sha: String,
    pub provider_version: String,
    pub success: bool,
    pub build_url: Option<String>,
    pub test_results: Option<Value>,
    pub verified_by: Option<Value>,
    /// Published for a pact that was handed out as work in progress.
    pub wip: bool,
    pub created_at: DateTime<Utc>,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Environment {
    pub uuid: String,
    pub name: String,
    pub display_name: Option<String>,
    pub production: bool,
    pub contacts: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct DeployedVersion {
    pub uuid: String,
    pub pacticipant: String,
    pub version: String,
    pub environment: String,
    pub application_instance: Option<String>,
    pub currently_deployed: bool,
    pub created_at: DateTime<Utc>,
    pub undeployed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct ReleasedVersion {
    pub uuid: String,
    pub pacticipant: String,
    pub version: String,
    pub environment: String,
    pub currently_supported: bool,
    pub created_at: DateTime<Utc>,
    pub support_ended_at: Option<DateTime<Utc>>,
}

/// Why a pact publication was refused.
#[derive(Debug)]
pub(crate) enum PublishError {
    /// Different content for a consumer version that already has a pact with this provider.
    Conflict(String),
    /// Malformed input (names that don't match, content that isn't a pact).
    Invalid(String),
}

/// What a successful publication did.
#[derive(Debug, Clone)]
pub(crate) struct PublishOutcome {
    pub sha: String,
    /// A new publication (`false`: the same content was published again, or it was merged/overwritten).
    pub created: bool,
    pub content_changed: bool,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    seq: u64,
    pub clock: Option<DateTime<Utc>>,
    pub pacticipants: Vec<Pacticipant>,
    pub versions: Vec<Version>,
    pub branches: Vec<Branch>,
    pub contents: Vec<PactContent>,
    pub publications: Vec<Publication>,
    pub verifications: Vec<Verification>,
    pub environments: Vec<Environment>,
    pub deployments: Vec<DeployedVersion>,
    pub releases: Vec<ReleasedVersion>,
}

impl State {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    // ---------------------------------------------------------------- pacticipants

    pub fn pacticipant(&self, name: &str) -> Option<&Pacticipant> {
        self.pacticipants.iter().find(|p| p.name == name)
    }

    pub fn pacticipant_mut(&mut self, name: &str) -> Option<&mut Pacticipant> {
        self.pacticipants.iter_mut().find(|p| p.name == name)
    }

    /// Returns `true` when the pacticipant was created.
    pub fn ensure_pacticipant(&mut self, name: &str) -> bool {
        if self.pacticipant(name).is_some() {
            return false;
        }
        let created_at = self.now();
        self.pacticipants.push(Pacticipant {
            name: name.to_string(),
            display_name: None,
            main_branch: None,
            repository_url: None,
            created_at,
            updated_at: None,
        });
        true
    }

    // ---------------------------------------------------------------- versions

    pub fn version(&self, pacticipant: &str, number: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.pacticipant == pacticipant && v.number == number)
    }

    fn version_mut(&mut self, pacticipant: &str, number: &str) -> Option<&mut Version> {
        self.versions.iter_mut().find(|v| v.pacticipant == pacticipant && v.number == number)
    }

    /// Creates the pacticipant and version when missing; returns `true` when the version is new.
    pub fn ensure_version(&mut self, pacticipant: &str, number: &str) -> bool {
        self.ensure_pacticipant(pacticipant);
        if self.version(pacticipant, number).is_some() {
            return false;
        }
        let order = self.next_seq();
        let created_at = self.now();
        self.versions.push(Version {
            pacticipant: pacticipant.to_string(),
            number: number.to_string(),
            order,
            created_at,
            build_url: None,
            tags: Vec::new(),
            branches: Vec::new(),
        });
        true
    }

    pub fn set_build_url(&mut self, pacticipant: &str, number: &str, build_url: Option<String>) {
        if let (Some(url), Some(version)) = (build_url, self.version_mut(pacticipant, number)) {
            version.build_url = Some(url);
        }
    }

    /// The versions of a pacticipant, oldest first.
    pub fn versions_of(&self, pacticipant: &str) -> Vec<&Version> {
        let mut versions: Vec<&Version> = self.versions.iter().filter(|v| v.pacticipant == pacticipant).collect();
        versions.sort_by_key(|v| v.order);
        versions
    }

    pub fn latest_version(&self, pacticipant: &str) -> Option<&Version> {
        self.versions_of(pacticipant).into_iter().last()
    }

    pub fn latest_version_with_tag(&self, pacticipant: &str, tag: &str) -> Option<&Version> {
        self.versions_of(pacticipant).into_iter().rev().find(|v| v.has_tag(tag))
    }

    /// The head of a branch: its most recent version.
    pub fn branch_head(&self, pacticipant: &str, branch: &str) -> Option<&Version> {
        self.versions_of(pacticipant).into_iter().rev().find(|v| v.on_branch(branch))
    }

    pub fn main_branch_head(&self, pacticipant: &str) -> Option<&Version> {
        let main = self.pacticipant(pacticipant)?.main_branch.clone()?;
        self.branch_head(pacticipant, &main)
    }

    /// Adds a tag (creating pacticipant and version); returns `true` when the tag is new.
    pub fn add_tag(&mut self, pacticipant: &str, number: &str, tag: &str) -> bool {
        self.ensure_version(pacticipant, number);
        if self.version(pacticipant, number).is_some_and(|v| v.has_tag(tag)) {
            return false;
        }
        let seq = self.next_seq();
        let created_at = self.now();
        if let Some(version) = self.version_mut(pacticipant, number) {
            version.tags.push(Tag { name: tag.to_string(), created_at, seq });
        }
        true
    }

    pub fn remove_tag(&mut self, pacticipant: &str, number: &str, tag: &str) -> bool {
        match self.version_mut(pacticipant, number) {
            Some(version) => {
                let before = version.tags.len();
                version.tags.retain(|t| t.name != tag);
                before != version.tags.len()
            }
            None => false,
        }
    }

    pub fn branch(&self, pacticipant: &str, name: &str) -> Option<&Branch> {
        self.branches.iter().find(|b| b.pacticipant == pacticipant && b.name == name)
    }

    /// Adds a version to a branch (creating everything needed); returns `true` when it wasn't
    /// on the branch yet. Like the real broker, the first branch called develop, main or master
    /// becomes the pacticipant's main branch when none is configured.
    pub fn add_branch_version(&mut self, pacticipant: &str, number: &str, branch: &str) -> bool {
        self.ensure_version(pacticipant, number);
        if self.branch(pacticipant, branch).is_none() {
            let seq = self.next_seq();
            let created_at = self.now();
            self.branches.push(Branch {
                pacticipant: pacticipant.to_string(),
                name: branch.to_string(),
                created_at,
                seq,
            });
        }
        if let Some(p) = self.pacticipant_mut(pacticipant) {
            if p.main_branch.is_none() && MAIN_BRANCH_CANDIDATES.contains(&branch) {
                p.main_branch = Some(branch.to_string());
            }
        }
        let version = self.version_mut(pacticipant, number).expect("version was just ensured");
        if version.on_branch(branch) {
            return false;
        }
        version.branches.push(branch.to_string());
        true
    }

    /// The first time a tag name was used on any version of the pacticipant.
    pub fn first_tag_seq(&self, pacticipant: &str, tag: &str) -> Option<u64> {
        self.versions
            .iter()
            .filter(|v| v.pacticipant == pacticipant)
            .flat_map(|v| v.tags.iter())
            .filter(|t| t.name == tag)
            .map(|t| t.seq)
            .min()
    }

    // ---------------------------------------------------------------- pacts

    pub fn content(&self, consumer: &str, provider: &str, sha: &str) -> Option<&PactContent> {
        self.contents.iter().find(|c| c.consumer == consumer && c.provider == provider && c.sha == sha)
    }

    pub fn publication(&self, consumer: &str, provider: &str, consumer_version: &str) -> Option<&Publication> {
        self.publications
            .iter()
            .find(|p| p.consumer == consumer && p.provider == provider && p.consumer_version == consumer_version)
    }

    /// All publications for a provider, oldest consumer version first.
    pub fn publications_for_provider(&self, provider: &str) -> Vec<&Publication> {
        let mut pubs: Vec<&Publication> = self.publications.iter().filter(|p| p.provider == provider).collect();
        pubs.sort_by_key(|p| p.version_order);
        pubs
    }

    /// The consumers that have published a pact with the provider, by name.
    pub fn consumers_of(&self, provider: &str) -> Vec<String> {
        let names: BTreeSet<&str> =
            self.publications.iter().filter(|p| p.provider == provider).map(|p| p.consumer.as_str()).collect();
        names.into_iter().map(str::to_string).collect()
    }

    /// The consumer versions whose pact with the provider has this content, oldest first.
    pub fn versions_with_content(&self, consumer: &str, provider: &str, sha: &str) -> Vec<&Publication> {
        let mut pubs: Vec<&Publication> = self
            .publications
            .iter()
            .filter(|p| p.consumer == consumer && p.provider == provider && p.sha == sha)
            .collect();
        pubs.sort_by_key(|p| p.version_order);
        pubs
    }

    /// Stores a pact for a consumer version. `merge` combines its interactions with the ones
    /// already published for that version; otherwise different content is a conflict unless
    /// `allow_modification` is set (the real broker's default refuses it too).
    pub fn publish(
        &mut self,
        consumer: &str,
        provider: &str,
        consumer_version: &str,
        document: Value,
        allow_modification: bool,
        merge: bool,
    ) -> Result<PublishOutcome, PublishError> {
        if !document.is_object() {
            return Err(PublishError::Invalid("the pact must be a JSON object".into()));
        }
        self.ensure_pacticipant(provider);
        self.ensure_version(consumer, consumer_version);
        let existing = self.publication(consumer, provider, consumer_version).cloned();

        let document = match (&existing, merge) {
            (Some(existing), true) => {
                let old = self.content(consumer, provider, &existing.sha).map(|c| c.json.clone()).unwrap_or_default();
                content::merge_pacts(&old, &document)
            }
            _ => document,
        };
        let sha = content::pact_sha(&document);
        let now = self.now();
        if self.content(consumer, provider, &sha).is_none() {
            self.contents.push(PactContent {
                consumer: consumer.to_string(),
                provider: provider.to_string(),
                sha: sha.clone(),
                json: content::with_interaction_ids(&document),
                created_at: now,
            });
        }

        let version_order = self.version(consumer, consumer_version).map(|v| v.order).unwrap_or_default();
        match existing {
            Some(existing) if existing.sha == sha => Ok(PublishOutcome { sha, created: false, content_changed: false }),
            Some(_) if !merge && !allow_modification => Err(PublishError::Conflict(format!(
                "{consumer} version {consumer_version} already has a different pact with {provider}; \
                 publish changed content under a new consumer version number"
            ))),
            Some(_) => {
                let seq = self.next_seq();
                if let Some(publication) = self.publications.iter_mut().find(|p| {
                    p.consumer == consumer && p.provider == provider && p.consumer_version == consumer_version
                }) {
                    publication.sha = sha.clone();
                    publication.created_at = now;
                    publication.seq = seq;
                }
                Ok(PublishOutcome { sha, created: false, content_changed: true })
            }
            None => {
                let seq = self.next_seq();
                self.publications.push(Publication {
                    consumer: consumer.to_string(),
                    provider: provider.to_string(),
                    consumer_version: consumer_version.to_string(),
                    version_order,
                    sha: sha.clone(),
                    created_at: now,
                    seq,
                });
                Ok(PublishOutcome { sha, created: true, content_changed: true })
            }
        }
    }

    // ---------------------------------------------------------------- verifications

    pub fn verifications_for(&self, consumer: &str, provider: &str, sha: &str) -> Vec<&Verification> {
        self.verifications.iter().filter(|v| v.consumer == consumer && v.provider == provider && v.sha == sha).collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record_verification(
        &mut self,
        consumer: &str,
        provider: &str,
        sha: &str,
        provider_version: &str,
        success: bool,
        build_url: Option<String>,
        test_results: Option<Value>,
        verified_by: Option<Value>,
        wip: bool,
    ) -> Verification {
        self.ensure_version(provider, provider_version);
        let number = self.verifications_for(consumer, provider, sha).len() as u64 + 1;
        let seq = self.next_seq();
        let verification = Verification {
            number,
            consumer: consumer.to_string(),
            provider: provider.to_string(),
            sha: sha.to_string(),
            provider_version: provider_version.to_string(),
            success,
            build_url,
            test_results,
            verified_by,
            wip,
            created_at: self.now(),
            seq,
        };
        self.verifications.push(verification.clone());
        verification
    }

    // ---------------------------------------------------------------- environments

    pub fn environment_by_name(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn environment_by_uuid(&self, uuid: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.uuid == uuid)
    }

    pub fn create_environment(
        &mut self,
        name: &str,
        display_name: Option<String>,
        production: bool,
        contacts: Option<Value>,
    ) -> Environment {
        let environment = Environment {
            uuid: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            display_name,
            production,
            contacts,
            created_at: self.now(),
            updated_at: None,
        };
        self.environments.push(environment.clone());
        environment
    }

    /// Records a deployment; an earlier deployment of the same pacticipant to the same
    /// environment and application instance stops being current, as in the real broker.
    pub fn record_deployment(
        &mut self,
        pacticipant: &str,
        version: &str,
        environment_uuid: &str,
        application_instance: Option<String>,
    ) -> DeployedVersion {
        let now = self.now();
        for deployment in self.deployments.iter_mut().filter(|d| {
            d.pacticipant == pacticipant
                && d.environment == environment_uuid
                && d.application_instance == application_instance
                && d.currently_deployed
        }) {
            deployment.currently_deployed = false;
            deployment.undeployed_at = Some(now);
        }
        let deployment = DeployedVersion {
            uuid: uuid::Uuid::new_v4().to_string(),
            pacticipant: pacticipant.to_string(),
            version: version.to_string(),
            environment: environment_uuid.to_string(),
            application_instance,
            currently_deployed: true,
            created_at: now,
            undeployed_at: None,
        };
        self.deployments.push(deployment.clone());
        deployment
    }

    /// Records a release; releasing the same version to the same environment again returns
    /// the existing supported release.
    pub fn record_release(&mut self, pacticipant: &str, version: &str, environment_uuid: &str) -> ReleasedVersion {
        if let Some(existing) = self.releases.iter().find(|r| {
            r.pacticipant == pacticipant
                && r.version == version
                && r.environment == environment_uuid
                && r.currently_supported
        }) {
            return existing.clone();
        }
        let release = ReleasedVersion {
            uuid: uuid::Uuid::new_v4().to_string(),
            pacticipant: pacticipant.to_string(),
            version: version.to_string(),
            environment: environment_uuid.to_string(),
            currently_supported: true,
            created_at: self.now(),
            support_ended_at: None,
        };
        self.releases.push(release.clone());
        release
    }

    /// Versions currently deployed, optionally only to one environment (by name).
    pub fn currently_deployed(&self, environment: Option<&str>) -> Vec<&DeployedVersion> {
        self.deployments
            .iter()
            .filter(|d| d.currently_deployed)
            .filter(|d| environment.is_none_or(|name| self.environment_name(&d.environment) == Some(name)))
            .collect()
    }

    /// Released versions still supported, optionally only in one environment (by name).
    pub fn currently_supported(&self, environment: Option<&str>) -> Vec<&ReleasedVersion> {
        self.releases
            .iter()
            .filter(|r| r.currently_supported)
            .filter(|r| environment.is_none_or(|name| self.environment_name(&r.environment) == Some(name)))
            .collect()
    }

    pub fn environment_name(&self, uuid: &str) -> Option<&str> {
        self.environment_by_uuid(uuid).map(|e| e.name.as_str())
    }
}
