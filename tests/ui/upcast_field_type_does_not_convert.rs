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
    #[serde(default)]
    pub rating: u32,
}

fn main() {}
