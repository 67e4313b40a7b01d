use event_core::prelude::*;

#[notification_event]
pub struct OrderShippedEmail {
    pub order_id: String,
}

fn main() {}
