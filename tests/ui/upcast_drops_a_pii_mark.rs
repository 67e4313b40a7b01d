// Version 2 reads a field version 1 declares personal data, without the
// mark: one error at the field (it compiled, and the contract lost `x-pii`).
use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct CustomerRegisteredIntegrationEvent {
    pub customer_id: String,
    #[event(pii)]
    pub email: String,
}

/// Version 2.
#[integration_event(version = 2, upcast_from = CustomerRegisteredIntegrationEvent)]
pub struct CustomerRegisteredIntegrationEventV2 {
    pub customer_id: String,
    pub email: String,
}

fn main() {}
