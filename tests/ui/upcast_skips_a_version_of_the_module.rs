// An upcast past the version just before it, declared in the same module:
// one error at `upcast_from` (it compiled, and version-2 envelopes then
// failed to decode as version 3). Across modules,
// `registry::check_upcasts()` reports it.
use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct ProductListedIntegrationEvent {
    pub product_id: String,
}

/// Version 2.
#[integration_event(version = 2, upcast_from = ProductListedIntegrationEvent)]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
    pub title: Option<String>,
}

/// Version 3, skipping 2.
#[integration_event(version = 3, upcast_from = ProductListedIntegrationEvent)]
pub struct ProductListedIntegrationEventV3 {
    pub product_id: String,
    pub price: Option<u64>,
}

/// A chain that is right.
#[integration_event(version = 1)]
pub struct StockCountedIntegrationEvent {
    pub sku: String,
}

/// Version 2.
#[integration_event(version = 2, upcast_from = StockCountedIntegrationEvent)]
pub struct StockCountedIntegrationEventV2 {
    pub sku: String,
    pub count: Option<u32>,
}

/// Version 4 from 2, no 3 declared: fine.
#[integration_event(version = 4, upcast_from = StockCountedIntegrationEventV2)]
pub struct StockCountedIntegrationEventV4 {
    pub sku: String,
    pub count: Option<u32>,
}

fn main() {}
