use event_core::prelude::*;

#[integration_event]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
