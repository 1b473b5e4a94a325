//! The products provider's CI pipeline, offline, against the Pact Broker double.
//!
//! ```text
//! cargo run -p product-provider --bin fake_ci            # verify, publish, can-i-deploy, record deployment
//! cargo run -p product-provider --bin fake_ci -- webhook # verify only the pact a webhook names (PACT_URL)
//! ```
//!
//! Each step is what a real pipeline does against PactFlow: the provider's own `cargo test`
//! runs with the conventional variables set, and the broker is asked over HTTP.

use std::process::ExitCode;

use pact_broker_double::{BrokerDouble, BrokerOptions};
use serde_json::Value;

const PROVIDER: &str = "pactflow-example-provider";
const CONSUMER: &str = "pactflow-example-consumer";
/// The pipeline's credential; a real one comes from a CI secret.
const TOKEN: &str = "fake-ci-token";
const COMMIT: &str = "5f3a9c1";
const BRANCH: &str = "main";

#[tokio::main]
async fn main() -> ExitCode {
    pact_runtime::install_crypto_provider();
    let webhook = std::env::args().nth(1).as_deref() == Some("webhook");
    let outcome = if webhook { webhook_pipeline().await } else { release_pipeline().await };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fake_ci: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Verify with publishing on, then can-i-deploy, then record the deployment.
async fn release_pipeline() -> Result<(), String> {
    let broker = start_broker().await?;
    step(1, &format!("started the Pact Broker double at {}", broker.url()));
    publish_consumer_pact(&broker)?;
    step(2, &format!("the consumer published its pact ({CONSUMER} 1.0.0 on {BRANCH})"));
    let production = broker.create_environment("production", true);

    step(3, "verifying the provider with publishing on (cargo test, GIT_COMMIT/GIT_BRANCH set)");
    run_provider_tests(&broker, &[])?;
    let results = broker.verification_results();
    let published = results
        .iter()
        .find(|result| result.provider_version == COMMIT)
        .ok_or("no verification result was published")?;
    println!(
        "    published: success={} providerApplicationVersion={} branches={:?}",
        published.success, published.provider_version, published.provider_branches
    );

    let client = Broker::new(&broker);
    let answer = client.can_i_deploy(PROVIDER, COMMIT, "production").await?;
    step(4, &format!("can-i-deploy {PROVIDER} {COMMIT} to production: {answer}"));
    if !answer.starts_with("yes") {
        return Err(format!("can-i-deploy said {answer}"));
    }

    client.record_deployment(PROVIDER, COMMIT, &production).await?;
    step(5, &format!("recorded the deployment of {PROVIDER} {COMMIT} to production"));
    let consumer_answer = client.can_i_deploy(CONSUMER, "1.0.0", "production").await?;
    println!("    and now can-i-deploy {CONSUMER} 1.0.0 to production: {consumer_answer}");
    if !consumer_answer.starts_with("yes") {
        return Err(format!("the consumer's can-i-deploy said {consumer_answer}"));
    }
    Ok(())
}

/// What a `contract_requiring_verification_published` webhook triggers: verify that one pact.
async fn webhook_pipeline() -> Result<(), String> {
    let broker = start_broker().await?;
    step(1, &format!("started the Pact Broker double at {}", broker.url()));
    let pact_url = publish_consumer_pact(&broker)?;
    step(2, &format!("the consumer published its pact; the webhook passes PACT_URL={pact_url}"));
    step(3, "verifying only that pact (cargo test with PACT_URL set), publishing on");
    run_provider_tests(&broker, &[("PACT_URL", pact_url.as_str())])?;
    let results = broker.verification_results();
    match results.as_slice() {
        [result] if result.success && result.provider_version == COMMIT => {
            step(4, &format!("the broker holds one passing result for {PROVIDER} {COMMIT}"));
            Ok(())
        }
        other => Err(format!("expected one passing verification result, the broker holds {}", other.len())),
    }
}

async fn start_broker() -> Result<BrokerDouble, String> {
    BrokerDouble::start(BrokerOptions::new().with_bearer_token(TOKEN))
        .await
        .map_err(|err| format!("cannot start the broker double: {err}"))
}

fn publish_consumer_pact(broker: &BrokerDouble) -> Result<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/pacts/pactflow-example-consumer-pactflow-example-provider.json");
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read {path}: {err}"))?;
    let pact: Value = serde_json::from_str(&text).map_err(|err| format!("{path} is not JSON: {err}"))?;
    let published = broker.publish_pact(CONSUMER, "1.0.0", Some(BRANCH), &[], pact).map_err(|err| err.to_string())?;
    Ok(published.url)
}

/// Runs the provider's own verification test as CI would, with the pipeline's variables.
fn run_provider_tests(broker: &BrokerDouble, extra: &[(&str, &str)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = std::process::Command::new(cargo);
    command
        .args(["test", "-p", "product-provider", "--test", "pact_verification", "--", "--nocapture"])
        .env("PACT_DO_NOT_TRACK", "true")
        .env("PACT_BROKER_BASE_URL", broker.url())
        .env("PACT_BROKER_TOKEN", TOKEN)
        .env("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true")
        .env("GIT_COMMIT", COMMIT)
        .env("GIT_BRANCH", BRANCH)
        .env("PACT_BUILD_URL", "https://ci.example/products/builds/42");
    for (name, value) in extra {
        command.env(name, value);
    }
    let status = command.status().map_err(|err| format!("cannot run cargo test: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the provider's verification failed ({status})"))
    }
}

fn step(number: u32, text: &str) {
    println!("\n[fake_ci] {number}. {text}");
}

/// The two broker calls a pipeline makes after verification, over HTTP.
struct Broker {
    client: reqwest::Client,
    url: String,
}

impl Broker {
    fn new(broker: &BrokerDouble) -> Broker {
        Broker { client: reqwest::Client::new(), url: broker.url() }
    }

    async fn get(&self, url: &str) -> Result<Value, String> {
        let response =
            self.client.get(url).bearer_auth(TOKEN).send().await.map_err(|err| format!("GET {url}: {err}"))?;
        response.json().await.map_err(|err| format!("GET {url}: {err}"))
    }

    /// `yes`/`no` with the broker's reason.
    async fn can_i_deploy(&self, pacticipant: &str, version: &str, environment: &str) -> Result<String, String> {
        let url =
            format!("{}/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}", self.url);
        let answer = self.get(&url).await?;
        let summary = &answer["summary"];
        let verdict = if summary["deployable"] == Value::Bool(true) { "yes" } else { "no" };
        Ok(format!("{verdict} ({})", summary["reason"].as_str().unwrap_or("no reason given")))
    }

    /// Follows the version's `pb:record-deployment` link for the environment.
    async fn record_deployment(&self, pacticipant: &str, version: &str, environment_uuid: &str) -> Result<(), String> {
        let document = self.get(&format!("{}/pacticipants/{pacticipant}/versions/{version}", self.url)).await?;
        let links = document["_links"]["pb:record-deployment"].as_array().cloned().unwrap_or_default();
        let href = links
            .iter()
            .filter_map(|link| link["href"].as_str())
            .find(|href| href.contains(environment_uuid))
            .ok_or("the version has no pb:record-deployment link for production")?;
        let response = self
            .client
            .post(href)
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({}))
            .send()
            .await
            .map_err(|err| format!("POST {href}: {err}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("recording the deployment answered {}", response.status()))
        }
    }
}
