//! Runs the user service on `127.0.0.1:8080` (or `PORT`), with user 123 in the store.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let store = user_provider::UserStore::default();
    store.insert(user_provider::verna_hampton(123));
    let port = std::env::var("PORT").ok().and_then(|port| port.parse().ok()).unwrap_or(8080u16);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("user service on http://{}", listener.local_addr()?);
    axum::serve(listener, user_provider::app(store)).await
}
