use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct ProductListedIntegrationEvent {
    pub product_id: String,
}

/// Another type.
#[integration_event(version = 1)]
pub struct CartAbandonedIntegrationEvent {
    pub product_id: String,
}

#[integration_event(version = 2, upcast_from = CartAbandonedIntegrationEvent)]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
}

fn main() {}
