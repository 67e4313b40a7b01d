use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct ProductListedIntegrationEvent {
    pub product_id: String,
    pub rating: u64,
}

#[integration_event(version = 2, upcast_from = ProductListedIntegrationEvent)]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
    // No `From<u64>` for `Duration`: the upcast cannot convert the rating.
    #[serde(default)]
    pub rating: std::time::Duration,
}

fn main() {}
