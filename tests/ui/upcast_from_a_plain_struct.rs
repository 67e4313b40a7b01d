use event_core::prelude::*;

/// Version 1, but not declared as an event.
#[derive(Debug, Clone)]
pub struct ProductListed {
    pub product_id: String,
}

#[integration_event(version = 2, upcast_from = ProductListed)]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
}

fn main() {}
