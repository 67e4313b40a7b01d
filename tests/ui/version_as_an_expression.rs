use event_core::prelude::*;

#[integration_event(version = 1 + 1)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
