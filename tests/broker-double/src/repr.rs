//! JSON (HAL) representations of the broker's resources.

use serde_json::{json, Value};

use super::hal::{link, pact_name, templated, timestamp, Base};
use super::state::{DeployedVersion, Environment, Pacticipant, ReleasedVersion, State, Verification, Version};

pub(crate) fn pacticipant(state: &State, base: &Base, p: &Pacticipant) -> Value {
    let name = &p.name;
    let mut json = json!({
        "name": name,
        "displayName": p.display_name.clone().unwrap_or_else(|| name.clone()),
        "mainBranch": p.main_branch,
        "repositoryUrl": p.repository_url,
        "createdAt": timestamp(&p.created_at),
        "_links": {
            "self": link(base.pacticipant(name), Some("Pacticipant"), Some(name)),
            "pb:versions": link(base.versions(name), Some("Versions"), None),
            "pb:version": templated(format!("{}/versions/{{version}}", base.pacticipant(name)),
                "Get, create or delete a version of this pacticipant"),
            "pb:version-tag": templated(format!("{}/versions/{{version}}/tags/{{tag}}", base.pacticipant(name)),
                &format!("Get, create or delete a tag for a version of {name}")),
            "pb:branch-version": templated(format!("{}/branches/{{branch}}/versions/{{version}}", base.pacticipant(name)),
                &format!("Get or add a version of {name} to a branch")),
            "pb:branches": link(format!("{}/branches", base.pacticipant(name)), Some("Branches"), None),
            "pb:latest-version": link(format!("{}/latest-version", base.pacticipant(name)),
                Some("Latest version"), None),
        }
    });
    if let Some(updated) = &p.updated_at {
        json["updatedAt"] = json!(timestamp(updated));
    }
    if let Some(latest) = state.latest_version(name) {
        json["_embedded"] = json!({ "latestVersion": embedded_version(base, latest) });
    }
    json
}

/// The short form of a version used inside other documents.
pub(crate) fn embedded_version(base: &Base, v: &Version) -> Value {
    json!({
        "number": v.number,
        "_links": { "self": link(base.version(&v.pacticipant, &v.number), Some("Version"), Some(&v.number)) },
    })
}

pub(crate) fn tag(base: &Base, pacticipant: &str, number: &str, name: &str, created_at: Option<String>) -> Value {
    json!({
        "name": name,
        "createdAt": created_at,
        "_links": {
            "self": link(base.tag(pacticipant, number, name), Some("Tag"), Some(name)),
            "version": link(base.version(pacticipant, number), Some("Version"), Some(number)),
            "pacticipant": link(base.pacticipant(pacticipant), Some("Pacticipant"), Some(pacticipant)),
        }
    })
}

pub(crate) fn version(state: &State, base: &Base, v: &Version) -> Value {
    let (p, n) = (v.pacticipant.as_str(), v.number.as_str());
    let tags: Vec<Value> = v.tags.iter().map(|t| tag(base, p, n, &t.name, Some(timestamp(&t.created_at)))).collect();
    let branch_versions: Vec<Value> = v
        .branches
        .iter()
        .map(|b| {
            json!({
                "name": b,
                "latest": state.branch_head(p, b).is_some_and(|head| head.number == n),
                "_links": { "self": link(base.branch_version(p, b, n), Some("Branch version"), Some(b)) },
            })
        })
        .collect();
    let pacts: Vec<Value> = state
        .publications
        .iter()
        .filter(|x| x.consumer == p && x.consumer_version == n)
        .map(|x| {
            link(base.pact_for_consumer_version(&x.provider, p, n), Some("Pact"), Some(&pact_name(p, n, &x.provider)))
        })
        .collect();
    let record_deployment: Vec<Value> = state
        .environments
        .iter()
        .map(|e| {
            link(
                base.deployed_versions_for(p, n, &e.uuid),
                Some(&format!("Record deployment to {}", e.display_name.as_deref().unwrap_or(&e.name))),
                Some(&e.name),
            )
        })
        .collect();
    let record_release: Vec<Value> = state
        .environments
        .iter()
        .map(|e| {
            link(
                base.released_versions_for(p, n, &e.uuid),
                Some(&format!("Record release to {}", e.display_name.as_deref().unwrap_or(&e.name))),
                Some(&e.name),
            )
        })
        .collect();
    json!({
        "number": n,
        "buildUrl": v.build_url,
        "branch": v.branches.last(),
        "createdAt": timestamp(&v.created_at),
        "_embedded": { "branchVersions": branch_versions, "tags": tags },
        "_links": {
            "self": link(base.version(p, n), Some("Version"), Some(n)),
            "pb:pacticipant": link(base.pacticipant(p), Some("Pacticipant"), Some(p)),
            "pb:tag": templated(format!("{}/tags/{{tag}}", base.version(p, n)),
                "Get, create or delete a tag for this version"),
            "pb:pact-versions": pacts,
            "pb:record-deployment": record_deployment,
            "pb:record-release": record_release,
        }
    })
}

pub(crate) fn environment(base: &Base, e: &Environment) -> Value {
    let mut json = json!({
        "uuid": e.uuid,
        "name": e.name,
        "displayName": e.display_name.clone().unwrap_or_else(|| e.name.clone()),
        "production": e.production,
        "createdAt": timestamp(&e.created_at),
        "_links": {
            "self": link(base.environment(&e.uuid), Some("Environment"), Some(&e.name)),
            "pb:currently-deployed-deployed-versions": link(
                format!("{}/deployed-versions/currently-deployed", base.environment(&e.uuid)),
                Some("Versions currently deployed to this environment"), None),
            "pb:currently-supported-released-versions": link(
                format!("{}/released-versions/currently-supported", base.environment(&e.uuid)),
                Some("Versions released and supported in this environment"), None),
            "pb:environments": link(base.environments(), Some("Environments"), None),
        }
    });
    if let Some(contacts) = &e.contacts {
        json["contacts"] = contacts.clone();
    }
    if let Some(updated) = &e.updated_at {
        json["updatedAt"] = json!(timestamp(updated));
    }
    json
}

fn embedded_pacticipant(base: &Base, name: &str) -> Value {
    json!({ "name": name, "_links": { "self": link(base.pacticipant(name), Some("Pacticipant"), Some(name)) } })
}

fn embedded_version_ref(base: &Base, pacticipant: &str, number: &str) -> Value {
    json!({ "number": number, "_links": { "self": link(base.version(pacticipant, number), Some("Version"), Some(number)) } })
}

pub(crate) fn deployed_version(state: &State, base: &Base, d: &DeployedVersion) -> Value {
    let environment = state.environment_by_uuid(&d.environment).map(|e| environment(base, e));
    json!({
        "uuid": d.uuid,
        "currentlyDeployed": d.currently_deployed,
        "applicationInstance": d.application_instance,
        "target": d.application_instance,
        "createdAt": timestamp(&d.created_at),
        "undeployedAt": d.undeployed_at.as_ref().map(timestamp),
        "_embedded": {
            "pacticipant": embedded_pacticipant(base, &d.pacticipant),
            "version": embedded_version_ref(base, &d.pacticipant, &d.version),
            "environment": environment,
        },
        "_links": { "self": link(base.deployed_version(&d.uuid), Some("Deployed version"), None) }
    })
}

pub(crate) fn released_version(state: &State, base: &Base, r: &ReleasedVersion) -> Value {
    let environment = state.environment_by_uuid(&r.environment).map(|e| environment(base, e));
    json!({
        "uuid": r.uuid,
        "currentlySupported": r.currently_supported,
        "createdAt": timestamp(&r.created_at),
        "supportEndedAt": r.support_ended_at.as_ref().map(timestamp),
        "_embedded": {
            "pacticipant": embedded_pacticipant(base, &r.pacticipant),
            "version": embedded_version_ref(base, &r.pacticipant, &r.version),
            "environment": environment,
        },
        "_links": { "self": link(base.released_version(&r.uuid), Some("Released version"), None) }
    })
}

/// A pact document as served: the published content (with `_id`s), `createdAt` and `_links`.
/// `self_url` is the URL it was fetched from; results are published relative to `pact_url`
/// (the content-addressed URL, possibly with metadata).
#[allow(clippy::too_many_arguments)]
pub(crate) fn pact_document(
    state: &State,
    base: &Base,
    consumer: &str,
    provider: &str,
    sha: &str,
    consumer_version: &str,
    self_url: &str,
    pact_url: &str,
) -> Option<Value> {
    let content = state.content(consumer, provider, sha)?;
    let mut document = content.json.clone();
    let name = pact_name(consumer, consumer_version, provider);
    let map = document.as_object_mut()?;
    map.insert("createdAt".into(), json!(timestamp(&content.created_at)));
    map.insert(
        "_links".into(),
        json!({
            "self": link(self_url.to_string(), Some("Pact"), Some(&name)),
            "pb:consumer": link(base.pacticipant(consumer), Some("Consumer"), Some(consumer)),
            "pb:consumer-version": link(base.version(consumer, consumer_version), Some("Consumer version"),
                Some(consumer_version)),
            "pb:provider": link(base.pacticipant(provider), Some("Provider"), Some(provider)),
            "pb:pact-version": link(base.pact_version(provider, consumer, sha), Some("Pact content version"),
                Some(sha)),
            "pb:latest-pact-version": link(format!("{}/latest", base.pact_pair(provider, consumer)),
                Some("Latest version of this pact"), None),
            "pb:publish-verification-results": link(base.verification_results(pact_url),
                Some("Publish verification results"), None),
            "pb:tag-version": templated(format!("{}/tags/{{tag}}", base.version(consumer, consumer_version)),
                "Tag this consumer version"),
        }),
    );
    Some(document)
}

pub(crate) fn verification(base: &Base, v: &Verification, consumer_version: Option<&str>) -> Value {
    let pact_url = base.pact_version(&v.provider, &v.consumer, &v.sha);
    let pact = pact_name(&v.consumer, consumer_version.unwrap_or("?"), &v.provider);
    let mut json = json!({
        "providerName": v.provider,
        "providerApplicationVersion": v.provider_version,
        "success": v.success,
        "verificationDate": timestamp(&v.created_at),
        "_links": {
            "self": link(base.verification_result(&v.provider, &v.consumer, &v.sha, v.number),
                Some("Verification result"), Some(&format!("Verification result {} for {pact}", v.number))),
            "pb:pact-version": link(pact_url, Some("Pact"), Some(&pact)),
            "pb:provider-version": link(base.version(&v.provider, &v.provider_version), Some("Provider version"),
                Some(&v.provider_version)),
        }
    });
    if let Some(url) = &v.build_url {
        json["buildUrl"] = json!(url);
    }
    if let Some(results) = &v.test_results {
        json["testResults"] = results.clone();
    }
    if let Some(by) = &v.verified_by {
        json["verifiedBy"] = by.clone();
    }
    if v.wip {
        json["wip"] = json!(true);
    }
    json
}
