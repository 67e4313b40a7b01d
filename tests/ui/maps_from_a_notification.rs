use event_core::prelude::*;

#[notification_event]
pub struct PriceDroppedNotification {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = PriceDroppedNotification)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
