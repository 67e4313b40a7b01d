use event_core::prelude::*;

#[domain_event(allow(non-past-tense))]
pub struct PlaceOrder {
    pub order_id: String,
}

fn main() {}
