//! Publishing verification results for one pact: branch and tags first, then the result with
//! a `testResults` entry per interaction.

use reqwest::Method;
use serde_json::{json, Value};

use super::client::link;
use super::{BrokerClient, BrokerError, PublishSettings};
use crate::pacts::LoadedPact;
use crate::report::{Failure, InteractionResult};

/// What publishing one pact's result did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishOutcome {
    /// The result that was published.
    pub success: bool,
    /// The URL of the published verification result, if the broker answered one.
    pub result_url: Option<String>,
}

/// Publishes the results of every interaction of `pact`. The caller makes sure `results` holds
/// every interaction of the pact: a partial run must not publish.
pub async fn publish_results(
    client: &BrokerClient,
    settings: &PublishSettings,
    pact: &LoadedPact,
    results: &[&InteractionResult],
) -> Result<PublishOutcome, BrokerError> {
    let context =
        pact.broker.as_ref().ok_or_else(|| BrokerError(format!("{} did not come from a broker", pact.source)))?;
    let publish_url = context.publish_url.as_deref().ok_or_else(|| {
        BrokerError(format!("the pact {} has no `pb:publish-verification-results` link", pact.source))
    })?;
    if settings.provider_branch.is_some() || !settings.provider_tags.is_empty() {
        let provider_url = context
            .provider_url
            .as_deref()
            .ok_or_else(|| BrokerError(format!("the pact {} has no `pb:provider` link", pact.source)))?;
        let provider = client.get(provider_url).await?;
        let version = settings.provider_version.as_str();
        if let Some(branch) = &settings.provider_branch {
            let href = link(&provider, "pb:branch-version", &[("branch", branch), ("version", version)])?;
            client.send(Method::PUT, &href, Some(&json!({}))).await?;
        }
        for tag in &settings.provider_tags {
            let href = link(&provider, "pb:version-tag", &[("version", version), ("tag", tag)])?;
            client.send(Method::PUT, &href, Some(&json!({}))).await?;
        }
    }
    let success = results.iter().all(|result| result.passed());
    let body = verification_body(settings, success, results);
    let answer = client.send(Method::POST, publish_url, Some(&body)).await?;
    let result_url = link(&answer, "self", &[]).ok();
    Ok(PublishOutcome { success, result_url })
}

/// The verification result document the broker stores.
pub(crate) fn verification_body(settings: &PublishSettings, success: bool, results: &[&InteractionResult]) -> Value {
    let test_results: Vec<Value> = results.iter().map(|result| test_result(result)).collect();
    let mut body = json!({
        "success": success,
        "providerApplicationVersion": settings.provider_version,
        "verifiedBy": { "implementation": "pact-runtime", "version": env!("CARGO_PKG_VERSION") },
        "testResults": test_results,
    });
    if let Some(build_url) = &settings.build_url {
        body["buildUrl"] = json!(build_url);
    }
    body
}

fn test_result(result: &InteractionResult) -> Value {
    let mut mismatches = Vec::new();
    let mut exceptions = Vec::new();
    for failure in &result.failures {
        match failure {
            Failure::Mismatch { kind, path, description, .. } => {
                let mut mismatch = json!({ "attribute": attribute(kind), "description": description });
                if let Some(path) = path {
                    mismatch["identifier"] = json!(path);
                }
                mismatches.push(mismatch);
            }
            other => exceptions.push(json!({ "message": other.to_string() })),
        }
    }
    let mut value = json!({
        "interactionDescription": result.description,
        "success": result.passed(),
    });
    if let Some(id) = &result.interaction_id {
        value["interactionId"] = json!(id);
    }
    if !mismatches.is_empty() {
        value["mismatches"] = json!(mismatches);
    }
    if !exceptions.is_empty() {
        value["exceptions"] = json!(exceptions);
    }
    value
}

/// The broker's `attribute` for a Pact mismatch type.
fn attribute(kind: &str) -> &'static str {
    match kind {
        "MethodMismatch" => "method",
        "PathMismatch" => "path",
        "StatusMismatch" => "status",
        "QueryMismatch" => "query",
        "HeaderMismatch" => "header",
        "MetadataMismatch" => "metadata",
        _ => "body",
    }
}
