// `from = type` for a source field `r#type`: one error that writes it raw.
use event_core::prelude::*;

/// A product was classified.
#[domain_event]
pub struct ProductClassified {
    pub r#type: String,
}

/// The classification, for other contexts.
#[integration_event(version = 1, maps_from = ProductClassified)]
pub struct ProductClassifiedIntegrationEvent {
    #[event(from = type)]
    pub kind: String,
}

fn main() {}
