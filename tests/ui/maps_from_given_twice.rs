use event_core::prelude::*;

/// The source.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = ProductPutOnSale, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
