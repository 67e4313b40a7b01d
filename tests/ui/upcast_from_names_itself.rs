use event_core::prelude::*;

#[integration_event(version = 2, upcast_from = OrderPlacedIntegrationEvent)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

// With the version in the name, the example names the version before it.
#[integration_event(version = 2, upcast_from = Self)]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
}

fn main() {}
