#![deny(deprecated)]
use event_core::prelude::*;

#[domain_event]
pub struct ProductUpdated {
    pub product_id: String,
}

fn main() {}
