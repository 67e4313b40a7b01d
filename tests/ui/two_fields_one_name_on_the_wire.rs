// Two fields with one name on the wire: serde wrote the name twice and no
// document decoded (it compiled, with a warning inside serde's derive).
// One error at the second field, whether the name comes from a rename or
// from `rename_all`.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub id: String,
    #[serde(rename = "id")]
    pub order_id: String,
}

/// An order was shipped.
#[domain_event]
#[serde(rename_all = "camelCase")]
pub struct OrderShipped {
    pub order_id: String,
    #[serde(rename = "orderId")]
    pub legacy_order_id: String,
}

fn main() {}
