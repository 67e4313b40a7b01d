use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct ProductUpdatedIntegrationEvent {
    #[event(from = id)]
    pub product_id: String,
}

fn main() {}
