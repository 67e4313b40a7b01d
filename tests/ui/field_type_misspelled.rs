// A misspelled field type: one error, at the type.
use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: Strng,
    pub price_cents: u64,
}

/// A product is on sale.
#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductOnSaleIntegrationEvent {
    pub product_id: Sting,
    #[event(context)]
    pub currency: Strin,
}

fn main() {}
