use event_core::prelude::*;

#[domain_event]
#[repr(C, packed)]
pub struct OrderPlaced {
    pub order_id: String,
    pub total_cents: u64,
}

fn main() {}
