use event_core::prelude::*;

#[domain_event]
pub struct ProductUpdatedIntegrationEventV2 {
    pub product_id: String,
}

fn main() {}
