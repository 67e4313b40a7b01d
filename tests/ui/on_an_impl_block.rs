use event_core::prelude::*;

pub struct OrderPlaced {
    pub order_id: String,
}

#[domain_event]
impl OrderPlaced {}

fn main() {}
