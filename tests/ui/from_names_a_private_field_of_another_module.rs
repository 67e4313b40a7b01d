use event_core::prelude::*;

mod catalog {
    use event_core::prelude::*;

    /// The source, whose price is private to its module.
    #[domain_event]
    pub struct ProductPutOnSale {
        pub product_id: String,
        sale_price_cents: u64,
    }
}

#[integration_event(version = 1, maps_from = catalog::ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    #[event(from = sale_price_cents)]
    pub price_cents: u64,
}

fn main() {}
