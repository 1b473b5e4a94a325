//! Serves the item service on 127.0.0.1:3000.

use by_hand_user::{app, ItemStore};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app(ItemStore::default())).await
}
