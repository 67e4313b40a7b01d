// A misspelled older version: one error, at the name in `upcast_from`.
use event_core::prelude::*;

/// A product was put on sale.
#[integration_event(version = 1)]
pub struct ProductOnSaleIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
}

/// A product was put on sale, in a currency.
#[integration_event(version = 2, upcast_from = ProductOnSaleIntegrationEvnt)]
pub struct ProductOnSaleIntegrationEventV2 {
    pub product_id: String,
    pub price_cents: u64,
    #[serde(default)]
    pub currency: Option<String>,
}

fn main() {}
