// A required field of a frozen contract made optional: one error at its
// type (was a second one, at the same field, saying it went the other way).
use event_core::prelude::*;

/// A product's price.
#[integration_event(version = 1, contracts = "contracts")]
pub struct ProductPricedIntegrationEvent {
    pub product_id: String,
    pub price_cents: Option<u64>,
    pub note: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn main() {}
