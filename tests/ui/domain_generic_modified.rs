#![deny(deprecated)]

use event_core::prelude::*;

#[domain_event]
pub struct OrderModified {
    pub order_id: String,
}

fn main() {}
