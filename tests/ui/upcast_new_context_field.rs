// A `context` field new in version 2: the fixes offered are those a
// `context` field can take.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// Version 1.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

/// Version 2, with the shop's title given by the use case.
#[integration_event(version = 2, maps_from = OrderPlaced, upcast_from = OrderPlacedIntegrationEvent)]
pub struct OrderPlacedIntegrationEventV2 {
    pub order_id: String,
    #[event(context)]
    pub title: String,
}

fn main() {}
