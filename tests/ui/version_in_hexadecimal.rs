use event_core::prelude::*;

#[integration_event(version = 0x10)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
