// The `I` prefix of an interface's name: one error that drops it.
use event_core::prelude::*;

/// An order was submitted.
#[domain_event]
pub struct IOrderSubmitted {
    pub order_id: String,
}

fn main() {}
