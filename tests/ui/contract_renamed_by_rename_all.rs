use event_core::prelude::*;

/// A product's price.
#[integration_event(version = 1, contracts = "contracts")]
#[serde(rename_all = "camelCase")]
pub struct ProductPricedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
    pub note: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn main() {}
