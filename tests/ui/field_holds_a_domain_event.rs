// An integration event or a notification that holds a domain event, even
// inside a collection: one error at each such type (it compiled, and the
// domain event's `secret` field went out on the wire).
use event_core::prelude::*;

/// A customer registered.
#[domain_event]
pub struct CustomerRegistered {
    pub customer_id: String,
    #[event(secret)]
    pub password_hash: String,
}

/// A customer joined.
#[integration_event(version = 1)]
pub struct CustomerJoinedIntegrationEvent {
    pub customer: CustomerRegistered,
}

/// Customers joined, published as a batch: an integration event may hold
/// another one.
#[integration_event(version = 1)]
pub struct CustomersJoinedIntegrationEvent {
    pub joined: Vec<CustomerJoinedIntegrationEvent>,
    pub registrations: Vec<CustomerRegistered>,
}

/// Welcomes a customer.
#[notification_event]
pub struct CustomerWelcomeNotification {
    pub customer: Option<CustomerRegistered>,
}

fn main() {}
