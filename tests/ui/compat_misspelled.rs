use event_core::prelude::*;

#[integration_event(version = 1, compat = "backwards")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
