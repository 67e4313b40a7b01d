use event_core::prelude::*;

#[domain_event(version = 3)]
pub struct OrderPlacedV2 {
    pub order_id: String,
}

fn main() {}
