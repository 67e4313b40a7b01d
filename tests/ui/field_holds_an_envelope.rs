// A field holding another message's envelope: one error at the type (was
// a missing-schema error with a list of 133 types, and the held domain
// event's error).
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// An order was placed, for other contexts.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    pub original: Envelope<OrderPlaced>,
}

fn main() {}
