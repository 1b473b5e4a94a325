//! The consumers' Pact tests: each builds its interactions through the Pact protobuf plugin,
//! exercises the consumer code against them, and pact_consumer then writes the pact into
//! ../pacts (see ../README.md for how to run them).

use std::path::Path;

use grpc_provider_consumer::proto::users_client::UsersClient;
use grpc_provider_consumer::{display_name, welcome_text};
use pact_consumer::mock_server::StartMockServerAsync;
use pact_consumer::prelude::*;
use serde_json::json;

/// Where the pacts go: the provider example's pacts/.
const PACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../pacts");

fn users_proto() -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../proto/users.proto"))
        .canonicalize()
        .expect("../proto/users.proto")
        .to_string_lossy()
        .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn user_web_app_gets_users() {
    let proto = users_proto();
    let missing_proto = proto.clone();
    let mut pact = PactBuilderAsync::new_v4("UserWebApp", "UserService");
    let mock_server = pact
        .using_plugin("protobuf", None)
        .await
        .output_dir(PACTS)
        .synchronous_message_interaction("a request for user 42", |mut i| async move {
            i.given("user 42 exists");
            i.contents_from(json!({
                "pact:proto": proto,
                "pact:content-type": "application/protobuf",
                "pact:proto-service": "Users/GetUser",
                "request": { "id": "42" },
                "response": {
                    "id": "matching(integer, 42)",
                    "name": "matching(type, 'Ada Lovelace')",
                    "email": "matching(regex, '^[^@\\s]+@[^@\\s]+$', 'ada@example.com')",
                    "admin": "matching(boolean, false)"
                }
            }))
            .await;
            i
        })
        .await
        .synchronous_message_interaction("a request for user 7", |mut i| async move {
            i.given("user 7 doesn't exist");
            // The status is a plain value, not a matcher: the plugin (0.7.1) verifies a matcher on
            // grpc-status against the numeric code, so `matching(equalTo, 'NOT_FOUND')` would fail
            // against every server; a plain value is compared as a status code.
            i.contents_from(json!({
                "pact:proto": missing_proto,
                "pact:content-type": "application/protobuf",
                "pact:proto-service": "Users/GetUser",
                "request": { "id": "7" },
                "responseMetadata": {
                    "grpc-status": "NOT_FOUND",
                    "grpc-message": "matching(type, 'user 7 not found')"
                }
            }))
            .await;
            i
        })
        .await
        .start_mock_server_async(Some("protobuf/transport/grpc"), None)
        .await;

    let mut client = UsersClient::connect(mock_server.url().to_string()).await.expect("connect to the mock server");
    assert_eq!(display_name(&mut client, 42).await.unwrap().as_deref(), Some("Ada Lovelace <ada@example.com>"));
    assert_eq!(display_name(&mut client, 7).await.unwrap(), None);
    // Dropping the mock server checks that every interaction was exercised, then writes the pact.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn user_events_consumer_welcomes_new_users() {
    let proto = users_proto();
    let mut pact = PactBuilderAsync::new_v4("UserEventsConsumer", "UserService");
    pact.using_plugin("protobuf", None)
        .await
        .output_dir(PACTS)
        .message_interaction("a UserCreated event for user 42", |mut i| async move {
            i.given("user 42 exists");
            i.contents_from(json!({
                "pact:proto": proto,
                "pact:message-type": "UserCreated",
                "pact:content-type": "application/protobuf",
                "user": {
                    "id": "matching(integer, 42)",
                    "name": "matching(type, 'Ada Lovelace')",
                    "email": "matching(regex, '^[^@\\s]+@[^@\\s]+$', 'ada@example.com')"
                },
                "created_at": "matching(regex, '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$', '2026-01-01T00:00:00Z')"
            }))
            .await;
            i
        })
        .await;

    let mut seen = 0;
    for message in pact.messages() {
        let bytes = message.contents.contents.value().expect("the message has contents");
        assert_eq!(welcome_text(&bytes).unwrap(), "Welcome, Ada Lovelace (user 42, since 2026-01-01T00:00:00Z)");
        seen += 1;
    }
    assert_eq!(seen, 1);
    // Dropping the iterator wrote the pact.
}
