use event_core::prelude::*;

#[integration_event(version = 2, upcast_from = OrderPlacedIntegrationEvent)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
