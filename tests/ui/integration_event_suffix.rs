use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct ProductUpdatedEvent {
    pub product_id: String,
}

fn main() {}
