use event_core::prelude::*;

#[domain_event(verison = 1)]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
