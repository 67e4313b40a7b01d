use event_core::prelude::*;

#[domain_event]
pub struct OrderPlacedEventV2 {
    pub order_id: String,
}

fn main() {}
