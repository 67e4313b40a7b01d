// A field whose type lacks `JsonSchema`: one error, at the field, naming the
// trait by its public path.
use event_core::prelude::*;

/// Everything an event's field needs but a JSON Schema.
#[derive(Debug, Clone, PartialEq, event_core::serde::Serialize, event_core::serde::Deserialize)]
#[serde(crate = "event_core::serde")]
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
