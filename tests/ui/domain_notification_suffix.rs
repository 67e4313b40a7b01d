use event_core::prelude::*;

#[domain_event]
pub struct OrderShippedNotification {
    pub order_id: String,
}

fn main() {}
