use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    pub customer_id: String,
    #[pii]
    pub email: String,
}

#[integration_event(version = 1, maps_from = CustomerRegistered)]
pub struct CustomerRegisteredIntegrationEvent {
    pub customer_id: String,
    #[event(pii)]
    #[from = email]
    pub contact: String,
}

fn main() {}
