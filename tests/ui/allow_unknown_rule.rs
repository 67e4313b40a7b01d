use event_core::prelude::*;

#[domain_event(allow(shouting))]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
