use event_core::prelude::*;

/// x
#[integration_event(version = -1)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
