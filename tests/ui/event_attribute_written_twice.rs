// The same event attribute twice: one error, at the second.
use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

fn main() {}
