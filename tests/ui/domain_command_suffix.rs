use event_core::prelude::*;

#[domain_event]
pub struct CreateOrderCommand {
    pub order_id: String,
}

fn main() {}
