// A number or `bool` default written as a string: one error at the
// literal, with the value to write (was the conversion's error listing
// `From` impls, without a fix).
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// For other contexts.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    #[event(default = "1")]
    pub lines: u32,
    #[event(default = "true")]
    pub open: Option<bool>,
    #[event(default = "EUR")]
    pub currency: String,
}

fn main() {}
