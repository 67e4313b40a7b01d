use event_core::prelude::*;

#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = "ProductPutOnSale")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
