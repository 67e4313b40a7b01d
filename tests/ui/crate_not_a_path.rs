use event_core::prelude::*;

#[domain_event(crate = "event core")]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
