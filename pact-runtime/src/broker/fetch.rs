//! Fetching pacts: pacts-for-verification with selectors, pending and WIP, or one pact URL
//! in webhook mode.

use pact_verifier::PactsForVerificationRequest;
use reqwest::Method;
use serde_json::Value;

use super::client::link;
use super::{BrokerClient, BrokerError, BrokerSettings};
use crate::pacts::{BrokerContext, LoadedPact, Notice};

/// Fetches the pacts `provider` should verify, as pacts-for-verification selects them.
///
/// An empty answer is `Ok(vec![])`; a broker that does not know the provider, answers
/// something that is not pacts-for-verification HAL, or rejects the selectors is an error.
pub async fn fetch_broker_pacts(
    client: &BrokerClient,
    settings: &BrokerSettings,
    provider: &str,
) -> Result<Vec<LoadedPact>, BrokerError> {
    let index = client.get(&format!("{}/", client.base_url())).await?;
    let for_verification = link(&index, "pb:provider-pacts-for-verification", &[("provider", provider)])?;
    let request = PactsForVerificationRequest {
        provider_version_tags: settings.provider_tags.clone(),
        include_pending_status: settings.enable_pending,
        include_wip_pacts_since: settings.include_wip_pacts_since.clone(),
        consumer_version_selectors: settings.selectors.iter().map(|selector| selector.0.clone()).collect(),
        provider_version_branch: settings.provider_branch.clone(),
    };
    let body =
        serde_json::to_value(&request).map_err(|err| BrokerError(format!("cannot encode the request: {err}")))?;
    let answer = client.send(Method::POST, &for_verification, Some(&body)).await.map_err(|error| {
        if error.0.contains(" 400 ") {
            BrokerError(format!(
                "{error} (check PACT_CONSUMER_VERSION_SELECTORS / `consumer_version_selectors`, PACT_PROVIDER_BRANCH and PACT_INCLUDE_WIP_PACTS_SINCE)"
            ))
        } else if error.0.contains(" 404 ") {
            BrokerError(format!("no pacts for provider `{provider}`: the Pact Broker does not know it ({error})"))
        } else {
            error
        }
    })?;
    let entries = answer
        .get("_embedded")
        .and_then(|embedded| embedded.get("pacts"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            BrokerError(format!(
                "the Pact Broker's pacts-for-verification answer for `{provider}` is malformed: it has no `_embedded.pacts` array"
            ))
        })?;
    let mut pacts = Vec::new();
    for entry in entries {
        let href = entry
            .get("_links")
            .and_then(|links| links.get("self"))
            .and_then(|link| link.get("href"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                BrokerError(format!(
                    "the Pact Broker's pacts-for-verification answer for `{provider}` is malformed: a pact has no `_links.self.href`"
                ))
            })?;
        let properties = entry.get("verificationProperties");
        let flag = |name: &str| properties.and_then(|p| p.get(name)).and_then(Value::as_bool).unwrap_or(false);
        let notices = properties
            .and_then(|p| p.get("notices"))
            .and_then(Value::as_array)
            .map(|notices| {
                notices
                    .iter()
                    .map(|notice| Notice {
                        when: notice.get("when").and_then(Value::as_str).unwrap_or_default().to_string(),
                        text: notice.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let context = BrokerContext {
            short_description: entry.get("shortDescription").and_then(Value::as_str).unwrap_or_default().to_string(),
            // WIP pacts are pending by definition; the broker only sends `pending` when asked
            // for pending status (PACT_ENABLE_PENDING), but sends WIP pacts regardless.
            pending: flag("pending") || flag("wip"),
            wip: flag("wip"),
            notices,
            ..BrokerContext::default()
        };
        pacts.push(fetch_pact(client, href, context).await?);
    }
    Ok(pacts)
}

/// Fetches the one pact of webhook mode.
pub async fn fetch_webhook_pact(client: &BrokerClient, pact_url: &str) -> Result<LoadedPact, BrokerError> {
    fetch_pact(
        client,
        pact_url,
        BrokerContext { short_description: "from PACT_URL".into(), ..BrokerContext::default() },
    )
    .await
}

async fn fetch_pact(client: &BrokerClient, href: &str, mut context: BrokerContext) -> Result<LoadedPact, BrokerError> {
    let url = client.resolve(href);
    let shown = crate::util::redact::url(&url);
    let document = client.get(&url).await?;
    context.publish_url =
        link(&document, "pb:publish-verification-results", &[]).ok().map(|href| client.resolve(&href));
    context.provider_url = link(&document, "pb:provider", &[]).ok().map(|href| client.resolve(&href));
    let screened = crate::pacts::pact_from_json(&shown, document)
        .map_err(|err| BrokerError(format!("the pact at {shown} cannot be read: {err}")))?;
    Ok(LoadedPact { broker: Some(context), ..LoadedPact::screened(shown, screened) })
}
