use event_core::prelude::*;

#[integration_event(version = 1, allow(generic_name))]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
