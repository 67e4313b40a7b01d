use event_core::prelude::*;

#[integration_event(version = 4294967296)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
