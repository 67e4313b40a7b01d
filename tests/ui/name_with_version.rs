use event_core::prelude::*;

#[integration_event(version = 2, name = "catalog.product.updated.v2")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
