// `#[serde(rename = "..")]` on the struct, meant as the event's type name:
// serde renames only its own name for the struct, so the type would stay
// `order.placed`. One error, with the argument to write.
use event_core::prelude::*;

/// An order was placed, for other contexts.
#[integration_event(version = 1)]
#[serde(rename = "shop.order.placed")]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {}
