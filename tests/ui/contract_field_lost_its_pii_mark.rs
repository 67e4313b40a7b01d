// A frozen field that was personal data lost its `pii` mark: it compiled,
// and the event's redacted JSON then showed the address in clear. One error
// at the field.
use event_core::prelude::*;

/// A customer joined, for other contexts.
#[integration_event(version = 1, contracts = "contracts")]
pub struct CustomerJoinedIntegrationEvent {
    pub customer_id: String,
    pub email: String,
}

fn main() {}
