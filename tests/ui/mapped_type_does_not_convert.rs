use event_core::prelude::*;

/// The source.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub sale_price_cents: u64,
    #[event(pii)]
    pub merchant_email: String,
    #[event(secret)]
    pub supplier_cost_cents: u64,
}

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    // No `From<u64>` for `Duration`: the mapping cannot convert the price.
    #[event(from = sale_price_cents)]
    pub on_sale_for: std::time::Duration,
}

fn main() {}
