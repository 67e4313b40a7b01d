// `NotificationEvent`: the suffix is there; the rename drops `Event` (it added the suffix again).
use event_core::prelude::*;

/// Tells a customer their order left.
#[notification_event]
pub struct OrderShippedNotificationEvent {
    pub order_id: String,
}

fn main() {}
