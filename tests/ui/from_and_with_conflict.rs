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

fn id(e: &ProductPutOnSale) -> String {
    e.product_id.clone()
}

fn euros(e: &ProductPutOnSale) -> f64 {
    e.sale_price_cents as f64 / 100.0
}

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    #[event(from = product_id)]
    #[event(with = id)]
    pub product_id: String,
    // Only the conflict is reported, not the `u64` that `from` would give.
    #[event(from = sale_price_cents, with = euros)]
    pub price: f64,
}

fn main() {}
