// Container options of serde that would change what the event is on the
// wire: one error at each key (both compiled: `transparent` printed the
// personal field's value where the event's data is redacted, and `tag`
// wrote the Rust struct's name into the data, outside the contract).
use event_core::prelude::*;

/// An email address was verified.
#[domain_event]
#[serde(transparent)]
pub struct EmailVerified {
    #[event(pii)]
    pub email: String,
}

/// An order was placed.
#[integration_event(version = 1)]
#[serde(tag = "type", rename_all = "camelCase")]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
