// A misspelled `contracts = ".."` folder: the frozen snapshots it was meant
// to hold were not found, and the published version compiled as a draft,
// unchecked. One error at the path, with the folder beside it.
use event_core::prelude::*;

/// A shipment was dispatched, for other contexts.
#[integration_event(version = 1, contracts = "../publishd")]
pub struct ShipmentDispatchedIntegrationEvent {
    pub shipment_id: String,
}

fn main() {}
