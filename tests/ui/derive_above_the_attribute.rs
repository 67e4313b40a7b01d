use event_core::prelude::*;

#[derive(Debug)]
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
