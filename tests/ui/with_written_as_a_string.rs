use event_core::prelude::*;

/// The source.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    #[event(with = "crate::to_id")]
    pub id: String,
}

fn main() {}
