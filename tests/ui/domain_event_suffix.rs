use event_core::prelude::*;

#[domain_event]
pub struct OrderPlacedEvent {
    pub order_id: String,
}

fn main() {}
