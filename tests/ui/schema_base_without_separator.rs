use event_core::prelude::*;

#[integration_event(version = 1, schema_base = "https://schemas.example.com/events")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {}
