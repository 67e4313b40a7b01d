// A notification dispatcher of a domain event.
use event_core::notify::{NotificationConfig, NotificationDispatcher};
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

struct Mailer;

fn main() {
    let _dispatcher = NotificationDispatcher::<OrderPlaced>::spawn(Mailer, NotificationConfig::default());
}
