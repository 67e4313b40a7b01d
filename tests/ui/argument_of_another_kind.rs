use event_core::prelude::*;

#[domain_event(compat = "full")]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
