//! Verifies the products API. Offline it reads `pacts/`; in CI, the broker variables
//! (`PACT_BROKER_BASE_URL`, `PACT_BROKER_TOKEN`, `GIT_COMMIT`, `GIT_BRANCH`,
//! `PACT_BROKER_PUBLISH_VERIFICATION_RESULTS`) or a webhook's `PACT_URL` take over.
//!
//! `pacts/` also holds a pact of `pactflow-example-events-consumer` that mixes an HTTP
//! interaction with a message, "a product created event" on the products topic: the same test
//! verifies both, the message through the `#[message]` function below.

use std::sync::LazyLock;

use pact_runtime::{message, pact_provider_test, provider_state, Message};
use product_provider::{app, product_created_event, Product, ProductRepository, PRODUCTS_TOPIC};

static PRODUCTS: LazyLock<ProductRepository> = LazyLock::new(ProductRepository::default);

#[provider_state("products exist")]
fn products_exist() {
    PRODUCTS.clear();
    PRODUCTS.insert(Product::credit_card("09", "Gem Visa"));
    PRODUCTS.insert(Product::credit_card("10", "28 Degrees"));
}

#[provider_state("a product with ID {id} exists")]
fn a_product_exists(id: String) {
    PRODUCTS.insert(Product::credit_card(&id, "28 Degrees"));
}

#[provider_state("a product with ID {id} does not exist")]
fn a_product_does_not_exist(id: String) {
    PRODUCTS.remove(&id);
}

/// The event the provider publishes when the product the state created is saved.
#[message("a product created event")]
fn a_product_created_event() -> Result<Message, String> {
    let product = PRODUCTS.get("10").ok_or("product 10 was not set up")?;
    Ok(Message::json(product_created_event(&product)).with_metadata("topic", PRODUCTS_TOPIC))
}

#[pact_provider_test(
    provider = "pactflow-example-provider",
    pacts = "pacts",
    consumer_version_selectors = r#"[{"mainBranch": true}, {"deployedOrReleased": true}]"#,
    enable_pending = true
)]
async fn products_api_honours_its_pacts() -> axum::Router {
    app(PRODUCTS.clone())
}
