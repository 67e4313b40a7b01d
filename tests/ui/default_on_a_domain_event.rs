// `#[event(default)]` written on a domain event, as serde's default for
// documents that lack a field: the error points to `#[serde(default)]`.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    #[event(default)]
    pub gift: bool,
}

fn main() {}
