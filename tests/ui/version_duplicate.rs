use event_core::prelude::*;

#[integration_event(version = 1, version = 2)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
