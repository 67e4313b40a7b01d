use event_core::prelude::*;

#[integration_event(verison = 2)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
