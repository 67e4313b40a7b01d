use event_core::prelude::*;

/// The sources.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub sale_price_cents: u64,
}

#[domain_event]
pub struct ProductRestocked {
    pub product_id: String,
    pub sale_price_cents: u64,
}

#[integration_event(version = 1, maps_from = (ProductPutOnSale, ProductRestocked))]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
