#![deny(deprecated)]
use event_core::prelude::*;

#[domain_event(allow(generic_names))]
pub struct ProductUpdated {
    pub product_id: String,
}

fn main() {}
