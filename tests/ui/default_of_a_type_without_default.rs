use event_core::prelude::*;
use event_core::schemars::JsonSchema;
use event_core::serde::{Deserialize, Serialize};

/// The source.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

/// A currency, without a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "event_core::serde")]
#[schemars(crate = "event_core::schemars")]
pub struct Currency(String);

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    #[event(default)]
    pub currency: Currency,
}

fn main() {}
