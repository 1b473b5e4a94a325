//! A gRPC user service (`users.v1.Users/GetUser`, [proto/users.proto](../proto/users.proto)):
//! the user with the given id, or `NOT_FOUND` when the store has none; and the protobuf event
//! `users.v1.UserCreated` it publishes when a user is created.
//!
//! Its consumers' pacts (in `pacts/`) were written through the Pact protobuf plugin by the
//! consumer tests in `consumer/`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use prost::Message as _;
use tonic::transport::server::Router;
use tonic::transport::Server;
use tonic::{Request, Response, Status};

/// The generated messages, server and client of `users.v1`.
pub mod proto {
    tonic::include_proto!("users.v1");
}

pub use proto::{GetUserRequest, User, UserCreated};

/// The content type of a protobuf-encoded [`UserCreated`], as the protobuf plugin writes it in
/// pacts.
pub const USER_CREATED_CONTENT_TYPE: &str = "application/protobuf;message=.users.v1.UserCreated";

/// The in-memory user store the service reads; provider states change it.
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

/// The `users.v1.Users` service over a store.
#[derive(Debug, Clone)]
pub struct UsersService {
    store: UserStore,
    broken: bool,
}

impl UsersService {
    /// The service as it should be.
    pub fn new(store: UserStore) -> Self {
        UsersService { store, broken: false }
    }

    /// A deliberately broken service, to see verification fail: `PERMISSION_DENIED` instead of
    /// `NOT_FOUND` for a missing user, and an email that is no address for a found one.
    pub fn broken(store: UserStore) -> Self {
        UsersService { store, broken: true }
    }
}

#[tonic::async_trait]
impl proto::users_server::Users for UsersService {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let id = request.into_inner().id;
        match self.store.get(id) {
            Some(user) if self.broken => Ok(Response::new(User { email: user.name.clone(), ..user })),
            Some(user) => Ok(Response::new(user)),
            None if self.broken => Err(Status::permission_denied(format!("user {id} is not yours"))),
            None => Err(Status::not_found(format!("user {id} not found"))),
        }
    }
}

/// The gRPC server's router with the user service over `store`; serve it with
/// `serve`/`serve_with_incoming`.
pub fn app(store: UserStore) -> Router {
    Server::builder().add_service(proto::users_server::UsersServer::new(UsersService::new(store)))
}

/// [`app`] with the [broken](UsersService::broken) service.
pub fn broken_app(store: UserStore) -> Router {
    Server::builder().add_service(proto::users_server::UsersServer::new(UsersService::broken(store)))
}

/// The user the "user {id} exists" states store.
pub fn ada_lovelace(id: u64) -> User {
    User { id, name: "Ada Lovelace".to_string(), email: "ada@example.com".to_string(), admin: false }
}

/// Provider state "user {id} exists": the store has [`ada_lovelace`] under `id`.
pub fn user_exists(store: &UserStore, id: u64) {
    store.insert(ada_lovelace(id));
}

/// Provider state "user {id} doesn't exist": the store has no user `id`.
pub fn user_does_not_exist(store: &UserStore, id: u64) {
    store.remove(id);
}

/// The `UserCreated` event for `user`, protobuf-encoded: the body of the message published when
/// a user is created (content type [`USER_CREATED_CONTENT_TYPE`]).
pub fn user_created_event(user: User, created_at: &str) -> Vec<u8> {
    UserCreated { user: Some(user), created_at: created_at.to_string() }.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::users_server::Users as _;

    #[tokio::test]
    async fn finds_a_stored_user_and_not_a_missing_one() {
        let store = UserStore::default();
        user_exists(&store, 42);
        let service = UsersService::new(store.clone());
        let user = service.get_user(Request::new(GetUserRequest { id: 42 })).await.unwrap().into_inner();
        assert_eq!(user, ada_lovelace(42));

        user_does_not_exist(&store, 42);
        let status = service.get_user(Request::new(GetUserRequest { id: 42 })).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::NotFound);
    }

    #[tokio::test]
    async fn the_broken_service_denies_and_garbles() {
        let store = UserStore::default();
        user_exists(&store, 42);
        let service = UsersService::broken(store);
        let user = service.get_user(Request::new(GetUserRequest { id: 42 })).await.unwrap().into_inner();
        assert_eq!(user.email, "Ada Lovelace");
        let status = service.get_user(Request::new(GetUserRequest { id: 7 })).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
    }

    #[test]
    fn the_event_decodes_back() {
        let bytes = user_created_event(ada_lovelace(42), "2026-01-01T00:00:00Z");
        let event = UserCreated::decode(bytes.as_slice()).unwrap();
        assert_eq!(event.user, Some(ada_lovelace(42)));
        assert_eq!(event.created_at, "2026-01-01T00:00:00Z");
    }
}
