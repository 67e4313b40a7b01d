// `allow` where it does not go: on the struct in `#[event(..)]`, on a
// field, empty, and a rule of another macro on a notification (which has
// one rule: the one meant).
use event_core::prelude::*;

/// Places an order.
#[domain_event]
#[event(allow(non_past_tense))]
pub struct PlaceOrder {
    pub order_id: String,
}

/// An order was shipped.
#[domain_event]
pub struct OrderShipped {
    #[event(allow(non_past_tense))]
    pub order_id: String,
}

/// An order was cancelled.
#[domain_event(allow())]
pub struct OrderCancelled {
    pub order_id: String,
}

/// An email about a shipped order.
#[notification_event(allow(reserved_suffix))]
pub struct OrderShippedEmail {
    pub order_id: String,
}

/// A book was lent.
#[domain_event]
pub struct BookLent {
    #[event(context)]
    pub title: String,
}

fn main() {}
