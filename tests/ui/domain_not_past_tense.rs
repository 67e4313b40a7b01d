use event_core::prelude::*;

#[domain_event]
pub struct PlaceOrder {
    pub order_id: String,
}

fn main() {}
