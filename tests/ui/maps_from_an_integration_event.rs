use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct PriceChangedIntegrationEvent {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = PriceChangedIntegrationEvent)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
