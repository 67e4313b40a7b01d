// The suffix written first: the rename moves it to the end.
use event_core::prelude::*;

/// Tells the customer their order shipped.
#[notification_event]
pub struct NotificationOrderShipped {
    pub order_id: String,
}

fn main() {}
