use event_core::prelude::*;

#[domain_event]
#[allow(non_past_tense, dead_code)]
pub struct PlaceOrder {
    pub order_id: String,
}

fn main() {}
