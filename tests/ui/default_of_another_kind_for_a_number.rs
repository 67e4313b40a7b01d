// A `bool` and a `char` given as the default of number fields: `Into` would
// make them `0` and `120`.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// An order was placed, for other contexts.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    #[event(default = false)]
    pub gift_wraps: u32,
    #[event(default = 'x')]
    pub priority: Option<u8>,
}

fn main() {}
