//! `pacts for verification`: request validation, consumer version selectors, pending status,
//! work-in-progress pacts and the notices that explain each choice.
//!
//! The rules follow the real Pact Broker (summarised in the `broker` module docs); the
//! wording of messages and notices is the double's own.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::hal::{pact_name, Base};
use super::state::{Publication, State};

const READ_MORE_PENDING: &str = "Read more at https://docs.pact.io/go/pending";
const READ_MORE_WIP: &str = "Read more at https://docs.pact.io/go/wip";

const BRANCH_KEYS: [&str; 8] = [
    "latest",
    "tag",
    "fallbackTag",
    "branch",
    "fallbackBranch",
    "fallbackToMainBranch",
    "matchingBranch",
    "mainBranch",
];
const ENVIRONMENT_KEYS: [&str; 4] = ["environment", "deployed", "released", "deployedOrReleased"];

/// A validated `pacts for verification` request.
#[derive(Debug, Clone, Default)]
pub(crate) struct VerificationRequest {
    pub selectors: Vec<Selector>,
    pub provider_version_tags: Vec<String>,
    pub provider_version_branch: Option<String>,
    pub include_pending_status: bool,
    pub include_wip_pacts_since: Option<DateTime<Utc>>,
}

/// One consumer version selector after validation and expansion (`deployedOrReleased` becomes
/// two selectors, `matchingBranch` becomes a branch selector).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Selector {
    pub main_branch: bool,
    pub branch: Option<String>,
    /// `branch: true`: the latest pact of every branch.
    pub every_branch: bool,
    pub matching_branch: bool,
    pub tag: Option<String>,
    pub latest: Option<bool>,
    pub fallback_tag: Option<String>,
    pub fallback_branch: Option<String>,
    pub fallback_to_main_branch: bool,
    pub consumer: Option<String>,
    pub environment: Option<String>,
    pub deployed: bool,
    pub released: bool,
}

impl Selector {
    fn latest(&self) -> bool {
        self.latest == Some(true)
    }

    fn for_consumer(mut self, consumer: &str) -> Self {
        self.consumer = Some(consumer.to_string());
        self
    }
}

/// Why a pact was selected, resolved to a consumer version.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reason {
    OverallLatest,
    MainBranch(String),
    Branch { branch: String, fallback_for: Option<String>, matching: bool },
    LatestTag { tag: String, fallback_for: Option<String> },
    AllForTag(String),
    Deployed { environment: String },
    Released { environment: String },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved {
    pub reason: Reason,
    pub consumer: Option<String>,
    pub version: String,
    pub version_order: u64,
}

/// A pact to verify: one pact content, the consumer versions it was selected for and its
/// pending/WIP status.
#[derive(Debug, Clone)]
pub(crate) struct VerifiablePact {
    pub consumer: String,
    pub provider: String,
    pub sha: String,
    /// The newest consumer version the content was selected for.
    pub consumer_version: String,
    pub version_order: u64,
    pub resolved: Vec<Resolved>,
    pub pending: bool,
    pub wip: bool,
    pub pending_provider_tags: Vec<String>,
    pub non_pending_provider_tags: Vec<String>,
}

// ==================================================================== validation

type Errors = BTreeMap<String, Vec<String>>;

fn add(errors: &mut Errors, field: &str, message: String) {
    errors.entry(field.to_string()).or_default().push(message);
}

/// Accepts `YYYY-MM-DD` or an RFC 3339 date-time.
pub(crate) fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc())
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Validates the JSON body of a `pacts for verification` request. Errors come back in the
/// broker's shape: field name → messages, selector messages ending in `(at index N)`.
pub(crate) fn parse_request(
    body: &Value,
    state: &State,
    reject_unknown_keys: bool,
) -> Result<VerificationRequest, Map<String, Value>> {
    let mut errors = Errors::new();
    let Some(body) = body.as_object() else {
        add(&mut errors, "body", "must be a JSON object".into());
        return Err(to_map(errors));
    };
    let mut request = VerificationRequest { include_pending_status: true, ..Default::default() };

    match body.get("providerVersionTags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tags)) => {
            for tag in tags {
                match tag.as_str() {
                    Some(t) => request.provider_version_tags.push(t.to_string()),
                    None => add(&mut errors, "providerVersionTags", "must be a list of strings".into()),
                }
            }
        }
        Some(Value::String(tag)) => request.provider_version_tags.push(tag.clone()),
        Some(_) => add(&mut errors, "providerVersionTags", "must be a list of strings".into()),
    }
    match body.get("providerVersionBranch") {
        None | Some(Value::Null) => {}
        Some(Value::String(branch)) => request.provider_version_branch = Some(branch.clone()),
        Some(_) => add(&mut errors, "providerVersionBranch", "must be a string".into()),
    }
    match body.get("includePendingStatus") {
        None => {}
        Some(Value::Bool(b)) => request.include_pending_status = *b,
        // The GET form sends strings.
        Some(Value::String(s)) if s == "true" || s == "false" => request.include_pending_status = s == "true",
        Some(_) => add(&mut errors, "includePendingStatus", "must be true or false".into()),
    }
    match body.get("includeWipPactsSince") {
        None => {}
        Some(Value::String(text)) => match parse_date(text) {
            Some(at) => request.include_wip_pacts_since = Some(at),
            None => add(&mut errors, "includeWipPactsSince", format!("'{text}' is not a date (use YYYY-MM-DD)")),
        },
        Some(_) => add(&mut errors, "includeWipPactsSince", "must be a date string (YYYY-MM-DD)".into()),
    }

    // A blank branch is a configuration mistake once it is used for pending or WIP calculations.
    if let Some(branch) = &request.provider_version_branch {
        if !branch.is_empty() && is_blank(branch) {
            add(&mut errors, "providerVersionBranch", "must not be blank".into());
        } else if branch.is_empty()
            && request.provider_version_tags.is_empty()
            // Only when the client asked for them (the default pending status doesn't count).
            && (truthy(body.get("includePendingStatus")) || request.include_wip_pacts_since.is_some())
        {
            add(
                &mut errors,
                "providerVersionBranch",
                "is empty; set it to the provider's branch (or leave it out) when pending or WIP pacts are requested"
                    .into(),
            );
        }
    }

    match body.get("consumerVersionSelectors") {
        None | Some(Value::Null) => {}
        Some(Value::Array(selectors)) => {
            for (index, raw) in selectors.iter().enumerate() {
                match validate_selector(raw, body, state, reject_unknown_keys) {
                    Ok(expanded) => request.selectors.extend(expanded),
                    Err(messages) => {
                        for message in messages {
                            add(&mut errors, "consumerVersionSelectors", format!("{message} (at index {index})"));
                        }
                    }
                }
            }
        }
        Some(_) => add(&mut errors, "consumerVersionSelectors", "must be a list of selector objects".into()),
    }

    if errors.is_empty() {
        if let Some(branch) = request.provider_version_branch.clone() {
            for selector in request.selectors.iter_mut().filter(|s| s.matching_branch) {
                selector.branch = Some(branch.clone());
                selector.latest = Some(true);
            }
        }
        Ok(request)
    } else {
        Err(to_map(errors))
    }
}

fn to_map(errors: Errors) -> Map<String, Value> {
    errors.into_iter().map(|(k, v)| (k, json!(v))).collect()
}

fn truthy(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true))) || matches!(value, Some(Value::String(s)) if s == "true")
}

/// Validates one selector; returns the expanded selectors or the messages (without the index).
fn validate_selector(
    raw: &Value,
    parent: &Map<String, Value>,
    state: &State,
    reject_unknown_keys: bool,
) -> Result<Vec<Selector>, Vec<String>> {
    let Some(fields) = raw.as_object() else {
        return Err(vec!["a selector must be a JSON object".into()]);
    };
    let mut messages = Vec::new();

    // Types first; cross-field rules only run on well-typed selectors, as in dry-validation.
    let must_be_true =
        ["mainBranch", "matchingBranch", "fallbackToMainBranch", "deployed", "released", "deployedOrReleased"];
    for key in must_be_true {
        if let Some(value) = fields.get(key) {
            if !truthy(Some(value)) {
                messages.push(format!("{key} can only be set to true"));
            }
        }
    }
    for key in ["tag", "fallbackTag", "fallbackBranch", "consumer", "environment"] {
        if let Some(value) = fields.get(key) {
            match value.as_str() {
                Some(s) if !s.is_empty() => {}
                _ => messages.push(format!("{key} must be a non-empty string")),
            }
        }
    }
    if let Some(value) = fields.get("branch") {
        match value {
            Value::String(s) if !s.is_empty() => {}
            Value::Bool(true) => {}
            _ => messages.push("branch must be a non-empty string (or true for every branch)".into()),
        }
    }
    let latest = match fields.get("latest") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s == "true" || s == "false" => Some(s == "true"),
        Some(_) => {
            messages.push("latest must be true or false".into());
            None
        }
    };
    if reject_unknown_keys {
        for key in fields.keys() {
            if !BRANCH_KEYS.contains(&key.as_str()) && !ENVIRONMENT_KEYS.contains(&key.as_str()) && key != "consumer" {
                messages.push(format!("'{key}' is not a consumer version selector field"));
            }
        }
    }
    if !messages.is_empty() {
        return Err(messages);
    }

    let has = |key: &str| fields.contains_key(key);
    let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_string);
    let flag = |key: &str| truthy(fields.get(key));

    if let Some(consumer) = text("consumer") {
        if is_blank(&consumer) {
            messages.push("consumer must not be blank".into());
        }
    }
    let provided = |key: &str| fields.get(key).and_then(Value::as_str).is_some_and(|s| !is_blank(s));
    let has_required = flag("mainBranch")
        || provided("tag")
        || provided("branch")
        || fields.get("branch") == Some(&Value::Bool(true))
        || provided("environment")
        || flag("matchingBranch")
        || flag("deployed")
        || flag("released")
        || flag("deployedOrReleased")
        || latest == Some(true);
    if !has_required {
        messages.push(
            "a selector needs one of mainBranch, matchingBranch, branch, tag, environment, latest=true, \
             deployed, released or deployedOrReleased"
                .into(),
        );
    }
    let others = |allowed: &[&str]| {
        fields.keys().any(|k| {
            (BRANCH_KEYS.contains(&k.as_str()) || ENVIRONMENT_KEYS.contains(&k.as_str()))
                && !allowed.contains(&k.as_str())
        })
    };
    if flag("mainBranch") && others(&["mainBranch", "latest"]) {
        messages.push("mainBranch can only be combined with consumer (and latest=true)".into());
    }
    if flag("mainBranch") && latest == Some(false) {
        messages.push("mainBranch cannot be combined with latest=false".into());
    }
    if flag("matchingBranch") && others(&["matchingBranch"]) {
        messages.push("matchingBranch can only be combined with consumer".into());
    }
    if flag("matchingBranch") && parent.get("providerVersionBranch").and_then(Value::as_str).is_none_or(is_blank) {
        messages.push("matchingBranch needs providerVersionBranch to be set in the request".into());
    }
    if has("tag") && has("branch") {
        messages.push("tag and branch cannot both be set".into());
    }
    let mut branch_fields: Vec<&str> = BRANCH_KEYS.iter().copied().filter(|k| has(k)).collect();
    let mut environment_fields: Vec<&str> = ENVIRONMENT_KEYS.iter().copied().filter(|k| has(k)).collect();
    if !branch_fields.is_empty() && !environment_fields.is_empty() {
        branch_fields.sort_unstable();
        environment_fields.sort_unstable();
        messages.push(format!(
            "the {} {} cannot be combined with the environment {} {}",
            if branch_fields.len() == 1 { "field" } else { "fields" },
            branch_fields.join("/"),
            if environment_fields.len() == 1 { "field" } else { "fields" },
            environment_fields.join("/"),
        ));
    }
    if has("fallbackTag") && latest != Some(true) {
        messages.push("fallbackTag needs latest=true".into());
    }
    if has("fallbackTag") && !has("tag") {
        messages.push("fallbackTag needs a tag".into());
    }
    if has("fallbackBranch") && !has("branch") {
        messages.push("fallbackBranch needs a branch".into());
    }
    if has("fallbackBranch") && latest == Some(false) {
        messages.push("fallbackBranch cannot be combined with latest=false".into());
    }
    if flag("fallbackToMainBranch") {
        if !has("branch") {
            messages.push("fallbackToMainBranch needs a branch".into());
        }
        if has("fallbackBranch") {
            messages.push("fallbackToMainBranch and fallbackBranch cannot both be set".into());
        }
        if latest == Some(false) {
            messages.push("fallbackToMainBranch cannot be combined with latest=false".into());
        }
    }
    if has("branch") && latest == Some(false) {
        messages.push("branch cannot be combined with latest=false".into());
    }
    if let Some(environment) = text("environment") {
        if state.environment_by_name(&environment).is_none() {
            messages.push(format!("there is no environment named '{environment}'"));
        }
    }
    if flag("deployed") && flag("released") {
        messages.push("deployed and released cannot both be set (use deployedOrReleased)".into());
    }
    if flag("deployed") && flag("deployedOrReleased") {
        messages.push("deployed and deployedOrReleased cannot both be set".into());
    }
    if flag("released") && flag("deployedOrReleased") {
        messages.push("released and deployedOrReleased cannot both be set".into());
    }
    if !messages.is_empty() {
        return Err(messages);
    }

    let branch = text("branch");
    let every_branch = fields.get("branch") == Some(&Value::Bool(true));
    let selector = Selector {
        main_branch: flag("mainBranch"),
        // A branch (or matching branch) always means the latest pact of that branch.
        latest: if branch.is_some() || every_branch || flag("matchingBranch") { Some(true) } else { latest },
        branch,
        every_branch,
        matching_branch: flag("matchingBranch"),
        tag: text("tag"),
        fallback_tag: text("fallbackTag"),
        fallback_branch: text("fallbackBranch"),
        fallback_to_main_branch: flag("fallbackToMainBranch"),
        consumer: text("consumer"),
        environment: text("environment"),
        deployed: flag("deployed") || flag("deployedOrReleased"),
        released: flag("released") || flag("deployedOrReleased"),
    };
    if selector.deployed && selector.released {
        let deployed = Selector { released: false, ..selector.clone() };
        let released = Selector { deployed: false, ..selector };
        Ok(vec![deployed, released])
    } else {
        Ok(vec![selector])
    }
}

// ==================================================================== selection

/// What the real broker verifies when no selectors are given: for each consumer, the latest pact
/// from its main branch (or the latest with a tag named like the main branch, or the overall
/// latest), plus every deployed and every released version.
fn default_selectors(state: &State, provider: &str) -> Vec<Selector> {
    let mut selectors = Vec::new();
    for consumer in state.consumers_of(provider) {
        let main = state.pacticipant(&consumer).and_then(|p| p.main_branch.clone());
        let selector = match main {
            Some(main) if state.branch_head(&consumer, &main).is_some() => {
                Selector { main_branch: true, ..Default::default() }
            }
            Some(main) if state.latest_version_with_tag(&consumer, &main).is_some() => {
                Selector { tag: Some(main), latest: Some(true), ..Default::default() }
            }
            _ => Selector { latest: Some(true), ..Default::default() },
        };
        selectors.push(selector.for_consumer(&consumer));
    }
    selectors.push(Selector { deployed: true, ..Default::default() });
    selectors.push(Selector { released: true, ..Default::default() });
    selectors
}

struct Candidate<'a> {
    publication: &'a Publication,
    resolved: Resolved,
}

fn resolve<'a>(publication: &'a Publication, reason: Reason, consumer: &Option<String>) -> Candidate<'a> {
    Candidate {
        publication,
        resolved: Resolved {
            reason,
            consumer: consumer.clone(),
            version: publication.consumer_version.clone(),
            version_order: publication.version_order,
        },
    }
}

/// The latest publication per consumer among `pubs` (which are sorted oldest first).
fn latest_per_consumer<'a>(pubs: impl Iterator<Item = &'a Publication>) -> Vec<&'a Publication> {
    let mut latest: BTreeMap<&str, &Publication> = BTreeMap::new();
    for publication in pubs {
        latest.insert(publication.consumer.as_str(), publication);
    }
    latest.into_values().collect()
}

fn version_of<'a>(state: &'a State, publication: &Publication) -> Option<&'a super::state::Version> {
    state.version(&publication.consumer, &publication.consumer_version)
}

fn latest_for_branch<'a>(state: &'a State, pubs: &[&'a Publication], branch: &str) -> Vec<&'a Publication> {
    latest_per_consumer(pubs.iter().copied().filter(|p| version_of(state, p).is_some_and(|v| v.on_branch(branch))))
}

fn latest_for_tag<'a>(state: &'a State, pubs: &[&'a Publication], tag: &str) -> Vec<&'a Publication> {
    latest_per_consumer(pubs.iter().copied().filter(|p| version_of(state, p).is_some_and(|v| v.has_tag(tag))))
}

/// Applies one selector to the provider's publications (already restricted to its consumer).
fn apply<'a>(state: &'a State, pubs: &[&'a Publication], selector: &Selector) -> Vec<Candidate<'a>> {
    let consumer = &selector.consumer;
    let mut found = Vec::new();
    if selector.main_branch {
        // The pact of the head of each consumer's main branch (not the latest pact on that
        // branch): if the head has no pact with this provider, nothing is selected.
        for publication in pubs {
            let Some(main) = state.pacticipant(&publication.consumer).and_then(|p| p.main_branch.clone()) else {
                continue;
            };
            if state
                .branch_head(&publication.consumer, &main)
                .is_some_and(|head| head.number == publication.consumer_version)
            {
                found.push(resolve(publication, Reason::MainBranch(main), consumer));
            }
        }
    } else if selector.every_branch {
        // The pact of the head of every consumer branch, like `mainBranch` for all branches.
        for branch in &state.branches {
            let Some(head) = state.branch_head(&branch.pacticipant, &branch.name) else { continue };
            for publication in
                pubs.iter().copied().filter(|p| p.consumer == head.pacticipant && p.consumer_version == head.number)
            {
                let reason = Reason::Branch { branch: branch.name.clone(), fallback_for: None, matching: false };
                found.push(resolve(publication, reason, consumer));
            }
        }
    } else if let Some(branch) = &selector.branch {
        for publication in latest_for_branch(state, pubs, branch) {
            let reason =
                Reason::Branch { branch: branch.clone(), fallback_for: None, matching: selector.matching_branch };
            found.push(resolve(publication, reason, consumer));
        }
        if selector.fallback_to_main_branch {
            // Per consumer: those without a pact on the branch fall back to their main branch.
            let with_branch: Vec<String> = found.iter().map(|c| c.publication.consumer.clone()).collect();
            for publication in pubs.iter().copied().filter(|p| !with_branch.contains(&p.consumer)) {
                let Some(main) = state.pacticipant(&publication.consumer).and_then(|p| p.main_branch.clone()) else {
                    continue;
                };
                if latest_for_branch(state, pubs, &main).iter().any(|p| std::ptr::eq(*p, publication)) {
                    let reason = Reason::Branch { branch: main, fallback_for: Some(branch.clone()), matching: false };
                    found.push(resolve(publication, reason, consumer));
                }
            }
        }
    } else if let Some(tag) = &selector.tag {
        if selector.latest() {
            for publication in latest_for_tag(state, pubs, tag) {
                found.push(resolve(publication, Reason::LatestTag { tag: tag.clone(), fallback_for: None }, consumer));
            }
        } else {
            for publication in pubs.iter().copied().filter(|p| version_of(state, p).is_some_and(|v| v.has_tag(tag))) {
                found.push(resolve(publication, Reason::AllForTag(tag.clone()), consumer));
            }
        }
    } else if selector.deployed || selector.released || selector.environment.is_some() {
        let environment = selector.environment.as_deref();
        let (deployed, released) =
            if selector.deployed || selector.released { (selector.deployed, selector.released) } else { (true, true) };
        // One reason per deployment/release, so each environment is described.
        let mut seen = Vec::new();
        if deployed {
            for deployment in state.currently_deployed(environment) {
                let env = state.environment_name(&deployment.environment).unwrap_or_default().to_string();
                for publication in pubs
                    .iter()
                    .copied()
                    .filter(|p| p.consumer == deployment.pacticipant && p.consumer_version == deployment.version)
                {
                    let key = (publication.consumer.clone(), publication.consumer_version.clone(), env.clone(), true);
                    if !seen.contains(&key) {
                        seen.push(key);
                        found.push(resolve(publication, Reason::Deployed { environment: env.clone() }, consumer));
                    }
                }
            }
        }
        if released {
            for release in state.currently_supported(environment) {
                let env = state.environment_name(&release.environment).unwrap_or_default().to_string();
                for publication in pubs
                    .iter()
                    .copied()
                    .filter(|p| p.consumer == release.pacticipant && p.consumer_version == release.version)
                {
                    let key = (publication.consumer.clone(), publication.consumer_version.clone(), env.clone(), false);
                    if !seen.contains(&key) {
                        seen.push(key);
                        found.push(resolve(publication, Reason::Released { environment: env.clone() }, consumer));
                    }
                }
            }
        }
    } else if selector.latest() {
        for publication in latest_per_consumer(pubs.iter().copied()) {
            found.push(resolve(publication, Reason::OverallLatest, consumer));
        }
    }
    found
}

/// Finds the pacts to verify for a request: explicitly selected ones (merged by content) and,
/// when asked for, WIP pacts.
pub(crate) fn pacts_for_verification(
    state: &State,
    provider: &str,
    request: &VerificationRequest,
) -> Vec<VerifiablePact> {
    let all = state.publications_for_provider(provider);
    let selectors =
        if request.selectors.is_empty() { default_selectors(state, provider) } else { request.selectors.clone() };

    let mut candidates: Vec<Candidate> = Vec::new();
    for selector in &selectors {
        let pubs: Vec<&Publication> =
            all.iter().copied().filter(|p| selector.consumer.as_ref().is_none_or(|c| &p.consumer == c)).collect();
        candidates.extend(apply(state, &pubs, selector));
    }

    // A fallback applies when no pact at all was found for the tag or branch (across consumers,
    // as in the real broker).
    for selector in &selectors {
        let pubs: Vec<&Publication> =
            all.iter().copied().filter(|p| selector.consumer.as_ref().is_none_or(|c| &p.consumer == c)).collect();
        if let (Some(tag), Some(fallback)) = (&selector.tag, &selector.fallback_tag) {
            let found = candidates
                .iter()
                .any(|c| matches!(&c.resolved.reason, Reason::LatestTag { tag: t, fallback_for: None } if t == tag));
            if !found {
                for publication in latest_for_tag(state, &pubs, fallback) {
                    let reason = Reason::LatestTag { tag: fallback.clone(), fallback_for: Some(tag.clone()) };
                    candidates.push(resolve(publication, reason, &selector.consumer));
                }
            }
        }
        if let (Some(branch), Some(fallback)) = (&selector.branch, &selector.fallback_branch) {
            let found = candidates.iter().any(
                |c| matches!(&c.resolved.reason, Reason::Branch { branch: b, fallback_for: None, .. } if b == branch),
            );
            if !found {
                for publication in latest_for_branch(state, &pubs, fallback) {
                    let reason = Reason::Branch {
                        branch: fallback.clone(),
                        fallback_for: Some(branch.clone()),
                        matching: false,
                    };
                    candidates.push(resolve(publication, reason, &selector.consumer));
                }
            }
        }
    }

    // Merge by content: the same pact content is verified once, whatever selected it.
    let mut merged: Vec<VerifiablePact> = Vec::new();
    for candidate in candidates {
        let p = candidate.publication;
        match merged.iter_mut().find(|m| m.consumer == p.consumer && m.sha == p.sha) {
            Some(existing) => {
                if p.version_order > existing.version_order {
                    existing.consumer_version = p.consumer_version.clone();
                    existing.version_order = p.version_order;
                }
                if !existing.resolved.contains(&candidate.resolved) {
                    existing.resolved.push(candidate.resolved);
                }
            }
            None => merged.push(VerifiablePact {
                consumer: p.consumer.clone(),
                provider: p.provider.clone(),
                sha: p.sha.clone(),
                consumer_version: p.consumer_version.clone(),
                version_order: p.version_order,
                resolved: vec![candidate.resolved],
                pending: false,
                wip: false,
                pending_provider_tags: Vec::new(),
                non_pending_provider_tags: Vec::new(),
            }),
        }
    }
    for pact in &mut merged {
        if request.include_pending_status {
            set_pending(state, pact, request);
        }
    }
    merged.sort_by_key(|p| (p.consumer.to_lowercase(), p.version_order));

    let mut wip = match request.include_wip_pacts_since {
        Some(since) => wip_pacts(state, provider, request, since, &merged),
        None => Vec::new(),
    };
    wip.sort_by_key(|p| (p.consumer.to_lowercase(), p.version_order));
    merged.extend(wip);
    merged
}

// ==================================================================== pending

/// Successful verifications of the pact content by a provider version that satisfies `filter`.
fn verified(state: &State, pact: &VerifiablePact, only_non_wip: bool, filter: impl Fn(&str, u64) -> bool) -> bool {
    state
        .verifications_for(&pact.consumer, &pact.provider, &pact.sha)
        .into_iter()
        .filter(|v| v.success && !(only_non_wip && v.wip))
        .any(|v| filter(&v.provider_version, v.seq))
}

/// Verified by a provider version on `branch`, or (inheriting) by a version on another branch
/// before `branch` was created.
fn verified_for_branch(state: &State, pact: &VerifiablePact, branch: &str, only_non_wip: bool) -> bool {
    let provider = &pact.provider;
    let branch_created = state.branch(provider, branch).map(|b| b.seq);
    verified(state, pact, only_non_wip, |number, seq| {
        let Some(version) = state.version(provider, number) else { return false };
        version.on_branch(branch)
            || (version.branches.iter().any(|b| b != branch) && branch_created.is_none_or(|created| seq < created))
    })
}

/// The tag counterpart of [`verified_for_branch`].
fn verified_for_tag(state: &State, pact: &VerifiablePact, tag: &str, only_non_wip: bool) -> bool {
    let provider = &pact.provider;
    let first_used = state.first_tag_seq(provider, tag);
    verified(state, pact, only_non_wip, |number, seq| {
        let Some(version) = state.version(provider, number) else { return false };
        version.has_tag(tag)
            || (version.tags.iter().any(|t| t.name != tag) && first_used.is_none_or(|first| seq < first))
    })
}

/// A pact is pending until it has been verified successfully by the provider branch being
/// verified (or, without a branch, by every given provider tag; without either, by any version).
fn set_pending(state: &State, pact: &mut VerifiablePact, request: &VerificationRequest) {
    if let Some(branch) = &request.provider_version_branch {
        pact.pending = !verified_for_branch(state, pact, branch, false);
    } else if !request.provider_version_tags.is_empty() {
        let pending: Vec<String> = request
            .provider_version_tags
            .iter()
            .filter(|tag| !verified_for_tag(state, pact, tag, false))
            .cloned()
            .collect();
        pact.non_pending_provider_tags =
            request.provider_version_tags.iter().filter(|t| !pending.contains(t)).cloned().collect();
        pact.pending = !pending.is_empty();
        pact.pending_provider_tags = pending;
    } else {
        pact.pending = !verified(state, pact, false, |_, _| true);
    }
}

// ==================================================================== WIP

/// The heads of every consumer branch and tag: per consumer and branch, the pact of the branch's
/// newest version; per consumer and tag, the newest pact with the tag.
fn head_pacts<'a>(state: &'a State, provider: &str) -> Vec<Candidate<'a>> {
    let pubs = state.publications_for_provider(provider);
    let mut heads = Vec::new();
    for branch in state.branches.iter() {
        if let Some(head) = state.branch_head(&branch.pacticipant, &branch.name) {
            if let Some(publication) = pubs.iter().copied().find(|p| {
                p.consumer == branch.pacticipant && p.consumer_version == head.number && p.provider == provider
            }) {
                let reason = Reason::Branch { branch: branch.name.clone(), fallback_for: None, matching: false };
                heads.push(resolve(publication, reason, &None));
            }
        }
    }
    let mut tag_heads: BTreeMap<(String, String), &Publication> = BTreeMap::new();
    for publication in &pubs {
        for tag in version_of(state, publication).map(|v| v.tags.clone()).unwrap_or_default() {
            tag_heads.insert((publication.consumer.clone(), tag.name), publication);
        }
    }
    for ((_, tag), publication) in tag_heads {
        heads.push(resolve(publication, Reason::LatestTag { tag, fallback_for: None }, &None));
    }
    heads
}

/// Work-in-progress pacts: branch/tag heads published after `since` that were not selected
/// explicitly and are still pending for the provider branch (or for a provider tag). They need
/// a provider branch or tags to be computed at all, like in the real broker.
fn wip_pacts(
    state: &State,
    provider: &str,
    request: &VerificationRequest,
    since: DateTime<Utc>,
    selected: &[VerifiablePact],
) -> Vec<VerifiablePact> {
    let branch = request.provider_version_branch.clone().filter(|b| !b.is_empty());
    if branch.is_none() && request.provider_version_tags.is_empty() {
        return Vec::new();
    }
    let mut wip: Vec<VerifiablePact> = Vec::new();
    for candidate in head_pacts(state, provider) {
        let p = candidate.publication;
        if p.created_at <= since || selected.iter().any(|s| s.consumer == p.consumer && s.sha == p.sha) {
            continue;
        }
        let mut pact = VerifiablePact {
            consumer: p.consumer.clone(),
            provider: p.provider.clone(),
            sha: p.sha.clone(),
            consumer_version: p.consumer_version.clone(),
            version_order: p.version_order,
            resolved: vec![candidate.resolved],
            pending: true,
            wip: true,
            pending_provider_tags: Vec::new(),
            non_pending_provider_tags: Vec::new(),
        };
        // A successful result published while the pact was WIP doesn't take it out of WIP.
        if let Some(branch) = &branch {
            if verified_for_branch(state, &pact, branch, true) {
                continue;
            }
        } else {
            pact.pending_provider_tags = request
                .provider_version_tags
                .iter()
                .filter(|tag| !verified_for_tag(state, &pact, tag, true))
                .cloned()
                .collect();
            if pact.pending_provider_tags.is_empty() {
                continue;
            }
        }
        match wip.iter_mut().find(|w| w.consumer == pact.consumer && w.sha == pact.sha) {
            Some(existing) => {
                if pact.version_order > existing.version_order {
                    existing.consumer_version = pact.consumer_version.clone();
                    existing.version_order = pact.version_order;
                }
                for resolved in pact.resolved {
                    if !existing.resolved.contains(&resolved) {
                        existing.resolved.push(resolved);
                    }
                }
                for tag in pact.pending_provider_tags {
                    if !existing.pending_provider_tags.contains(&tag) {
                        existing.pending_provider_tags.push(tag);
                    }
                }
            }
            None => wip.push(pact),
        }
    }
    wip
}

// ==================================================================== descriptions and notices

/// The short description the verifier prints (and Pact Go uses for test names).
fn short_description(resolved: &Resolved) -> String {
    match &resolved.reason {
        Reason::OverallLatest => "latest".into(),
        Reason::MainBranch(branch) => format!("latest from main branch {branch}"),
        Reason::Branch { branch, .. } => format!("latest from branch {branch}"),
        Reason::LatestTag { tag, .. } => format!("latest with tag {tag}"),
        Reason::AllForTag(tag) => match &resolved.consumer {
            Some(consumer) => format!("one of {consumer} {tag}"),
            None => format!("one of {tag}"),
        },
        Reason::Deployed { environment } => format!("deployed to {environment}"),
        Reason::Released { environment } => format!("released in {environment}"),
    }
}

/// A longer description of one selection, for the inclusion notice.
fn long_description(resolved: &Resolved, provider: &str) -> String {
    let of = |fallback: &str| match &resolved.consumer {
        Some(consumer) => format!("version of {consumer}"),
        None => fallback.to_string(),
    };
    let text = match &resolved.reason {
        Reason::OverallLatest => format!("the latest {} with a pact with {provider}", of("consumer version")),
        Reason::MainBranch(branch) => format!("the latest {} from its main branch '{branch}'", of("consumer version")),
        Reason::Branch { branch, fallback_for: Some(wanted), .. } => format!(
            "the latest {} from branch '{branch}' (used because there is no pact from branch '{wanted}')",
            of("version")
        ),
        Reason::Branch { branch, matching: true, .. } => {
            format!("the latest {} from branch '{branch}', the branch being verified", of("version"))
        }
        Reason::Branch { branch, .. } => format!("the latest {} from branch '{branch}'", of("version")),
        Reason::LatestTag { tag, fallback_for: Some(wanted) } => {
            format!("the latest {} tagged '{tag}' (used because there is no pact tagged '{wanted}')", of("version"))
        }
        Reason::LatestTag { tag, .. } => format!("the latest {} tagged '{tag}'", of("version")),
        Reason::AllForTag(tag) => match &resolved.consumer {
            Some(consumer) => format!("every version of {consumer} tagged '{tag}'"),
            None => format!("every consumer version tagged '{tag}'"),
        },
        Reason::Deployed { environment } => {
            format!("a {} currently deployed to {environment}", of("consumer version"))
        }
        Reason::Released { environment } => {
            format!("a {} released and supported in {environment}", of("consumer version"))
        }
    };
    format!("{text} ({})", resolved.version)
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// Who has to verify the pact for it to stop being pending, e.g. "a version of Bar from branch 'main'".
fn pending_target(pact: &VerifiablePact, request: &VerificationRequest, pending: bool) -> String {
    let provider = &pact.provider;
    if let Some(branch) = request.provider_version_branch.as_ref().filter(|b| !b.is_empty()) {
        return format!("a version of {provider} from branch '{branch}'");
    }
    let tags = if pending { &pact.pending_provider_tags } else { &pact.non_pending_provider_tags };
    match tags.len() {
        0 => provider.clone(),
        1 => format!("a version of {provider} tagged {}", quoted_list(tags)),
        _ => format!("versions of {provider} tagged {}", quoted_list(tags)),
    }
}

fn notices(pact: &VerifiablePact, pact_url: &str, request: &VerificationRequest) -> Vec<Value> {
    let mut notices = Vec::new();
    let inclusion = if pact.wip {
        let heads: Vec<String> = pact
            .resolved
            .iter()
            .map(|r| match &r.reason {
                Reason::Branch { branch, .. } => format!("branch '{branch}'"),
                Reason::LatestTag { tag, .. } => format!("tag '{tag}'"),
                _ => short_description(r),
            })
            .collect();
        format!(
            "The pact at {pact_url} is included as a work in progress pact: it is the newest pact of {} for {} \
             and {} has not verified it successfully yet. {READ_MORE_WIP}",
            pact.consumer,
            heads.join(" and "),
            pact.provider,
        )
    } else {
        let criteria: Vec<String> =
            pact.resolved.iter().map(|r| format!("    * {}", long_description(r, &pact.provider))).collect();
        format!(
            "The pact at {pact_url} is included because its content belongs to {} matching {}:\n{}",
            if criteria.len() == 1 { "the consumer version" } else { "the consumer versions" },
            if criteria.len() == 1 { "this criterion" } else { "these criteria" },
            criteria.join("\n")
        )
    };
    notices.push(json!({ "when": "before_verification", "text": inclusion }));
    if !request.include_pending_status {
        return notices;
    }
    let provider = &pact.provider;
    if pact.pending {
        let target = pending_target(pact, request, true);
        notices.push(json!({
            "when": "before_verification",
            "text": format!(
                "This pact is pending for this version of {provider}: no successful verification result from \
                 {target} has been published yet, so a failure will not fail the build. {READ_MORE_PENDING}"
            ),
        }));
        let after = [
            (
                "after_verification:success_true_published_false",
                format!("The pact stays pending for {target} until this successful verification result is published."),
            ),
            (
                "after_verification:success_false_published_false",
                format!("The pact stays pending for {target}, as no successful verification result was published."),
            ),
            (
                "after_verification:success_true_published_true",
                format!(
                    "The pact is no longer pending for {target} now that a successful verification result has \
                     been published; from now on a failed verification will fail the build. {READ_MORE_PENDING}"
                ),
            ),
            (
                "after_verification:success_false_published_true",
                format!("The pact stays pending for {target}, as no successful verification result was published."),
            ),
        ];
        for (when, text) in after {
            notices.push(json!({ "when": when, "text": text }));
        }
    } else {
        let target = pending_target(pact, request, false);
        notices.push(json!({
            "when": "before_verification",
            "text": format!(
                "This pact has already been verified successfully by {target}, so a failed verification will fail \
                 the build. {READ_MORE_PENDING}"
            ),
        }));
    }
    notices
}

/// Metadata segment of WIP pact URLs: marks results published through them as WIP results.
pub(crate) const WIP_METADATA: &str = "d2lwPXRydWU"; // base64url("wip=true")

/// The `pacts for verification` response document.
pub(crate) fn response(base: &Base, provider: &str, request: &VerificationRequest, pacts: &[VerifiablePact]) -> Value {
    let entries: Vec<Value> = pacts
        .iter()
        .map(|pact| {
            let url = if pact.wip {
                base.pact_version_with_metadata(&pact.provider, &pact.consumer, &pact.sha, WIP_METADATA)
            } else {
                base.pact_version(&pact.provider, &pact.consumer, &pact.sha)
            };
            let short: Vec<String> = pact.resolved.iter().map(short_description).collect();
            let mut properties = json!({ "notices": notices(pact, &url, request) });
            if request.include_pending_status {
                properties["pending"] = json!(pact.pending);
            }
            if pact.wip {
                properties["wip"] = json!(true);
            }
            json!({
                "shortDescription": short.join(", "),
                "verificationProperties": properties,
                "_links": {
                    "self": {
                        "href": url,
                        "name": pact_name(&pact.consumer, &pact.consumer_version, &pact.provider),
                    }
                }
            })
        })
        .collect();
    json!({
        "_embedded": { "pacts": entries },
        "_links": {
            "self": { "href": base.for_verification(provider), "title": "Pacts to be verified" }
        }
    })
}
