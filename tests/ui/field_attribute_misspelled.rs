use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    pub customer_id: String,
    #[evnet(pii)]
    pub email: String,
}

#[integration_event(version = 1, maps_from = CustomerRegistered)]
pub struct CustomerRegisteredIntegrationEvent {
    pub customer_id: String,
}

fn main() {}
