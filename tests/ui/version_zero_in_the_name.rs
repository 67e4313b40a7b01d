// `V0` at the end of a name: a domain event compiled as version 0 (which
// `version = 0` refuses), and an integration event with `version = 1` was
// told to make them agree, and with `version = 0` to write `version = 1`.
// One error each, at the name.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlacedV0 {
    pub order_id: String,
}

/// An order was placed, for other contexts.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEventV0 {
    pub order_id: String,
}

fn main() {}
