use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct OrderPlacedIntergrationEvent {
    pub order_id: String,
}

// The suffix's first word cut short: `OrderShippedIntegrationEvent`.
#[integration_event(version = 1)]
pub struct OrderShippedIntEvent {
    pub order_id: String,
}

fn main() {}
