use event_core::prelude::*;

/// x
#[domain_event(allow)]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
