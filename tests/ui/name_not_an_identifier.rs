use event_core::prelude::*;

#[domain_event(name = "order placed/€")]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
