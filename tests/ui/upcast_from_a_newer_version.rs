use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct ProductListedIntegrationEvent {
    pub product_id: String,
}

#[integration_event(version = 3)]
pub struct ProductListedIntegrationEventV3 {
    pub product_id: String,
}

#[integration_event(version = 2, upcast_from = ProductListedIntegrationEventV3)]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
}

fn main() {}
