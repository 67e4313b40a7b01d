use event_core::prelude::*;

#[integration_event(version = v2)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
