use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

#[integration_event(version = 1, name = "product.updated")]
pub struct ProductChangedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
