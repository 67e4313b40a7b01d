//! A frozen contract accepts an added optional field: this compiles against
//! the snapshot `tests/ui/contracts/product.priced.v1.json`, which the
//! compile-fail cases break in every other way.

use event_core::prelude::*;

/// A product's price, with a field added after it was frozen.
#[integration_event(version = 1, contracts = "ui/contracts")]
#[derive(Default)]
pub struct ProductPricedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
    pub note: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// New since the freeze: optional, so old documents still read.
    pub discount_cents: Option<u64>,
}

#[test]
fn an_added_optional_field_keeps_the_contract() {
    let old_document = serde_json::json!({ "product_id": "p-1", "price_cents": 100 });
    let event: ProductPricedIntegrationEvent = serde_json::from_value(old_document).unwrap();
    assert_eq!(event.discount_cents, None);
    let registered =
        event_core::registry::find(EventKind::Integration, "product.priced", 1).unwrap();
    let contract = registered.contract.unwrap();
    assert!(
        contract
            .file
            .ends_with("tests/ui/contracts/product.priced.v1.json"),
        "{}",
        contract.file
    );
}
