// Two kinds of event attribute on one struct: one error, at the second.
use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
#[integration_event(version = 1)]
pub struct ProductPutOnSale {
    pub product_id: String,
}

fn main() {}
