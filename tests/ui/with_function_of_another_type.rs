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

fn rank(_: &ProductPutOnSale) -> String {
    String::new()
}

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    #[event(with = rank)]
    pub rank: u64,
}

fn main() {}
