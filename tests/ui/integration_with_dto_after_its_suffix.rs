// `IntegrationEventDto`: the rename drops `Dto`, and the opt-out keeps the version.
use event_core::prelude::*;

/// The observable state of a product.
#[integration_event(version = 2)]
pub struct ProductUpdatedIntegrationEventDto {
    pub product_id: String,
}

fn main() {}
