// The `DomainEvent` suffix of .NET code: one error that drops all of it.
use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlacedDomainEvent {
    pub order_id: String,
}

fn main() {}
