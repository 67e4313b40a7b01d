// A misspelled source type: one error, at the name in `maps_from`.
use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = ProductPutOnSal)]
pub struct ProductOnSaleIntegrationEvent {
    pub product_id: String,
}

fn main() {}
