//! Pacts: publishing, fetching, provider collections, `pacts for verification`, verification
//! results and `/contracts/publish`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::content::{pact_sha, participant_names};
use crate::hal::{
    bad_request, conflict, created, field_error, hal, link, not_found, ok, pact_name, parse_body, timestamp, Base,
};
use crate::query::{camelize_keys, parse_nested};
use crate::selectors::{self, WIP_METADATA};
use crate::state::{Publication, PublishError};
use crate::{repr, Shared};

type Shr = State<Arc<Shared>>;

// ==================================================================== provider collections

fn pact_links(base: &Base, pubs: &[&Publication]) -> Vec<Value> {
    pubs.iter()
        .map(|p| {
            link(
                base.pact_for_consumer_version(&p.provider, &p.consumer, &p.consumer_version),
                Some(&pact_name(&p.consumer, &p.consumer_version, &p.provider)),
                Some(&p.consumer),
            )
        })
        .collect()
}

fn provider_collection(base: &Base, provider: &str, title: &str, self_url: String, pubs: &[&Publication]) -> Response {
    let links = pact_links(base, pubs);
    ok(json!({
        "_links": {
            "self": link(self_url, Some(title), None),
            "provider": link(base.pacticipant(provider), None, Some(provider)),
            "pb:provider": link(base.pacticipant(provider), None, Some(provider)),
            "pb:pacts": links,
            "pacts": links,
        }
    }))
}

/// The newest publication per consumer, in consumer name order.
fn latest_per_consumer<'a>(pubs: impl Iterator<Item = &'a Publication>) -> Vec<&'a Publication> {
    let mut latest: std::collections::BTreeMap<&str, &Publication> = Default::default();
    for p in pubs {
        if latest.get(p.consumer.as_str()).is_none_or(|q| q.version_order < p.version_order) {
            latest.insert(&p.consumer, p);
        }
    }
    latest.into_values().collect()
}

pub(super) async fn provider_latest(State(shared): Shr, base: Base, Path(provider): Path<String>) -> Response {
    let state = shared.state();
    if state.pacticipant(&provider).is_none() {
        return not_found(&format!("Provider '{provider}'"));
    }
    let pubs = latest_per_consumer(state.publications_for_provider(&provider).into_iter());
    let title = format!("Latest pact versions for the provider {provider}");
    provider_collection(&base, &provider, &title, format!("{}/latest", base.provider_pacts(&provider)), &pubs)
}

pub(super) async fn provider_latest_with_tag(
    State(shared): Shr,
    base: Base,
    Path((provider, tag)): Path<(String, String)>,
) -> Response {
    let state = shared.state();
    if state.pacticipant(&provider).is_none() {
        return not_found(&format!("Provider '{provider}'"));
    }
    let tagged = state
        .publications_for_provider(&provider)
        .into_iter()
        .filter(|p| state.version(&p.consumer, &p.consumer_version).is_some_and(|v| v.has_tag(&tag)));
    let pubs = latest_per_consumer(tagged);
    let title = format!("Latest pact versions for the provider {provider} with consumer version tag {tag}");
    let url = format!("{}/latest/{}", base.provider_pacts(&provider), crate::hal::enc(&tag));
    provider_collection(&base, &provider, &title, url, &pubs)
}

pub(super) async fn provider_pacts(State(shared): Shr, base: Base, Path(provider): Path<String>) -> Response {
    let state = shared.state();
    if state.pacticipant(&provider).is_none() {
        return not_found(&format!("Provider '{provider}'"));
    }
    let pubs = state.publications_for_provider(&provider);
    let title = format!("All pact versions for the provider {provider}");
    provider_collection(&base, &provider, &title, base.provider_pacts(&provider), &pubs)
}

pub(super) async fn provider_pacts_with_tag(
    State(shared): Shr,
    base: Base,
    Path((provider, tag)): Path<(String, String)>,
) -> Response {
    let state = shared.state();
    if state.pacticipant(&provider).is_none() {
        return not_found(&format!("Provider '{provider}'"));
    }
    let pubs: Vec<&Publication> = state
        .publications_for_provider(&provider)
        .into_iter()
        .filter(|p| state.version(&p.consumer, &p.consumer_version).is_some_and(|v| v.has_tag(&tag)))
        .collect();
    let title = format!("All pact versions for the provider {provider} with consumer version tag {tag}");
    let url = format!("{}/tag/{}", base.provider_pacts(&provider), crate::hal::enc(&tag));
    provider_collection(&base, &provider, &title, url, &pubs)
}

pub(super) async fn latest_pacts(State(shared): Shr, base: Base) -> Response {
    let state = shared.state();
    let mut latest: std::collections::BTreeMap<(&str, &str), &Publication> = Default::default();
    for p in &state.publications {
        let key = (p.consumer.as_str(), p.provider.as_str());
        if latest.get(&key).is_none_or(|q| q.version_order < p.version_order) {
            latest.insert(key, p);
        }
    }
    let pacts: Vec<Value> = latest
        .values()
        .map(|p| {
            json!({
                "consumer": { "name": p.consumer, "version": { "number": p.consumer_version } },
                "provider": { "name": p.provider },
                "createdAt": timestamp(&p.created_at),
                "_links": {
                    "self": link(
                        base.pact_for_consumer_version(&p.provider, &p.consumer, &p.consumer_version),
                        Some("Pact"),
                        Some(&pact_name(&p.consumer, &p.consumer_version, &p.provider)),
                    )
                }
            })
        })
        .collect();
    ok(json!({ "pacts": pacts, "_links": { "self": link(base.url("/pacts/latest"), Some("Latest pacts"), None) } }))
}

// ==================================================================== pacts for verification

fn verification_response(shared: &Shared, base: &Base, provider: &str, body: &Value) -> Response {
    let state = shared.state();
    if state.pacticipant(provider).is_none() {
        return not_found(&format!("Provider '{provider}'"));
    }
    match selectors::parse_request(body, &state, shared.config.reject_unknown_selector_keys) {
        Ok(request) => {
            let pacts = selectors::pacts_for_verification(&state, provider, &request);
            ok(selectors::response(base, provider, &request, &pacts))
        }
        Err(errors) => bad_request(Value::Object(errors)),
    }
}

pub(super) async fn for_verification_get(
    State(shared): Shr,
    base: Base,
    Path(provider): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    // The GET form takes the same fields as the POST body, in snake_case.
    let params = camelize_keys(Value::Object(parse_nested(query.as_deref().unwrap_or(""))));
    verification_response(&shared, &base, &provider, &params)
}

pub(super) async fn for_verification_post(
    State(shared): Shr,
    base: Base,
    Path(provider): Path<String>,
    body: Bytes,
) -> Response {
    match parse_body(&body) {
        Ok(body) => verification_response(&shared, &base, &provider, &body),
        Err(response) => response,
    }
}

// ==================================================================== single pacts

fn latest_consumer_version_for(pubs: &[&Publication]) -> Option<String> {
    pubs.iter().max_by_key(|p| p.version_order).map(|p| p.consumer_version.clone())
}

pub(super) async fn get_pact_version(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, sha)): Path<(String, String, String)>,
) -> Response {
    let state = shared.state();
    let version = latest_consumer_version_for(&state.versions_with_content(&consumer, &provider, &sha));
    let url = base.pact_version(&provider, &consumer, &sha);
    match version.and_then(|v| repr::pact_document(&state, &base, &consumer, &provider, &sha, &v, &url, &url)) {
        Some(document) => ok(document),
        None => not_found("The pact"),
    }
}

pub(super) async fn get_pact_version_with_metadata(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, sha, metadata)): Path<(String, String, String, String)>,
) -> Response {
    let state = shared.state();
    let version = latest_consumer_version_for(&state.versions_with_content(&consumer, &provider, &sha));
    let url = base.pact_version_with_metadata(&provider, &consumer, &sha, &metadata);
    match version.and_then(|v| repr::pact_document(&state, &base, &consumer, &provider, &sha, &v, &url, &url)) {
        Some(document) => ok(document),
        None => not_found("The pact"),
    }
}

fn serve_publication(
    shared: &Shared,
    base: &Base,
    publication: Option<Publication>,
    self_url: Option<String>,
) -> Response {
    let state = shared.state();
    let Some(p) = publication else { return not_found("The pact") };
    let self_url =
        self_url.unwrap_or_else(|| base.pact_for_consumer_version(&p.provider, &p.consumer, &p.consumer_version));
    let pact_url = base.pact_version(&p.provider, &p.consumer, &p.sha);
    match repr::pact_document(&state, base, &p.consumer, &p.provider, &p.sha, &p.consumer_version, &self_url, &pact_url)
    {
        Some(document) => ok(document),
        None => not_found("The pact"),
    }
}

pub(super) async fn get_pact_for_version(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, version)): Path<(String, String, String)>,
) -> Response {
    let publication = shared.state().publication(&consumer, &provider, &version).cloned();
    serve_publication(&shared, &base, publication, None)
}

pub(super) async fn pair_latest(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer)): Path<(String, String)>,
) -> Response {
    let publication = {
        let state = shared.state();
        state
            .publications
            .iter()
            .filter(|p| p.provider == provider && p.consumer == consumer)
            .max_by_key(|p| p.version_order)
            .cloned()
    };
    let url = format!("{}/latest", base.pact_pair(&provider, &consumer));
    serve_publication(&shared, &base, publication, Some(url))
}

pub(super) async fn pair_latest_with_tag(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, tag)): Path<(String, String, String)>,
) -> Response {
    let publication = {
        let state = shared.state();
        state
            .publications
            .iter()
            .filter(|p| p.provider == provider && p.consumer == consumer)
            .filter(|p| state.version(&p.consumer, &p.consumer_version).is_some_and(|v| v.has_tag(&tag)))
            .max_by_key(|p| p.version_order)
            .cloned()
    };
    let url = format!("{}/latest/{}", base.pact_pair(&provider, &consumer), crate::hal::enc(&tag));
    serve_publication(&shared, &base, publication, Some(url))
}

/// Checks that a pact document names the consumer and provider of the URL it is published to.
fn check_names(document: &Value, consumer: &str, provider: &str) -> Result<(), Response> {
    if !document.is_object() {
        return Err(field_error("body", "must be a pact (a JSON object)"));
    }
    let (in_consumer, in_provider) = participant_names(document);
    let mut errors = Map::new();
    if let Some(name) = in_consumer.filter(|n| n != consumer) {
        errors.insert(
            "consumer".into(),
            json!([format!("the consumer in the pact ('{name}') does not match the one in the URL ('{consumer}')")]),
        );
    }
    if let Some(name) = in_provider.filter(|n| n != provider) {
        errors.insert(
            "provider".into(),
            json!([format!("the provider in the pact ('{name}') does not match the one in the URL ('{provider}')")]),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(bad_request(Value::Object(errors)))
    }
}

fn store_pact(
    shared: &Shared,
    base: &Base,
    provider: &str,
    consumer: &str,
    version: &str,
    body: &[u8],
    merge: bool,
) -> Response {
    let document = match parse_body(body) {
        Ok(document) => document,
        Err(response) => return response,
    };
    if let Err(response) = check_names(&document, consumer, provider) {
        return response;
    }
    let outcome = {
        let mut state = shared.state();
        state.publish(consumer, provider, version, document, shared.config.allow_contract_modification, merge)
    };
    match outcome {
        Ok(outcome) => {
            let state = shared.state();
            let self_url = base.pact_for_consumer_version(provider, consumer, version);
            let pact_url = base.pact_version(provider, consumer, &outcome.sha);
            let document =
                repr::pact_document(&state, base, consumer, provider, &outcome.sha, version, &self_url, &pact_url)
                    .unwrap_or_default();
            if outcome.created {
                created(document, Some(&self_url))
            } else {
                ok(document)
            }
        }
        Err(PublishError::Conflict(message)) => conflict(message),
        Err(PublishError::Invalid(message)) => field_error("body", message),
    }
}

pub(super) async fn put_pact(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, version)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    store_pact(&shared, &base, &provider, &consumer, &version, &body, false)
}

pub(super) async fn patch_pact(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, version)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    store_pact(&shared, &base, &provider, &consumer, &version, &body, true)
}

// ==================================================================== verification results

fn publish_result(
    shared: &Shared,
    base: &Base,
    provider: &str,
    consumer: &str,
    sha: &str,
    body: &[u8],
    wip: bool,
) -> Response {
    let body = match parse_body(body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mut errors = Map::new();
    let success = body.get("success").and_then(Value::as_bool);
    if success.is_none() {
        errors.insert("success".into(), json!(["is required and must be true or false"]));
    }
    let version =
        body.get("providerApplicationVersion").and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
    if version.is_none() {
        errors.insert("providerApplicationVersion".into(), json!(["is required and must be a non-blank string"]));
    } else if version.is_some_and(|v| v.contains('\n')) {
        errors.insert("providerApplicationVersion".into(), json!(["must be a single line"]));
    }
    let build_url = match body.get("buildUrl") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) => Some(url.clone()),
        Some(_) => {
            errors.insert("buildUrl".into(), json!(["must be a string"]));
            None
        }
    };
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    let mut state = shared.state();
    if state.content(consumer, provider, sha).is_none() {
        return not_found("The pact");
    }
    let verification = state.record_verification(
        consumer,
        provider,
        sha,
        version.unwrap_or_default(),
        success.unwrap_or_default(),
        build_url,
        body.get("testResults").cloned(),
        body.get("verifiedBy").cloned(),
        wip,
    );
    let consumer_version = latest_consumer_version_for(&state.versions_with_content(consumer, provider, sha));
    let url = base.verification_result(provider, consumer, sha, verification.number);
    created(repr::verification(base, &verification, consumer_version.as_deref()), Some(&url))
}

pub(super) async fn publish_verification(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, sha)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    publish_result(&shared, &base, &provider, &consumer, &sha, &body, false)
}

pub(super) async fn publish_verification_with_metadata(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, sha, metadata)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    publish_result(&shared, &base, &provider, &consumer, &sha, &body, metadata == WIP_METADATA)
}

pub(super) async fn get_verification(
    State(shared): Shr,
    base: Base,
    Path((provider, consumer, sha, number)): Path<(String, String, String, String)>,
) -> Response {
    let state = shared.state();
    let found =
        state.verifications_for(&consumer, &provider, &sha).into_iter().find(|v| v.number.to_string() == number);
    match found {
        Some(v) => {
            let consumer_version =
                latest_consumer_version_for(&state.versions_with_content(&consumer, &provider, &sha));
            ok(repr::verification(&base, v, consumer_version.as_deref()))
        }
        None => not_found("The verification result"),
    }
}

// ==================================================================== /contracts/publish

struct Contract {
    provider: String,
    document: Value,
    merge: bool,
}

fn non_blank(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).filter(|s| !s.trim().is_empty()).map(str::to_string)
}

fn validate_publication(body: &Value) -> Result<(String, String, Vec<Contract>), Value> {
    let mut errors = Map::new();
    let mut add = |field: &str, message: String| {
        errors
            .entry(field.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("array")
            .push(json!(message));
    };
    let name = non_blank(body.get("pacticipantName"));
    if name.is_none() {
        add("pacticipantName", "is required and must be a non-blank string".into());
    }
    let number = non_blank(body.get("pacticipantVersionNumber"));
    match &number {
        None => add("pacticipantVersionNumber", "is required and must be a non-blank string".into()),
        Some(n) if n.contains('\n') => add("pacticipantVersionNumber", "must be a single line".into()),
        _ => {}
    }
    match body.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tags)) if tags.iter().all(|t| non_blank(Some(t)).is_some()) => {}
        Some(_) => add("tags", "must be a list of non-blank strings".into()),
    }
    match body.get("branch") {
        None | Some(Value::Null) => {}
        Some(b) if non_blank(Some(b)).is_some() => {}
        Some(_) => add("branch", "must be a non-blank string".into()),
    }
    let mut contracts = Vec::new();
    match body.get("contracts") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let mut problem =
                    |field: &str, message: &str| add("contracts", format!("{field} {message} (at index {i})"));
                let consumer = non_blank(item.get("consumerName"));
                let provider = non_blank(item.get("providerName"));
                if consumer.is_none() {
                    problem("consumerName", "is required");
                }
                if provider.is_none() {
                    problem("providerName", "is required");
                }
                if let (Some(c), Some(n)) = (&consumer, &name) {
                    if c != n {
                        problem("consumerName", &format!("('{c}') does not match the pacticipantName ('{n}')"));
                    }
                }
                if item.get("specification").and_then(Value::as_str) != Some("pact") {
                    problem("specification", "must be 'pact'");
                }
                if item.get("contentType").and_then(Value::as_str) != Some("application/json") {
                    problem("contentType", "must be 'application/json'");
                }
                let merge = match item.get("onConflict").and_then(Value::as_str) {
                    None => false,
                    Some("overwrite") => false,
                    Some("merge") => true,
                    Some(_) => {
                        problem("onConflict", "must be 'overwrite' or 'merge'");
                        false
                    }
                };
                let document = item
                    .get("content")
                    .and_then(Value::as_str)
                    .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c.trim()).ok())
                    .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                    .filter(Value::is_object);
                match &document {
                    None => problem("content", "must be a base64 encoded JSON pact"),
                    Some(document) => {
                        let (in_consumer, in_provider) = participant_names(document);
                        if let (Some(c), Some(n)) = (in_consumer, &name) {
                            if &c != n {
                                problem("content", &format!("names the consumer '{c}', not '{n}'"));
                            }
                        }
                        if let (Some(p), Some(expected)) = (in_provider, &provider) {
                            if &p != expected {
                                problem("content", &format!("names the provider '{p}', not '{expected}'"));
                            }
                        }
                    }
                }
                if let (Some(provider), Some(document)) = (provider, document) {
                    contracts.push(Contract { provider, document, merge });
                }
            }
        }
        _ => add("contracts", "is required and must be a non-empty list".into()),
    }
    match (name, number) {
        (Some(name), Some(number)) if errors.is_empty() => Ok((name, number, contracts)),
        _ => Err(Value::Object(errors)),
    }
}

pub(super) async fn publish_contracts(State(shared): Shr, base: Base, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let (consumer, number, contracts) = match validate_publication(&body) {
        Ok(valid) => valid,
        Err(errors) => return bad_request(errors),
    };
    let branch = non_blank(body.get("branch"));
    let tags: Vec<String> =
        body.get("tags").and_then(Value::as_array).into_iter().flatten().filter_map(|t| non_blank(Some(t))).collect();
    let build_url = non_blank(body.get("buildUrl"));

    let mut state = shared.state();
    // Refuse the whole publication before changing anything, as the real broker does.
    for contract in &contracts {
        if let Some(existing) = state.publication(&consumer, &contract.provider, &number) {
            if !contract.merge
                && !shared.config.allow_contract_modification
                && existing.sha != pact_sha(&contract.document)
            {
                return conflict(format!(
                    "{consumer} version {number} already has a different pact with {}; publish changed content \
                     under a new consumer version number",
                    contract.provider
                ));
            }
        }
    }

    let new_version = state.ensure_version(&consumer, &number);
    state.set_build_url(&consumer, &number, build_url);
    if let Some(branch) = &branch {
        state.add_branch_version(&consumer, &number, branch);
    }
    for tag in &tags {
        state.add_tag(&consumer, &number, tag);
    }

    let mut notices = Vec::new();
    let mut description = format!("{} {consumer} version {number}", if new_version { "Created" } else { "Updated" });
    if let Some(branch) = &branch {
        description.push_str(&format!(" with branch {branch}"));
    }
    if !tags.is_empty() {
        description.push_str(&format!(
            "{} tag{} {}",
            if branch.is_some() { " and" } else { " with" },
            if tags.len() == 1 { "" } else { "s" },
            tags.join(", ")
        ));
    }
    notices.push(("info", description));

    let mut contract_links = Vec::new();
    for contract in contracts {
        let provider = contract.provider.clone();
        match state.publish(&consumer, &provider, &number, contract.document, true, contract.merge) {
            Ok(outcome) => {
                let url = base.pact_for_consumer_version(&provider, &consumer, &number);
                let text = if contract.merge && !outcome.created {
                    format!("Pact merged into the one already published for {consumer} version {number} and provider {provider}.")
                } else if !outcome.content_changed {
                    format!(
                        "The same pact was already published for {consumer} version {number} and provider {provider}."
                    )
                } else {
                    format!("Pact published for {consumer} version {number} and provider {provider}.")
                };
                notices.push(("success", text));
                notices.push(("debug", format!("View the published pact at {url}")));
                contract_links.push(link(url, Some("Pact"), Some(&pact_name(&consumer, &number, &provider))));
            }
            Err(PublishError::Conflict(message)) | Err(PublishError::Invalid(message)) => return conflict(message),
        }
    }

    let version = state.version(&consumer, &number).cloned();
    let tag_links: Vec<Value> =
        tags.iter().map(|t| link(base.tag(&consumer, &number, t), Some("Tag"), Some(t))).collect();
    let mut links = json!({
        "pb:pacticipant": link(base.pacticipant(&consumer), Some("Pacticipant"), Some(&consumer)),
        "pb:pacticipant-version": link(base.version(&consumer, &number), Some("Pacticipant version"), Some(&number)),
        "pb:pacticipant-version-tags": tag_links,
        "pb:contracts": contract_links,
    });
    if let Some(branch) = &branch {
        links["pb:branch-version"] =
            link(base.branch_version(&consumer, branch, &number), Some("Branch version"), Some(branch));
    }
    let embedded_version = version.as_ref().map(|v| repr::embedded_version(&base, v)).unwrap_or_default();
    hal(
        StatusCode::OK,
        json!({
            "notices": notices.iter().map(|(kind, text)| json!({ "type": kind, "text": text })).collect::<Vec<_>>(),
            // The real broker's older form of the notices, each saying it is; the Rust
            // `pact broker publish` reads all three fields, `deprecationWarning` as a string.
            "logs": notices
                .iter()
                .map(|(kind, text)| {
                    json!({ "level": kind, "message": text, "deprecationWarning": "Replaced by notices" })
                })
                .collect::<Vec<_>>(),
            "_embedded": {
                "pacticipant": {
                    "name": consumer,
                    "_links": { "self": link(base.pacticipant(&consumer), Some("Pacticipant"), Some(&consumer)) }
                },
                "version": embedded_version,
            },
            "_links": links,
        }),
    )
}
