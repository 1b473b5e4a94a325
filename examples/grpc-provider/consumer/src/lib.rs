//! Two consumers of the gRPC provider example's user service:
//!
//! - the web app `UserWebApp`, which shows users it gets with `users.v1.Users/GetUser`
//!   ([`display_name`]);
//! - `UserEventsConsumer`, which greets new users when it receives a protobuf
//!   `users.v1.UserCreated` event ([`welcome_text`]).
//!
//! Their Pact tests (tests/) write the pacts in ../pacts through the Pact protobuf plugin.

use prost::Message as _;
use tonic::transport::Channel;
use tonic::Code;

/// The consumer's generated client and messages of `users.v1`.
pub mod proto {
    tonic::include_proto!("users.v1");
}

use proto::users_client::UsersClient;

/// What the web app shows for user `id`: `Some("name <email>")`, or `None` when the service has
/// no such user; any other gRPC error is returned.
pub async fn display_name(client: &mut UsersClient<Channel>, id: u64) -> Result<Option<String>, tonic::Status> {
    match client.get_user(proto::GetUserRequest { id }).await {
        Ok(response) => {
            let user = response.into_inner();
            Ok(Some(format!("{} <{}>", user.name, user.email)))
        }
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(status),
    }
}

/// The welcome text for a protobuf-encoded `UserCreated` event.
pub fn welcome_text(event: &[u8]) -> Result<String, String> {
    let event = proto::UserCreated::decode(event).map_err(|err| format!("not a UserCreated event: {err}"))?;
    let user = event.user.ok_or("a UserCreated event without a user")?;
    Ok(format!("Welcome, {} (user {}, since {})", user.name, user.id, event.created_at))
}
