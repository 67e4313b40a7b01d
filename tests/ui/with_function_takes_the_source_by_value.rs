// A `with` function that takes the source by value: one error at the
// function with both types (was rustc's suggestion to clone an argument
// the user never wrote).
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    pub lines: Vec<u64>,
}

fn total(order: OrderPlaced) -> u64 {
    order.lines.iter().sum()
}

/// An order was placed, for other contexts.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    #[event(with = total)]
    pub total_cents: u64,
}

fn main() {}
