// A field whose type lacks `Serialize`: one error, at the field, in
// serde's words.
use event_core::prelude::*;

/// Everything an event's field needs but writing.
#[derive(Debug, Clone, PartialEq, event_core::serde::Deserialize, event_core::schemars::JsonSchema)]
#[serde(crate = "event_core::serde")]
#[schemars(crate = "event_core::schemars")]
pub struct Money {
    pub cents: u64,
}

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    pub total: Money,
}

fn main() {}
