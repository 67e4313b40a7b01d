// A participle spelled as a regular verb's: one error that spells it right.
use event_core::prelude::*;

/// An order was paid for.
#[domain_event]
pub struct OrderPayed {
    pub order_id: String,
}

fn main() {}
