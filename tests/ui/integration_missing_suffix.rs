use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct ProductUpdated {
    pub product_id: String,
}

fn main() {}
