//! The Pact Broker double, driven over HTTP with reqwest and with pact_verifier's own broker
//! client (`fetch_pacts_dynamically_from_broker`, `fetch_pacts_from_broker`,
//! `publish_verification_results`), to prove the client is happy with what it serves.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use pact_broker_double::{BrokerDouble, BrokerOptions, Fault};
use pact_models::http_utils::HttpAuth;
use pact_verifier::pact_broker::{
    fetch_pacts_dynamically_from_broker, fetch_pacts_from_broker, publish_verification_results, HALClientBuilder, Link,
    PactVerificationContext, TestResult,
};
use pact_verifier::ConsumerVersionSelector;
use reqwest::StatusCode;
use serde_json::{json, Value};

// ==================================================================== helpers

fn client() -> reqwest::Client {
    pact_runtime::install_crypto_provider();
    reqwest::Client::new()
}

async fn start() -> BrokerDouble {
    BrokerDouble::start(BrokerOptions::new()).await.expect("broker double starts")
}

/// A pact whose content is determined by `marker` (same marker, same content).
fn pact(consumer: &str, provider: &str, marker: &str) -> Value {
    json!({
        "consumer": { "name": consumer },
        "provider": { "name": provider },
        "interactions": [{
            "description": format!("a request for {marker}"),
            "providerState": "some data exists",
            "request": { "method": "GET", "path": format!("/things/{marker}") },
            "response": { "status": 200, "body": { "marker": marker } }
        }],
        "metadata": { "pactSpecification": { "version": "2.0.0" } }
    })
}

fn selector(value: Value) -> ConsumerVersionSelector {
    serde_json::from_value(value).expect("a valid selector")
}

/// What the verifier got for one pact: consumer, consumer version, short description, pending.
#[derive(Debug, Clone)]
struct Got {
    consumer: String,
    version: String,
    description: String,
    pending: bool,
    notices: Vec<HashMap<String, String>>,
    links: Vec<Link>,
}

/// Fetches through pact_verifier's broker client.
async fn fetch(
    broker: &BrokerDouble,
    provider: &str,
    selectors: Vec<Value>,
    branch: Option<&str>,
    tags: &[&str],
    pending: bool,
    wip_since: Option<&str>,
) -> anyhow::Result<Vec<Got>> {
    let results = fetch_pacts_dynamically_from_broker(
        &broker.url(),
        provider.to_string(),
        pending,
        wip_since.map(str::to_string),
        tags.iter().map(|t| t.to_string()).collect(),
        branch.map(str::to_string),
        selectors.into_iter().map(selector).collect(),
        None,
        0,
    )
    .await?;
    let mut got = Vec::new();
    for result in results {
        let (pact, context, links) = result?;
        let context: PactVerificationContext = context.expect("a verification context");
        let version_href = links
            .iter()
            .find(|l| l.name == "pb:consumer-version")
            .and_then(|l| l.href.clone())
            .expect("a pb:consumer-version link");
        got.push(Got {
            consumer: pact.consumer().name,
            version: version_href.rsplit('/').next().unwrap_or_default().to_string(),
            description: context.short_description,
            pending: context.verification_properties.pending,
            notices: context.verification_properties.notices,
            links,
        });
    }
    Ok(got)
}

fn versions(got: &[Got]) -> Vec<String> {
    got.iter().map(|g| format!("{} {}", g.consumer, g.version)).collect()
}

async fn post_json(url: &str, body: Value) -> (StatusCode, Value) {
    let response = client().post(url).json(&body).send().await.expect("request is sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_json(url: &str) -> (StatusCode, Value) {
    let response = client().get(url).send().await.expect("request is sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Consumers Web and Mobile of the provider Api:
/// * Web: 0 (tag prod), 1 (main, tag prod), 2 (main), 3 (feat-x); main branch auto-detected
/// * Mobile: m1 (master, tag prod, deployed to production), m2 (master, released in app-store)
async fn fixture() -> BrokerDouble {
    let broker = start().await;
    broker.publish_pact("Web", "0", None, &["prod"], pact("Web", "Api", "w0")).unwrap();
    broker.publish_pact("Web", "1", Some("main"), &["prod"], pact("Web", "Api", "w1")).unwrap();
    broker.publish_pact("Web", "2", Some("main"), &[], pact("Web", "Api", "w2")).unwrap();
    broker.publish_pact("Web", "3", Some("feat-x"), &[], pact("Web", "Api", "w3")).unwrap();
    broker.publish_pact("Mobile", "m1", Some("master"), &["prod"], pact("Mobile", "Api", "m1")).unwrap();
    broker.publish_pact("Mobile", "m2", Some("master"), &[], pact("Mobile", "Api", "m2")).unwrap();
    broker.create_environment("production", true);
    broker.record_deployment("Mobile", "m1", "production");
    broker.record_release("Mobile", "m2", "app-store");
    broker.add_version_to_branch("Api", "p1", "main");
    broker
}

// ==================================================================== index and links

#[tokio::test]
async fn index_links_are_absolute_with_and_without_an_empty_query() {
    let broker = start().await;
    for path in ["/", "/?"] {
        let (status, index) = get_json(&format!("{}{path}", broker.url())).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let links = index["_links"].as_object().expect("_links");
        for rel in [
            "pb:latest-provider-pacts",
            "pb:provider-pacts-for-verification",
            "pb:publish-contracts",
            "pb:pacticipant",
            "pb:pacticipant-version",
            "pb:environments",
            "pb:can-i-deploy-pacticipant-version-to-environment",
            "pb:latest-version",
        ] {
            let href = links[rel]["href"].as_str().unwrap_or_else(|| panic!("{rel} has an href"));
            assert!(href.starts_with(&broker.url()), "{rel}: {href}");
        }
        assert_eq!(
            links["pb:latest-provider-pacts"]["href"],
            format!("{}/pacts/provider/{{provider}}/latest", broker.url())
        );
        assert_eq!(links["pb:provider-pacts-for-verification"]["templated"], true);
    }

    // Links follow the name the client used for the host.
    let by_name = format!("http://localhost:{}/", broker.addr().port());
    let (_, index) = get_json(&by_name).await;
    let href = index["_links"]["pb:publish-contracts"]["href"].as_str().unwrap();
    assert_eq!(href, format!("http://localhost:{}/contracts/publish", broker.addr().port()));
}

#[tokio::test]
async fn a_public_base_url_wins_over_the_host_header() {
    let broker =
        BrokerDouble::start(BrokerOptions::new().with_public_base_url("https://broker.example/")).await.unwrap();
    let (_, index) = get_json(&broker.url()).await;
    assert_eq!(index["_links"]["pb:environments"]["href"], "https://broker.example/environments");
}

// ==================================================================== publishing

#[tokio::test]
async fn publishing_with_put_stores_the_pact_with_stable_interaction_ids() {
    let broker = start().await;
    let url = format!("{}/pacts/provider/Api/consumer/Web/version/1.0.0", broker.url());
    let document = pact("Web", "Api", "a");

    let response = client().put(&url).json(&document).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let served: Value = response.json().await.unwrap();
    let id = served["interactions"][0]["_id"].as_str().expect("an interaction _id").to_string();
    let links = &served["_links"];
    assert_eq!(links["self"]["href"], url);
    assert_eq!(links["pb:provider"]["href"], format!("{}/pacticipants/Api", broker.url()));
    assert_eq!(links["pb:consumer"]["href"], format!("{}/pacticipants/Web", broker.url()));
    let sha = broker.pacts()[0].sha.clone();
    assert_eq!(
        links["pb:publish-verification-results"]["href"],
        format!("{}/pacts/provider/Api/consumer/Web/pact-version/{sha}/verification-results", broker.url())
    );

    // Same content again: 200, same ids. Different content: refused like the real broker.
    let again = client().put(&url).json(&document).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["interactions"][0]["_id"], id);
    let changed = client().put(&url).json(&pact("Web", "Api", "b")).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::CONFLICT);
    let body: Value = changed.json().await.unwrap();
    assert!(body["errors"].is_object(), "{body}");

    // The content URL serves the same document; names in the body must match the URL.
    let (status, by_sha) =
        get_json(&format!("{}/pacts/provider/Api/consumer/Web/pact-version/{sha}", broker.url())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_sha["interactions"][0]["_id"], id);
    assert_eq!(by_sha["_links"]["self"]["name"], "Pact between Web (1.0.0) and Api");
    let wrong = client().put(&url).json(&pact("Other", "Api", "a")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn contract_modification_can_be_allowed() {
    let broker = BrokerDouble::start(BrokerOptions::new().allow_contract_modification()).await.unwrap();
    broker.publish_pact("Web", "1", None, &[], pact("Web", "Api", "a")).unwrap();
    broker.publish_pact("Web", "1", None, &[], pact("Web", "Api", "b")).unwrap();
    assert_eq!(broker.pacts().len(), 1);
    assert_eq!(broker.pacts()[0].content["interactions"][0]["description"], "a request for b");
}

#[tokio::test]
async fn publishing_contracts_creates_version_branch_and_tags() {
    use base64::Engine;
    let broker = start().await;
    let content = base64::engine::general_purpose::STANDARD.encode(pact("Web", "Api", "c").to_string());
    let body = json!({
        "pacticipantName": "Web",
        "pacticipantVersionNumber": "2.0.0",
        "branch": "main",
        "tags": ["dev", "qa"],
        "buildUrl": "https://ci.example/1",
        "contracts": [{
            "consumerName": "Web", "providerName": "Api", "specification": "pact",
            "contentType": "application/json", "content": content
        }]
    });
    let (status, result) = post_json(&format!("{}/contracts/publish", broker.url()), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(result["notices"].as_array().unwrap().iter().any(|n| n["type"] == "success"), "{result}");
    assert!(result["logs"].as_array().is_some_and(|l| !l.is_empty()));
    assert_eq!(result["_embedded"]["pacticipant"]["name"], "Web");
    assert_eq!(result["_embedded"]["version"]["number"], "2.0.0");
    assert_eq!(result["_links"]["pb:pacticipant-version-tags"].as_array().unwrap().len(), 2);
    let contract = result["_links"]["pb:contracts"][0]["href"].as_str().unwrap();
    assert_eq!(contract, format!("{}/pacts/provider/Api/consumer/Web/version/2.0.0", broker.url()));

    let stored = &broker.pacts()[0];
    assert_eq!(
        (stored.branches.clone(), stored.tags.clone()),
        (vec!["main".to_string()], vec!["dev".into(), "qa".into()])
    );
    let (_, version) = get_json(&format!("{}/pacticipants/Web/versions/2.0.0", broker.url())).await;
    assert_eq!(version["buildUrl"], "https://ci.example/1");
    let (_, web) = get_json(&format!("{}/pacticipants/Web", broker.url())).await;
    assert_eq!(web["mainBranch"], "main", "main is adopted as the main branch");

    // Validation: consumer name mismatch and content that isn't base64 JSON.
    let mut bad = body.clone();
    bad["contracts"][0]["consumerName"] = json!("Other");
    bad["contracts"][0]["content"] = json!("not base64!");
    let (status, errors) = post_json(&format!("{}/contracts/publish", broker.url()), bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let messages = errors["errors"]["contracts"].to_string();
    assert!(messages.contains("consumerName") && messages.contains("content"), "{errors}");
    let (status, _) = post_json(&format!("{}/contracts/publish", broker.url()), json!({ "contracts": [] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn latest_provider_pacts_serve_both_link_arrays() {
    let broker = fixture().await;
    let (status, latest) = get_json(&format!("{}/pacts/provider/Api/latest", broker.url())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest["_links"]["pacts"], latest["_links"]["pb:pacts"]);
    assert_eq!(latest["_links"]["pacts"].as_array().unwrap().len(), 2);

    let fetched = fetch_pacts_from_broker(&broker.url(), "Api", None, 0).await.unwrap();
    let mut got: Vec<String> = fetched
        .into_iter()
        .map(|r| {
            let (pact, _, _) = r.unwrap();
            format!("{} {}", pact.consumer().name, pact.interactions()[0].description())
        })
        .collect();
    got.sort();
    assert_eq!(got, vec!["Mobile a request for m2", "Web a request for w3"]);

    let (status, tagged) = get_json(&format!("{}/pacts/provider/Api/latest/prod", broker.url())).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> =
        tagged["_links"]["pacts"].as_array().unwrap().iter().map(|l| l["title"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Pact between Mobile (m1) and Api", "Pact between Web (1) and Api"]);
    let (status, _) = get_json(&format!("{}/pacts/provider/Nobody/latest", broker.url())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ==================================================================== selectors

#[tokio::test]
async fn main_branch_branch_and_fallback_branch_selectors() {
    let broker = fixture().await;
    let got = fetch(&broker, "Api", vec![json!({ "mainBranch": true })], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m2", "Web 2"]);
    assert_eq!(got[1].description, "latest from main branch main");

    let got = fetch(&broker, "Api", vec![json!({ "branch": "feat-x" })], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 3"]);
    assert_eq!(got[0].description, "latest from branch feat-x");

    let fallback = json!({ "branch": "feat-missing", "fallbackBranch": "main" });
    let got = fetch(&broker, "Api", vec![fallback], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 2"]);
    assert!(got[0].notices[0]["text"].contains("no pact from branch 'feat-missing'"), "{:?}", got[0].notices);

    let got =
        fetch(&broker, "Api", vec![json!({ "matchingBranch": true })], Some("feat-x"), &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 3"]);
}

#[tokio::test]
async fn tag_and_latest_selectors_restricted_by_consumer() {
    let broker = fixture().await;
    let latest_prod = json!({ "tag": "prod", "latest": true });
    let got = fetch(&broker, "Api", vec![latest_prod], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m1", "Web 1"]);
    assert_eq!(got[0].description, "latest with tag prod");

    let all_prod = json!({ "tag": "prod" });
    let got = fetch(&broker, "Api", vec![all_prod], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m1", "Web 0", "Web 1"]);
    assert_eq!(got[1].description, "one of prod");

    let fallback = json!({ "tag": "nope", "fallbackTag": "prod", "latest": true, "consumer": "Web" });
    let got = fetch(&broker, "Api", vec![fallback], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 1"]);

    let got = fetch(&broker, "Api", vec![json!({ "latest": true })], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m2", "Web 3"]);
    let got = fetch(&broker, "Api", vec![json!({ "latest": true, "consumer": "Web" })], None, &[], false, None)
        .await
        .unwrap();
    assert_eq!(versions(&got), vec!["Web 3"]);
}

#[tokio::test]
async fn deployed_released_and_environment_selectors() {
    let broker = fixture().await;
    let got = fetch(&broker, "Api", vec![json!({ "deployedOrReleased": true })], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m1", "Mobile m2"]);
    assert_eq!(got[0].description, "deployed to production");
    assert_eq!(got[1].description, "released in app-store");

    let got = fetch(&broker, "Api", vec![json!({ "deployed": true })], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m1"]);
    let got = fetch(&broker, "Api", vec![json!({ "released": true })], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m2"]);
    let got = fetch(&broker, "Api", vec![json!({ "environment": "app-store" })], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m2"]);
    let got = fetch(&broker, "Api", vec![json!({ "deployed": true, "consumer": "Web" })], None, &[], false, None)
        .await
        .unwrap_err();
    assert!(got.to_string().contains("No pacts were found"), "{got}");
}

#[tokio::test]
async fn no_selectors_means_main_branches_plus_deployed_and_released() {
    let broker = fixture().await;
    let got = fetch(&broker, "Api", vec![], None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Mobile m1", "Mobile m2", "Web 2"]);
    // m2 is both the head of Mobile's main branch and released: one entry, both reasons.
    assert_eq!(got[1].description, "latest from main branch master, released in app-store");
}

#[tokio::test]
async fn the_same_content_is_verified_once_with_merged_descriptions() {
    let broker = fixture().await;
    // Web 4 on feat-y has exactly the content of Web 2 (main's head).
    broker.publish_pact("Web", "4", Some("feat-y"), &[], pact("Web", "Api", "w2")).unwrap();
    let selectors = vec![json!({ "mainBranch": true, "consumer": "Web" }), json!({ "branch": "feat-y" })];
    let got = fetch(&broker, "Api", selectors, None, &[], false, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 4"], "named after the newest version with the content");
    assert_eq!(got[0].description, "latest from main branch main, latest from branch feat-y");
    assert!(got[0].notices[0]["text"].contains("criteria"));
}

#[tokio::test]
async fn get_for_verification_links_to_itself_and_takes_query_selectors() {
    let broker = fixture().await;
    let url = format!("{}/pacts/provider/Api/for-verification", broker.url());
    let (status, doc) = get_json(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["_links"]["self"]["href"], url);
    let query = format!("{url}?consumer_version_selectors[][tag]=prod&consumer_version_selectors[][latest]=true");
    let (status, doc) = get_json(&query).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let names: Vec<&str> = doc["_embedded"]["pacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["_links"]["self"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Pact between Mobile (m1) and Api", "Pact between Web (1) and Api"]);
    let (status, _) = get_json(&format!("{}/pacts/provider/Nobody/for-verification", broker.url())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn branch_true_selects_the_head_of_every_branch() {
    // pact_verifier's selector type can't express `branch: true`, so this goes over plain HTTP.
    let broker = fixture().await;
    let body = json!({ "consumerVersionSelectors": [{ "branch": true, "consumer": "Web" }] });
    let (status, doc) = post_json(&format!("{}/pacts/provider/Api/for-verification", broker.url()), body).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let got: Vec<(&str, &str)> = doc["_embedded"]["pacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["_links"]["self"]["name"].as_str().unwrap(), p["shortDescription"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Pact between Web (2) and Api", "latest from branch main"),
            ("Pact between Web (3) and Api", "latest from branch feat-x")
        ]
    );
}

#[tokio::test]
async fn names_with_spaces_and_branches_with_slashes_survive_the_round_trip() {
    let broker = start().await;
    broker
        .publish_pact("Web App", "1.0.0+build.1", Some("feature/login"), &[], pact("Web App", "Order API", "a"))
        .unwrap();
    let selectors = vec![json!({ "branch": "feature/login" })];
    let got = fetch(&broker, "Order API", selectors, Some("feature/login"), &[], true, None).await.unwrap();
    assert_eq!(versions(&got), vec!["Web App 1.0.0%2Bbuild.1"]);
    assert!(got[0].pending);
    publish_verification_results(
        got[0].links.clone(),
        &broker.url(),
        None,
        TestResult::Ok(vec![]),
        "2.0.0 rc1".into(),
        None,
        vec!["env/test".into()],
        Some("feature/login".into()),
        None,
        0,
    )
    .await
    .unwrap();
    let result = &broker.verification_results()[0];
    assert_eq!((result.provider.as_str(), result.provider_version.as_str()), ("Order API", "2.0.0 rc1"));
    assert_eq!(result.provider_branches, vec!["feature/login"]);
    assert_eq!(result.provider_tags, vec!["env/test"]);
    let selectors = vec![json!({ "branch": "feature/login" })];
    let got = fetch(&broker, "Order API", selectors, Some("feature/login"), &[], true, None).await.unwrap();
    assert!(!got[0].pending);
}

// ==================================================================== validation

#[tokio::test]
async fn invalid_requests_are_400_with_errors_per_field() {
    let broker = fixture().await;
    let url = format!("{}/pacts/provider/Api/for-verification", broker.url());
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "consumerVersionSelectors": [{ "matchingBranch": true }] }), "providerVersionBranch"),
        (json!({ "consumerVersionSelectors": [{ "tag": "a", "fallbackTag": "b" }] }), "fallbackTag needs latest=true"),
        (json!({ "consumerVersionSelectors": [{ "fallbackTag": "b", "latest": true }] }), "fallbackTag needs a tag"),
        (json!({ "consumerVersionSelectors": [{ "mainBranch": true, "latest": false }] }), "latest=false"),
        (json!({ "consumerVersionSelectors": [{ "mainBranch": true, "tag": "x" }] }), "mainBranch can only"),
        (json!({ "consumerVersionSelectors": [{ "tag": "x", "branch": "y" }] }), "tag and branch"),
        (json!({ "consumerVersionSelectors": [{ "deployed": true, "released": true }] }), "deployedOrReleased"),
        (json!({ "consumerVersionSelectors": [{ "branch": "x", "environment": "production" }] }), "environment field"),
        (json!({ "consumerVersionSelectors": [{ "environment": "mars" }] }), "no environment named 'mars'"),
        (json!({ "consumerVersionSelectors": [{ "tag": "x", "colour": "blue" }] }), "'colour'"),
        (json!({ "consumerVersionSelectors": [{}] }), "a selector needs one of"),
        (json!({ "consumerVersionSelectors": [{ "deployed": false }] }), "deployed can only be set to true"),
        (json!({ "consumerVersionSelectors": [{ "branch": "x", "latest": false }] }), "latest=false"),
    ];
    for (body, expected) in cases {
        let (status, response) = post_json(&url, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let messages =
            response["errors"]["consumerVersionSelectors"].as_array().unwrap_or_else(|| panic!("{response}"));
        assert!(messages.iter().any(|m| m.as_str().unwrap().contains(expected)), "{body} -> {response}");
        assert!(messages.iter().all(|m| m.as_str().unwrap().ends_with("(at index 0)")), "{response}");
    }

    let (status, response) = post_json(&url, json!({ "includeWipPactsSince": "last tuesday" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(response["errors"]["includeWipPactsSince"].is_array(), "{response}");
    let (status, response) = post_json(&url, json!({ "providerVersionBranch": "  " })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(response["errors"]["providerVersionBranch"].is_array(), "{response}");
    // An empty branch is tolerated unless it is needed for pending or WIP pacts.
    let (status, _) = post_json(&url, json!({ "providerVersionBranch": "" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post_json(&url, json!({ "providerVersionBranch": "", "includePendingStatus": true })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let indexed = json!({ "consumerVersionSelectors": [{ "latest": true }, { "fallbackTag": "x" }] });
    let (_, response) = post_json(&url, indexed).await;
    assert!(response["errors"]["consumerVersionSelectors"][0].as_str().unwrap().ends_with("(at index 1)"));

    // pact_verifier turns the 400 into a validation error naming the field.
    let error = fetch(&broker, "Api", vec![json!({ "matchingBranch": true })], None, &[], false, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("consumerVersionSelectors"), "{error}");
}

#[tokio::test]
async fn unknown_selector_keys_can_be_tolerated() {
    let broker = BrokerDouble::start(BrokerOptions::new().lenient_selectors()).await.unwrap();
    broker.publish_pact("Web", "1", None, &["prod"], pact("Web", "Api", "a")).unwrap();
    let body = json!({ "consumerVersionSelectors": [{ "tag": "prod", "colour": "blue" }] });
    let (status, _) = post_json(&format!("{}/pacts/provider/Api/for-verification", broker.url()), body).await;
    assert_eq!(status, StatusCode::OK);
}

// ==================================================================== pending and WIP

#[tokio::test]
async fn pending_follows_the_provider_branch() {
    let broker = fixture().await;
    let main = vec![json!({ "mainBranch": true, "consumer": "Web" })];
    let got = fetch(&broker, "Api", main.clone(), Some("main"), &[], true, None).await.unwrap();
    assert!(got[0].pending);
    let whens: Vec<&str> = got[0].notices.iter().map(|n| n["when"].as_str()).collect();
    assert_eq!(
        whens,
        vec![
            "before_verification",
            "before_verification",
            "after_verification:success_true_published_false",
            "after_verification:success_false_published_false",
            "after_verification:success_true_published_true",
            "after_verification:success_false_published_true",
        ]
    );

    // A success from another branch created after main doesn't count; a failure on main neither.
    broker.record_verification("Api", "p2", "Web", "2", true, Some("feat"), &[]).unwrap();
    broker.record_verification("Api", "p1", "Web", "2", false, Some("main"), &[]).unwrap();
    let got = fetch(&broker, "Api", main.clone(), Some("main"), &[], true, None).await.unwrap();
    assert!(got[0].pending);
    // ...but a brand-new branch inherits what other branches verified before it existed.
    let got = fetch(&broker, "Api", main.clone(), Some("brand-new"), &[], true, None).await.unwrap();
    assert!(!got[0].pending);

    broker.record_verification("Api", "p3", "Web", "2", true, Some("main"), &[]).unwrap();
    let got = fetch(&broker, "Api", main.clone(), Some("main"), &[], true, None).await.unwrap();
    assert!(!got[0].pending);
    assert_eq!(got[0].notices.len(), 2, "no after_verification notices once not pending");
    assert!(got[0].notices[1]["text"].contains("already been verified successfully"));
}

#[tokio::test]
async fn pending_with_tags_or_without_branch_and_tags() {
    let broker = fixture().await;
    let selectors = vec![json!({ "tag": "prod", "latest": true, "consumer": "Web" })];
    let got = fetch(&broker, "Api", selectors.clone(), None, &["dev"], true, None).await.unwrap();
    assert!(got[0].pending);
    assert!(got[0].notices[1]["text"].contains("tagged 'dev'"), "{:?}", got[0].notices);
    let got = fetch(&broker, "Api", selectors.clone(), None, &[], true, None).await.unwrap();
    assert!(got[0].pending);

    broker.record_verification("Api", "p9", "Web", "1", true, None, &["dev"]).unwrap();
    let got = fetch(&broker, "Api", selectors.clone(), None, &["dev"], true, None).await.unwrap();
    assert!(!got[0].pending);
    let got = fetch(&broker, "Api", selectors.clone(), None, &[], true, None).await.unwrap();
    assert!(!got[0].pending, "any successful verification counts without branch or tags");

    // Without includePendingStatus there is no pending flag and only the inclusion notice.
    let body = json!({ "consumerVersionSelectors": selectors, "includePendingStatus": false });
    let (_, doc) = post_json(&format!("{}/pacts/provider/Api/for-verification", broker.url()), body).await;
    let properties = &doc["_embedded"]["pacts"][0]["verificationProperties"];
    assert!(properties.get("pending").is_none(), "{properties}");
    assert_eq!(properties["notices"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn wip_pacts_are_recent_unverified_heads_that_were_not_selected() {
    let broker = start().await;
    broker.set_clock(Some(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()));
    broker.publish_pact("Web", "1", Some("main"), &[], pact("Web", "Api", "old-main")).unwrap();
    broker.publish_pact("Web", "2", Some("feat-old"), &[], pact("Web", "Api", "old-feature")).unwrap();
    broker.set_clock(Some(Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()));
    broker.publish_pact("Web", "3", Some("feat-new"), &[], pact("Web", "Api", "new-feature")).unwrap();
    broker.publish_pact("Web", "4", Some("feat-tagged"), &["beta"], pact("Web", "Api", "tagged")).unwrap();
    broker.set_clock(None);
    broker.add_version_to_branch("Api", "p1", "main");

    let main = vec![json!({ "mainBranch": true })];
    let since = Some("2024-01-01");
    let got = fetch(&broker, "Api", main.clone(), Some("main"), &[], true, since).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 1", "Web 3", "Web 4"]);
    assert_eq!(got[1].description, "latest from branch feat-new");
    assert_eq!(got[2].description, "latest from branch feat-tagged, latest with tag beta");
    assert!(got[1].pending && got[2].pending);

    let body = json!({
        "consumerVersionSelectors": main, "providerVersionBranch": "main",
        "includePendingStatus": true, "includeWipPactsSince": "2024-01-01"
    });
    let url = format!("{}/pacts/provider/Api/for-verification", broker.url());
    let (_, doc) = post_json(&url, body.clone()).await;
    let entries = doc["_embedded"]["pacts"].as_array().unwrap();
    assert!(entries[0]["verificationProperties"].get("wip").is_none());
    assert_eq!(entries[1]["verificationProperties"]["wip"], true);
    assert!(entries[1]["verificationProperties"]["notices"][0]["text"].as_str().unwrap().contains("work in progress"));

    // Without a provider branch or tags there are no WIP pacts.
    let got = fetch(&broker, "Api", vec![json!({ "mainBranch": true })], None, &[], true, since).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 1"]);

    // A result published through the WIP pact's own URL keeps it WIP...
    let wip = &got_wip(&broker).await;
    publish_verification_results(
        wip.links.clone(),
        &broker.url(),
        None,
        TestResult::Ok(vec![]),
        "p2".into(),
        None,
        vec![],
        Some("main".into()),
        None,
        0,
    )
    .await
    .unwrap();
    assert!(broker.verification_results().last().unwrap().wip);
    let got = fetch(&broker, "Api", vec![json!({ "mainBranch": true })], Some("main"), &[], true, since).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 1", "Web 3", "Web 4"]);
    // ...a normal successful verification from main ends it.
    broker.record_verification("Api", "p3", "Web", "3", true, Some("main"), &[]).unwrap();
    let got = fetch(&broker, "Api", vec![json!({ "mainBranch": true })], Some("main"), &[], true, since).await.unwrap();
    assert_eq!(versions(&got), vec!["Web 1", "Web 4"]);

    // Explicitly selected pacts are never WIP.
    let explicit = vec![json!({ "mainBranch": true }), json!({ "branch": "feat-tagged" })];
    let (_, doc) = post_json(
        &url,
        json!({
            "consumerVersionSelectors": explicit, "providerVersionBranch": "main", "includeWipPactsSince": "2024-01-01"
        }),
    )
    .await;
    let wips: Vec<&Value> = doc["_embedded"]["pacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["verificationProperties"]["wip"] == true)
        .collect();
    assert!(wips.is_empty(), "{doc}");
}

/// The WIP entry for Web 3 as the verifier sees it.
async fn got_wip(broker: &BrokerDouble) -> Got {
    let got = fetch(broker, "Api", vec![json!({ "mainBranch": true })], Some("main"), &[], true, Some("2024-01-01"))
        .await
        .unwrap();
    got.into_iter().find(|g| g.version == "3").expect("Web 3 is WIP")
}

// ==================================================================== verification results

#[tokio::test]
async fn verification_results_are_stored_with_provider_branch_and_tags() {
    let broker = BrokerDouble::start(BrokerOptions::new().with_basic_auth("ci", "s3cret")).await.unwrap();
    broker.publish_pact("Web", "1", Some("main"), &[], pact("Web", "Api", "a")).unwrap();
    let auth = Some(HttpAuth::User("ci".into(), Some("s3cret".into())));
    let fetched = fetch_pacts_dynamically_from_broker(
        &broker.url(),
        "Api".into(),
        true,
        None,
        vec![],
        Some("feat-1".into()),
        vec![],
        auth.clone(),
        0,
    )
    .await
    .unwrap();
    let (pact, _, links) = fetched.into_iter().next().unwrap().unwrap();
    let id = pact.interactions()[0].id();
    assert!(id.is_some(), "interactions carry the broker's _id");

    let response = publish_verification_results(
        links.clone(),
        &broker.url(),
        auth.clone(),
        TestResult::Ok(vec![id.clone()]),
        "1.2.3".into(),
        Some("https://ci.example/build/7".into()),
        vec!["dev".into(), "qa".into()],
        Some("feat-1".into()),
        None,
        0,
    )
    .await
    .unwrap();
    assert!(response["_links"]["self"]["href"].as_str().unwrap().starts_with(&broker.url()), "{response}");

    let results = broker.verification_results();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert!(result.success);
    assert_eq!(result.provider_version, "1.2.3");
    assert_eq!(result.provider_branches, vec!["feat-1"]);
    assert_eq!(result.provider_tags, vec!["dev", "qa"]);
    assert_eq!(result.build_url.as_deref(), Some("https://ci.example/build/7"));
    assert_eq!(result.verified_by.as_ref().unwrap()["implementation"], "Pact-Rust");
    assert_eq!(result.test_results.as_ref().unwrap()[0]["interactionId"], json!(id.unwrap()));

    // A failed run is stored as a failure.
    publish_verification_results(
        links,
        &broker.url(),
        auth,
        TestResult::Failed(vec![(None, Some("a request".into()), None)]),
        "1.2.4".into(),
        None,
        vec![],
        None,
        None,
        0,
    )
    .await
    .unwrap();
    assert!(!broker.verification_results()[1].success);

    // The result resource is served back.
    let self_href = response["_links"]["self"]["href"].as_str().unwrap();
    let got = client().get(self_href).basic_auth("ci", Some("s3cret")).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
}

#[tokio::test]
async fn verification_results_are_validated() {
    let broker = start().await;
    let published = broker.publish_pact("Web", "1", None, &[], pact("Web", "Api", "a")).unwrap();
    let url = format!("{}/verification-results", published.url);
    let (status, body) = post_json(&url, json!({ "success": "yes" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"]["success"].is_array() && body["errors"]["providerApplicationVersion"].is_array());
    let (status, body) = post_json(&url, json!({ "success": true, "providerApplicationVersion": "9" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let missing = format!("{}/pacts/provider/Api/consumer/Web/pact-version/0000/verification-results", broker.url());
    let (status, _) = post_json(&missing, json!({ "success": true, "providerApplicationVersion": "9" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ==================================================================== pacticipants, environments

#[tokio::test]
async fn pacticipants_versions_tags_and_branches() {
    let broker = start().await;
    let base = broker.url();
    let response =
        client().put(format!("{base}/pacticipants/Api")).json(&json!({ "mainBranch": "trunk" })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, api) = get_json(&format!("{base}/pacticipants/Api")).await;
    assert_eq!(api["mainBranch"], "trunk");
    assert_eq!(
        api["_links"]["pb:branch-version"]["href"],
        format!("{base}/pacticipants/Api/branches/{{branch}}/versions/{{version}}")
    );
    assert_eq!(api["_links"]["pb:version-tag"]["templated"], true);

    let put = |url: String| async move { client().put(url).json(&json!({})).send().await.unwrap().status() };
    assert_eq!(put(format!("{base}/pacticipants/Api/branches/trunk/versions/1")).await, StatusCode::CREATED);
    assert_eq!(put(format!("{base}/pacticipants/Api/branches/trunk/versions/1")).await, StatusCode::OK);
    assert_eq!(put(format!("{base}/pacticipants/Api/versions/1/tags/prod")).await, StatusCode::CREATED);
    assert_eq!(put(format!("{base}/pacticipants/Api/versions/1/tags/prod")).await, StatusCode::OK);
    let (_, version) = get_json(&format!("{base}/pacticipants/Api/versions/1")).await;
    assert_eq!(version["_embedded"]["branchVersions"][0]["name"], "trunk");
    assert_eq!(version["_embedded"]["tags"][0]["name"], "prod");
    let (_, latest) = get_json(&format!("{base}/pacticipants/Api/latest-version/prod")).await;
    assert_eq!(latest["number"], "1");
    let deleted = client().delete(format!("{base}/pacticipants/Api/versions/1/tags/prod")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, _) = get_json(&format!("{base}/pacticipants/Api/versions/2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Versions with characters that need encoding round-trip.
    assert_eq!(put(format!("{base}/pacticipants/Api/versions/1.0%2Bbuild%201/tags/x")).await, StatusCode::CREATED);
    let (status, version) = get_json(&format!("{base}/pacticipants/Api/versions/1.0%2Bbuild%201")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version["_links"]["self"]["href"], format!("{base}/pacticipants/Api/versions/1.0%2Bbuild%201"));
}

#[tokio::test]
async fn environments_deployments_and_releases() {
    let broker = start().await;
    let base = broker.url();
    broker.add_version_to_branch("Api", "1", "main");
    broker.add_version_to_branch("Api", "2", "main");
    let (status, env) =
        post_json(&format!("{base}/environments"), json!({ "name": "production", "production": true })).await;
    assert_eq!(status, StatusCode::CREATED);
    let uuid = env["uuid"].as_str().unwrap().to_string();
    let (status, _) = post_json(&format!("{base}/environments"), json!({ "name": "production" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, list) = get_json(&format!("{base}/environments")).await;
    assert_eq!(list["_links"]["pb:environments"][0]["name"], "production");

    let record = |number: &str| {
        let base = base.clone();
        let number = number.to_string();
        async move {
            let (_, version) = get_json(&format!("{base}/pacticipants/Api/versions/{number}")).await;
            let link = version["_links"]["pb:record-deployment"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["name"] == "production")
                .expect("a pb:record-deployment link for production")
                .clone();
            post_json(link["href"].as_str().unwrap(), json!({ "applicationInstance": null })).await
        }
    };
    let (status, first) = record("1").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(first["currentlyDeployed"], true);
    let (status, _) = record("2").await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, current) =
        get_json(&format!("{base}/environments/{uuid}/deployed-versions/currently-deployed?pacticipant=Api")).await;
    let deployed = current["_embedded"]["deployedVersions"].as_array().unwrap();
    assert_eq!(deployed.len(), 1, "deploying 2 replaced 1");
    assert_eq!(deployed[0]["_embedded"]["version"]["number"], "2");

    let undeploy = client()
        .patch(deployed[0]["_links"]["self"]["href"].as_str().unwrap())
        .json(&json!({ "currentlyDeployed": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(undeploy.status(), StatusCode::OK);
    let (_, current) = get_json(&format!("{base}/environments/{uuid}/deployed-versions/currently-deployed")).await;
    assert!(current["_embedded"]["deployedVersions"].as_array().unwrap().is_empty());

    let (_, version) = get_json(&format!("{base}/pacticipants/Api/versions/2")).await;
    let release = version["_links"]["pb:record-release"][0]["href"].as_str().unwrap().to_string();
    let (status, released) = post_json(&release, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(released["currentlySupported"], true);
    let (status, _) =
        post_json(&format!("{base}/pacticipants/Api/versions/9/deployed-versions/environment/{uuid}"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ==================================================================== matrix and can-i-deploy

#[tokio::test]
async fn can_i_deploy_needs_a_successful_verification_by_the_deployed_provider() {
    let broker = start().await;
    let base = broker.url();
    broker.publish_pact("Web", "1", Some("main"), &[], pact("Web", "Api", "a")).unwrap();
    broker.record_deployment("Api", "7", "production");
    let matrix = format!("{base}/matrix?q[][pacticipant]=Web&q[][version]=1&latestby=cvp&environment=production");
    let can_i_deploy = format!("{base}/can-i-deploy?pacticipant=Web&version=1&environment=production");

    for url in [&matrix, &can_i_deploy] {
        let (status, doc) = get_json(url).await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        assert_eq!(doc["summary"]["deployable"], Value::Null, "unknown while unverified: {doc}");
        assert_eq!(doc["summary"]["unknown"], 1);
        assert!(doc["summary"]["reason"].as_str().unwrap().contains("no verified pact"), "{doc}");
        assert_eq!(doc["matrix"][0]["provider"]["version"], Value::Null);
    }

    // Verified by a provider version that isn't deployed: still unknown.
    broker.record_verification("Api", "8", "Web", "1", true, Some("main"), &[]).unwrap();
    let (_, doc) = get_json(&matrix).await;
    assert_eq!(doc["summary"]["deployable"], Value::Null);

    broker.record_verification("Api", "7", "Web", "1", true, Some("main"), &[]).unwrap();
    let (_, doc) = get_json(&matrix).await;
    assert_eq!(doc["summary"]["deployable"], true, "{doc}");
    assert_eq!(doc["summary"]["success"], 1);
    assert_eq!(doc["matrix"][0]["provider"]["version"]["number"], "7");
    assert!(doc["matrix"][0]["verificationResult"]["_links"]["self"]["href"].as_str().unwrap().starts_with(&base));

    // A newer failing result by the deployed version decides (latestby=cvp).
    broker.record_verification("Api", "7", "Web", "1", false, None, &[]).unwrap();
    let (_, doc) = get_json(&can_i_deploy).await;
    assert_eq!(doc["summary"]["deployable"], false);
    assert_eq!(doc["summary"]["failed"], 1);

    // The provider side: Api 9 may not break Web 1 once Web 1 is in production.
    broker.record_deployment("Web", "1", "production");
    let (_, doc) = get_json(&format!("{base}/can-i-deploy?pacticipant=Api&version=7&environment=production")).await;
    assert_eq!(doc["summary"]["deployable"], false);
    broker.add_version_to_branch("Api", "9", "main");
    let (_, doc) = get_json(&format!("{base}/can-i-deploy?pacticipant=Api&version=9&environment=production")).await;
    assert_eq!(doc["summary"]["deployable"], Value::Null, "{doc}");
    broker.record_verification("Api", "9", "Web", "1", true, None, &[]).unwrap();
    let (_, doc) = get_json(&format!("{base}/can-i-deploy?pacticipant=Api&version=9&environment=production")).await;
    assert_eq!(doc["summary"]["deployable"], true, "{doc}");
}

#[tokio::test]
async fn matrix_targets_tags_latest_and_reports_bad_queries() {
    let broker = start().await;
    let base = broker.url();
    broker.publish_pact("Web", "1", None, &[], pact("Web", "Api", "a")).unwrap();
    broker.tag_version("Api", "5", "prod");
    broker.record_verification("Api", "5", "Web", "1", true, None, &[]).unwrap();
    broker.add_version_to_branch("Api", "6", "main");

    let (_, doc) = get_json(&format!("{base}/can-i-deploy?pacticipant=Web&version=1&to=prod")).await;
    assert_eq!(doc["summary"]["deployable"], true, "{doc}");
    // Latest Api (6) hasn't verified it.
    let (_, doc) =
        get_json(&format!("{base}/matrix?q[][pacticipant]=Web&q[][version]=1&latestby=cvp&latest=true")).await;
    assert_eq!(doc["summary"]["deployable"], Value::Null, "{doc}");
    // Two explicit versions (the CLI's cvpv form).
    let (_, doc) = get_json(&format!(
        "{base}/matrix?q[][pacticipant]=Web&q[][version]=1&q[][pacticipant]=Api&q[][version]=5&latestby=cvpv"
    ))
    .await;
    assert_eq!(doc["summary"]["deployable"], true, "{doc}");

    let (_, doc) = get_json(&format!("{base}/can-i-deploy?pacticipant=Web&version=404&environment=production")).await;
    assert_eq!(doc["errors"][0], "Environment with name 'production' does not exist");
    broker.create_environment("production", true);
    let (_, doc) = get_json(&format!("{base}/can-i-deploy?pacticipant=Web&version=404&environment=production")).await;
    assert_eq!(doc["summary"]["deployable"], false, "a version that doesn't exist: {doc}");
    let (status, doc) = get_json(&format!("{base}/matrix?q[][pacticipant]=Nobody&q[][version]=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(doc["errors"][0], "Pacticipant Nobody not found");
    let (status, _) = get_json(&format!("{base}/matrix")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

// ==================================================================== auth

#[tokio::test]
async fn basic_auth_rejects_missing_and_wrong_credentials() {
    let broker = BrokerDouble::start(BrokerOptions::new().with_basic_auth("user", "pass")).await.unwrap();
    let url = broker.url();
    let missing = client().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(missing.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let body: Value = missing.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
    let wrong = client().get(&url).basic_auth("user", Some("nope")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let bearer = client().get(&url).bearer_auth("pass").send().await.unwrap();
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    let right = client().get(&url).basic_auth("user", Some("pass")).send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    let heartbeat = client().get(format!("{url}/diagnostic/status/heartbeat")).send().await.unwrap();
    assert_eq!(heartbeat.status(), StatusCode::OK, "the heartbeat is public");

    broker.publish_pact("Web", "1", None, &[], pact("Web", "Api", "a")).unwrap();
    let wrong = Some(HttpAuth::User("user".into(), Some("nope".into())));
    let error = fetch_pacts_dynamically_from_broker(&url, "Api".into(), false, None, vec![], None, vec![], wrong, 0)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("401"), "{error}");
}

#[tokio::test]
async fn bearer_auth_rejects_wrong_tokens_and_can_be_combined_with_basic() {
    let broker = BrokerDouble::start(BrokerOptions::new().with_bearer_token("t0ken")).await.unwrap();
    let url = broker.url();
    let missing = client().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(missing.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    assert_eq!(client().get(&url).bearer_auth("wrong").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        client().get(&url).basic_auth("t0ken", Some("")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(client().get(&url).bearer_auth("t0ken").send().await.unwrap().status(), StatusCode::OK);

    broker.publish_pact("Web", "1", None, &[], pact("Web", "Api", "a")).unwrap();
    let token = Some(HttpAuth::Token("t0ken".into()));
    let fetched = fetch_pacts_dynamically_from_broker(&url, "Api".into(), false, None, vec![], None, vec![], token, 0)
        .await
        .unwrap();
    assert_eq!(fetched.len(), 1);

    let both =
        BrokerDouble::start(BrokerOptions::new().with_basic_auth("u", "p").with_bearer_token("t")).await.unwrap();
    assert_eq!(client().get(both.url()).bearer_auth("t").send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(client().get(both.url()).basic_auth("u", Some("p")).send().await.unwrap().status(), StatusCode::OK);
    let missing = client().get(both.url()).send().await.unwrap();
    assert_eq!(missing.headers().get_all("www-authenticate").iter().count(), 2);
}

// ==================================================================== faults

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_by_the_verifier() {
    let broker = fixture().await;
    broker.set_fault(Fault::server_error(503).times(2).on_path("/for-verification").on_method("POST"));
    let results = fetch_pacts_dynamically_from_broker(
        &broker.url(),
        "Api".into(),
        false,
        None,
        vec![],
        None,
        vec![selector(json!({ "mainBranch": true }))],
        None,
        3,
    )
    .await
    .unwrap();
    assert_eq!(results.len(), 2);
    let statuses: Vec<u16> = broker.requests().iter().filter(|r| r.method == "POST").map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);

    broker.clear_requests();
    broker.set_fault(Fault::rate_limited(0).on_path("/for-verification"));
    let response = client().get(format!("{}/pacts/provider/Api/for-verification", broker.url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "0");
    broker.set_fault(Fault::rate_limited(0).on_path("/for-verification"));
    let results =
        fetch_pacts_dynamically_from_broker(&broker.url(), "Api".into(), false, None, vec![], None, vec![], None, 2)
            .await
            .unwrap();
    assert!(!results.is_empty());

    // Without retries the 5xx reaches the caller.
    broker.set_fault(Fault::server_error(500).always());
    let error =
        fetch_pacts_dynamically_from_broker(&broker.url(), "Api".into(), false, None, vec![], None, vec![], None, 0)
            .await
            .unwrap_err();
    assert!(error.to_string().contains("500"), "{error}");
    broker.clear_faults();
    assert_eq!(client().get(broker.url()).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_hal_reaches_the_verifier_as_errors() {
    let broker = fixture().await;
    let url = broker.url();
    let fetch_all =
        || fetch_pacts_dynamically_from_broker(&url, "Api".into(), false, None, vec![], None, vec![], None, 0);

    broker.set_fault(Fault::missing_embedded().on_path("/for-verification").on_method("POST"));
    let error = fetch_all().await.unwrap_err().to_string();
    assert!(error.contains("No pacts were found"), "{error}");

    broker.set_fault(Fault::links_without_href().on_path("/for-verification").on_method("POST"));
    let results = fetch_all().await.unwrap();
    let error = results.into_iter().find_map(Result::err).expect("the pact links lost their hrefs").to_string();
    assert!(error.contains("no HREF") || error.contains("href"), "{error}");

    broker.set_fault(Fault::links_without_href().on_method("GET").on_path("/for-verification"));
    let error = fetch_all().await.unwrap_err().to_string();
    assert!(error.contains("no HREF"), "{error}");

    broker.set_fault(Fault::invalid_json().on_path("/for-verification"));
    let error = fetch_all().await.unwrap_err().to_string();
    assert!(error.contains("valid HAL"), "{error}");

    assert!(fetch_all().await.is_ok(), "faults are used up");
}

#[tokio::test]
async fn slow_answers_and_the_admin_endpoint() {
    let broker = start().await;
    broker.set_fault(Fault::delay(Duration::from_millis(300)));
    let started = Instant::now();
    assert_eq!(client().get(broker.url()).send().await.unwrap().status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let admin = format!("{}/_double/faults", broker.url());
    let (status, fault) = post_json(&admin, json!({ "type": "status", "status": 502, "times": 1, "path": "/" })).await;
    assert_eq!(status, StatusCode::CREATED, "{fault}");
    assert_eq!(client().get(broker.url()).send().await.unwrap().status(), StatusCode::BAD_GATEWAY);
    assert_eq!(client().get(broker.url()).send().await.unwrap().status(), StatusCode::OK);
    let (status, _) = post_json(&admin, json!({ "type": "status", "status": 500, "times": null })).await;
    assert_eq!(status, StatusCode::CREATED);
    // The control plane itself is never faulted.
    let (_, listed) = get_json(&admin).await;
    assert_eq!(listed["faults"][0]["times"], Value::Null);
    assert_eq!(client().delete(&admin).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(client().get(broker.url()).send().await.unwrap().status(), StatusCode::OK);
    let (status, _) = post_json(&admin, json!({ "type": "teapot" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

// ==================================================================== HTTPS

#[tokio::test]
async fn https_with_a_self_signed_certificate() {
    pact_runtime::install_crypto_provider();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert_pem = certified.cert.pem();
    let broker =
        BrokerDouble::start(BrokerOptions::new().with_tls(cert_pem.clone(), certified.key_pair.serialize_pem()))
            .await
            .unwrap();
    assert!(broker.url().starts_with("https://127.0.0.1:"));
    broker.publish_pact("Web", "1", None, &[], pact("Web", "Api", "a")).unwrap();

    let root = reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap();
    let trusting = reqwest::Client::builder().tls_certs_only([root]).build().unwrap();
    let index: Value = trusting.get(broker.url()).send().await.unwrap().json().await.unwrap();
    let href = index["_links"]["pb:latest-provider-pacts"]["href"].as_str().unwrap();
    assert!(href.starts_with("https://127.0.0.1:"), "{href}");
    let by_name = format!("https://localhost:{}/", broker.addr().port());
    assert_eq!(trusting.get(by_name).send().await.unwrap().status(), StatusCode::OK);

    // pact_verifier's HAL client, given the trusting HTTP client, navigates over HTTPS.
    let hal = HALClientBuilder::builder().with_url(broker.url(), None).with_http_client(trusting).build();
    let values = HashMap::from([("provider".to_string(), "Api".to_string())]);
    let latest = hal.navigate("pb:latest-provider-pacts", &values).await.unwrap();
    assert_eq!(latest.iter_links("pacts").unwrap().len(), 1);

    // A client that doesn't trust the certificate can't connect.
    let error = reqwest::Client::new().get(broker.url()).send().await.unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
}

// ==================================================================== the binary

#[tokio::test]
async fn the_binary_serves_until_killed() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_broker-double"))
        .args(["--port", "0", "--username", "u", "--password", "p"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the broker-double binary starts");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(30), line).await.expect("it prints its URL").unwrap().unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");

    let outcome = async {
        assert_eq!(client().get(&url).send().await?.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(client().get(&url).basic_auth("u", Some("p")).send().await?.status(), StatusCode::OK);
        let fault = json!({ "type": "status", "status": 503 });
        client().post(format!("{url}/_double/faults")).json(&fault).send().await?;
        let faulted = client().get(&url).basic_auth("u", Some("p")).send().await?.status();
        assert_eq!(faulted, StatusCode::SERVICE_UNAVAILABLE);
        anyhow::Ok(())
    }
    .await;
    child.kill().ok();
    child.wait().ok();
    outcome.unwrap();
}
