use event_core::prelude::*;

#[domain_event]
pub struct PutProductOnSale {
    pub product_id: String,
}

fn main() {}
