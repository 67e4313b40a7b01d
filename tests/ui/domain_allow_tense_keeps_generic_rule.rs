#![deny(deprecated)]
use event_core::prelude::*;

#[domain_event(allow(non_past_tense))]
pub struct CustomerModified {
    pub customer_id: String,
}

fn main() {}
