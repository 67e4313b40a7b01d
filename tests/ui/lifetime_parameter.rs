// A lifetime on an event and the field that borrows with it are one mistake:
// one error, at the lifetime.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced<'a> {
    pub order_id: &'a str,
    pub note: String,
}

fn main() {}
