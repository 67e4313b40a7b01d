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

/// The frozen `parcel.booked` written with the types' full paths and an
/// alias: the same contract (the macro compares the types by their last
/// segments, and leaves a type it cannot see, the alias, to
/// `check_contracts!`, which compares the schemas).
mod written_otherwise {
    use event_core::prelude::*;

    /// Grams, as the frozen `u32`.
    pub type Grams = u32;

    /// A parcel was booked.
    #[integration_event(version = 1, contracts = "ui/contracts")]
    pub struct ParcelBookedIntegrationEvent {
        pub parcel_id: std::string::String,
        pub weight: Grams,
        pub labels: std::collections::HashMap<String, u32>,
        pub size: (u32, core::primitive::u32),
    }
}

#[test]
fn full_paths_and_aliases_of_the_frozen_types_keep_the_contract() {
    let document = serde_json::json!({
        "parcel_id": "p-1", "weight": 1200, "labels": { "fragile": 1 }, "size": [30, 20]
    });
    let event: written_otherwise::ParcelBookedIntegrationEvent =
        serde_json::from_value(document).unwrap();
    assert_eq!(event.weight, 1200);
}
