use event_core::prelude::*;

/// The source.
#[domain_event]
pub struct CustomerRegistered {
    pub customer_id: String,
    #[event(pii)]
    pub email: String,
}

#[integration_event(version = 1, maps_from = CustomerRegistered)]
pub struct CustomerRegisteredIntegrationEvent {
    pub customer_id: String,
    #[event(pii)]
    pub email: String,
    #[event(default("EUR"))]
    pub currency: String,
}

fn main() {}
