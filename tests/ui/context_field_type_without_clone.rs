use event_core::prelude::*;
use event_core::schemars::JsonSchema;
use event_core::serde::{Deserialize, Serialize};

/// The source.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

/// A title without `Clone` or `PartialEq`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "event_core::serde")]
#[schemars(crate = "event_core::schemars")]
pub struct Title(String);

// Reported once per missing trait at the field, as the plain derives report
// it, not again by the generated context struct.
#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    #[event(context)]
    pub title: Title,
}

fn main() {}
