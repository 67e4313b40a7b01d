use event_core::prelude::*;

#[domain_event]
pub struct OrderShipment {
    pub order_id: String,
}

fn main() {}
