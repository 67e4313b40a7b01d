use event_core::prelude::*;

#[domain_event]
pub struct AddToCart {
    pub cart_id: String,
}

fn main() {}
