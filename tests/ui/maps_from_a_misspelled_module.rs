// A misspelled module in the source path: one error, at the module.
use event_core::prelude::*;

mod catalog {
    use event_core::prelude::*;

    /// A product was put on sale.
    #[domain_event]
    pub struct ProductPutOnSale {
        pub product_id: String,
    }
}

/// A product is on sale.
#[integration_event(version = 1, maps_from = catalg::ProductPutOnSale)]
pub struct ProductOnSaleIntegrationEvent {
    pub product_id: String,
}

fn main() {}
