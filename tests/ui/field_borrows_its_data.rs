use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: &'static str,
}

fn main() {
    let _ = OrderPlaced { order_id: "o-1" };
}
