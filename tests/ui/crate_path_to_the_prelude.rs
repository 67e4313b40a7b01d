// `crate = event_core::prelude`, a module of the crate: one error that
// names the crate (was fourteen errors naming the hidden module).
use event_core::prelude::*;

/// An order was placed.
#[domain_event(crate = event_core::prelude)]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
