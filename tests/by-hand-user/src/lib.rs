//! A tiny item service: `GET /items/{id}` answers the item as JSON, or `404` when the store has
//! no such item.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// An item as the service stores and serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The item's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its price in cents.
    pub price: u64,
}

/// The in-memory store the app reads; provider states change it.
#[derive(Debug, Clone, Default)]
pub struct ItemStore(Arc<RwLock<HashMap<u64, Item>>>);

impl ItemStore {
    /// Adds or replaces an item.
    pub fn insert(&self, item: Item) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(item.id, item);
    }

    /// The item with this id, if any.
    pub fn get(&self, id: u64) -> Option<Item> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&id).cloned()
    }
}

/// The app: `GET /items/{id}`.
pub fn app(store: ItemStore) -> Router {
    Router::new().route("/items/{id}", get(item)).with_state(store)
}

async fn item(State(store): State<ItemStore>, Path(id): Path<u64>) -> Response {
    match store.get(id) {
        Some(item) => Json(item).into_response(),
        None => (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "no such item" }))).into_response(),
    }
}
