// `default(Source) = value`, written as `from(Source) = ..` is: one error
// that says `default` serves every source, and what serves one.
use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub stock: u32,
}

/// A product was delisted.
#[domain_event]
pub struct ProductDelisted {
    pub product_id: String,
}

/// The product's public state.
#[integration_event(version = 1, maps_from = [ProductPutOnSale, ProductDelisted])]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    #[event(default(ProductDelisted) = 0)]
    pub stock: u32,
}

fn main() {}
