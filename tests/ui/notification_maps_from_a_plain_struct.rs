use event_core::prelude::*;

pub struct Order {
    pub order_id: String,
}

#[notification_event(maps_from = Order)]
pub struct OrderShippedNotification {
    pub order_id: String,
}

fn main() {}
