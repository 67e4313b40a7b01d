use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct ProductListedIntegrationEvent {
    pub product_id: String,
}

#[integration_event(version = 2, upcast_from = ProductListedIntegrationEvent, upcast = "manual")]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
    pub title: String,
}

fn main() {}
