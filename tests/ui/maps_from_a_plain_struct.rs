use event_core::prelude::*;

pub struct Product {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = Product)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
