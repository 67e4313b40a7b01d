use event_core::prelude::*;

#[integration_event(version = 2u8)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
