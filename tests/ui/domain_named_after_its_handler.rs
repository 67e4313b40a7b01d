// A handler's name on the fact it handles: one error that names the fact.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OnOrderPlaced {
    pub order_id: String,
}

fn main() {}
