#![deny(deprecated)]

use event_core::prelude::*;

#[domain_event]
pub struct PaymentProcessed {
    pub payment_id: String,
}

fn main() {}
