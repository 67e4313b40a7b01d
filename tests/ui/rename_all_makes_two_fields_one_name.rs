// Two fields that `rename_all` gives one name on the wire: one error, and
// no warning from the code derived for the struct.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
#[serde(rename_all = "camelCase")]
#[allow(non_snake_case)]
pub struct OrderPlaced {
    pub order_id: String,
    pub orderId: String,
}

fn main() {}
