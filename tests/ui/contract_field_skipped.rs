// A frozen field kept in the struct but left out on the wire: one error at
// the field, saying it is skipped (not "removed or renamed" at the struct).
use event_core::prelude::*;

/// A product's price.
#[integration_event(version = 1, contracts = "contracts")]
pub struct ProductPricedIntegrationEvent {
    pub product_id: String,
    #[serde(skip)]
    pub price_cents: u64,
    pub note: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn main() {}
