// A description written as thiserror's `#[error("..")]` is: the error says
// where a type name and a description go.
use event_core::prelude::*;

/// An order was placed.
#[domain_event("order {order_id} was placed")]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
