// `from = id` on a version that maps from a domain event and upcasts from
// an older version, meant for the older one: the error names the form that
// reads the older version's field.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// Version 1.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub id: String,
}

/// Version 2 renames `id` to `order_id`, and maps from the domain event.
#[integration_event(version = 2, maps_from = OrderPlaced, upcast_from = OrderPlacedIntegrationEvent)]
pub struct OrderPlacedIntegrationEventV2 {
    #[event(from = id)]
    pub order_id: String,
}

fn main() {}
