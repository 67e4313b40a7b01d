// `maps_from` names the event, not the envelope it travels in.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// An order was placed, for other contexts.
#[integration_event(version = 1, maps_from = Envelope<OrderPlaced>)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
