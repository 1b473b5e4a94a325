//! A port of pactflow's example-provider-python: a products API.
//!
//! | route | answer |
//! |---|---|
//! | `GET /products` | every product |
//! | `GET /product/{id}` (also `/products/{id}`) | the product, or `404 {}` |

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// A product as the API serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// The product's id, a string as in the original example.
    pub id: String,
    /// The product's kind, e.g. `CREDIT_CARD`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Product version, e.g. `v1`.
    pub version: String,
    /// Price in dollars.
    pub price: f64,
}

impl Product {
    /// A credit-card product with `id`, like the example's fixtures.
    pub fn credit_card(id: &str, name: &str) -> Product {
        Product { id: id.into(), kind: "CREDIT_CARD".into(), name: name.into(), version: "v1".into(), price: 10.99 }
    }
}

/// The in-memory product repository the app reads; provider states change it.
#[derive(Debug, Clone, Default)]
pub struct ProductRepository(Arc<RwLock<BTreeMap<String, Product>>>);

impl ProductRepository {
    /// Adds or replaces a product.
    pub fn insert(&self, product: Product) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(product.id.clone(), product);
    }

    /// Removes a product, if present.
    pub fn remove(&self, id: &str) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(id);
    }

    /// Empties the repository.
    pub fn clear(&self) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }

    fn all(&self) -> Vec<Product> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).values().cloned().collect()
    }

    /// The product with `id`, if present.
    pub fn get(&self, id: &str) -> Option<Product> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(id).cloned()
    }
}

/// The products API over `repository`.
pub fn app(repository: ProductRepository) -> Router {
    Router::new()
        .route("/products", get(all_products))
        .route("/product/{id}", get(one_product))
        .route("/products/{id}", get(one_product))
        .with_state(repository)
}

async fn all_products(State(repository): State<ProductRepository>) -> Json<Vec<Product>> {
    Json(repository.all())
}

async fn one_product(State(repository): State<ProductRepository>, Path(id): Path<String>) -> Response {
    match repository.get(&id) {
        Some(product) => Json(product).into_response(),
        None => (StatusCode::NOT_FOUND, Json(serde_json::json!({}))).into_response(),
    }
}

/// The topic product events are published on.
pub const PRODUCTS_TOPIC: &str = "products";

/// The event the provider publishes on [`PRODUCTS_TOPIC`] when a product is created: its
/// `type` and the product. Message pacts verify it through a `#[message]` function.
pub fn product_created_event(product: &Product) -> serde_json::Value {
    serde_json::json!({ "event": "ProductCreated", "product": product })
}
