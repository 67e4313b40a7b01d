use event_core::prelude::*;

#[integration_event(version = 2)]
pub struct ProductUpdatedV2 {
    pub product_id: String,
}

fn main() {}
