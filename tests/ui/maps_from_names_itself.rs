use event_core::prelude::*;

#[integration_event(version = 1, maps_from = Self)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
