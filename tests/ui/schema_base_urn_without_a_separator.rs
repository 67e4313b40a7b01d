// A URN base without a separator at its end: the fix ends it in `:`.
use event_core::prelude::*;

/// The product's public state.
#[integration_event(version = 1, schema_base = "urn:acme:events")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
