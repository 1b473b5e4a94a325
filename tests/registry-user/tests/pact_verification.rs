//! Verifies the item service against its consumer's pact, with nothing but `pact-runtime`.

use std::sync::LazyLock;

use pact_runtime::{pact_provider_test, provider_state};
use registry_user::{app, Item, ItemStore};
use serde::Deserialize;

/// The store the app under test reads and the states change.
static STORE: LazyLock<ItemStore> = LazyLock::new(ItemStore::default);

/// A placeholder in the state text: `item 7 exists` calls this with `id = 7`.
#[provider_state("item {id} exists")]
fn item_exists(id: u64) {
    STORE.insert(Item { id, name: "Teapot".into(), price: 2500 });
}

/// The V3 params of the state, deserialised into the argument.
#[derive(Deserialize)]
struct OnSale {
    id: u64,
    name: String,
    price: u64,
}

#[provider_state("an item on sale")]
async fn item_on_sale(item: OnSale) {
    STORE.insert(Item { id: item.id, name: item.name, price: item.price });
}

#[pact_provider_test(provider = "ItemService", pacts = "pacts")]
async fn item_service_honours_its_pacts() -> axum::Router {
    app(STORE.clone())
}
