use event_core::prelude::*;

#[integration_event(version = (2))]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
