// The kind's suffix written twice would be in the published type name.
use event_core::prelude::*;

/// An order was placed.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEventIntegrationEvent {
    pub order_id: String,
}

/// A welcome email.
#[notification_event]
pub struct WelcomeEmailNotificationNotification {
    pub email: String,
}

fn main() {}
