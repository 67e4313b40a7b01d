#![deny(deprecated)]
use event_core::prelude::*;

#[domain_event]
pub struct OrderChanged {
    pub order_id: String,
}

fn main() {}
