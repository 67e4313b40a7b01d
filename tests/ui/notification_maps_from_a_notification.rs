use event_core::prelude::*;

#[notification_event]
pub struct PriceDroppedNotification {
    pub product_id: String,
}

#[notification_event(maps_from = PriceDroppedNotification)]
pub struct PriceDroppedSmsNotification {
    pub product_id: String,
}

fn main() {}
