//! A port of pact-python's Flask example provider: `GET /users/{id}` answers the user as JSON,
//! or `404` when the store has no such user.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// A user as the service stores and serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: u64,
    /// Full name.
    pub name: String,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS`.
    pub created_on: String,
    /// Last seen address.
    pub ip_address: String,
    /// Hobbies, in the user's order.
    pub hobbies: Vec<String>,
    /// Whether the user is an administrator.
    pub admin: bool,
}

/// The in-memory user store the app reads; provider states change it.
#[derive(Debug, Clone, Default)]
pub struct UserStore(Arc<RwLock<HashMap<u64, User>>>);

impl UserStore {
    /// Adds or replaces a user.
    pub fn insert(&self, user: User) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(user.id, user);
    }

    /// Removes a user, if present.
    pub fn remove(&self, id: u64) {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&id);
    }

    /// Looks a user up.
    pub fn get(&self, id: u64) -> Option<User> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&id).cloned()
    }
}

/// The user service's routes over `store`.
pub fn app(store: UserStore) -> Router {
    Router::new().route("/users/{id}", get(get_user)).with_state(store)
}

async fn get_user(State(store): State<UserStore>, Path(id): Path<u64>) -> Response {
    match store.get(id) {
        Some(user) => Json(user).into_response(),
        None => (StatusCode::NOT_FOUND, Json(serde_json::json!({ "detail": "User not found" }))).into_response(),
    }
}

/// The user the "user 123 exists" state stores, as in the original example.
pub fn verna_hampton(id: u64) -> User {
    User {
        id,
        name: "Verna Hampton".to_string(),
        created_on: "2016-12-15T20:16:01".to_string(),
        ip_address: "10.1.2.3".to_string(),
        hobbies: vec!["hiking".to_string(), "swimming".to_string()],
        admin: false,
    }
}
