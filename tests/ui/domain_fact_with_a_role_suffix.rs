// A fact followed by what handles or carries it: one error that keeps the fact.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlacedEventHandler {
    pub order_id: String,
}

fn main() {}
