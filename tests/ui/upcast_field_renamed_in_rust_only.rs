// Version 2 renames a field in Rust and keeps its wire name with
// `serde(rename)`: the error points to the older field of that name.
use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub id: String,
}

/// Version 2 renames the Rust field only; the wire name stays `id`.
#[integration_event(version = 2, upcast_from = OrderPlacedIntegrationEvent)]
pub struct OrderPlacedIntegrationEventV2 {
    #[serde(rename = "id")]
    pub order_id: String,
    pub note: Option<String>,
}

fn main() {}
