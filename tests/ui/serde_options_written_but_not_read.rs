// Field options of serde that write what the event cannot read back: one
// error at each key (each compiled, and every reader of the contract, the
// event itself included, failed on the documents).
use event_core::prelude::*;

/// A price was set.
#[integration_event(version = 1)]
pub struct PriceSetIntegrationEvent {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub product_id: String,
    #[serde(rename(serialize = "priceCents"))]
    pub price_cents: u64,
    #[serde(skip_serializing)]
    pub cost_cents: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(rename(serialize = "w", deserialize = "w"))]
    pub weight: u32,
}

/// A price was set, read under another name.
#[integration_event(version = 1)]
pub struct PriceReadIntegrationEvent {
    #[serde(rename(deserialize = "priceCents"))]
    pub price_cents: u64,
}

fn main() {}
