use event_core::prelude::*;

/// x
#[integration_event(version = 1, name = "")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
