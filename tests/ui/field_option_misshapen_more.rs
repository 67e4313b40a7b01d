// Field options written as a string, with two sources in one `from(..)`,
// and `from` given a field's position.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    pub total_cents: u64,
}

/// An order was cancelled.
#[domain_event]
pub struct OrderCancelled {
    pub order_id: String,
    pub total_cents: u64,
}

/// Sent to the customer.
#[notification_event(maps_from = [OrderPlaced, OrderCancelled])]
pub struct OrderChangedNotification {
    #[event("pii")]
    pub order_id: String,
    #[event(from(OrderPlaced, OrderCancelled) = total_cents)]
    pub amount_cents: u64,
}

/// An order was placed, for other contexts.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    #[event(from = 1)]
    pub amount_cents: u64,
}

fn main() {}
