use event_core::prelude::*;

#[integration_event(version = 2)]
pub struct ProductUpdatedIntegrationEventV1 {
    pub product_id: String,
}

// The opt-out of the suffix keeps the version rule.
#[integration_event(version = 2, allow(missing_suffix))]
pub struct ProductStateV3 {
    pub product_id: String,
}

fn main() {}
