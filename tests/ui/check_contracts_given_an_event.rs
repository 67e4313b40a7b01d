// `check_contracts!` given the event to check: one error saying it takes
// nothing, as it checks the whole package.
use event_core::prelude::*;

/// A parcel shipped, for other contexts.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub parcel_id: String,
}

fn main() {
    event_core::check_contracts!(ParcelShippedIntegrationEvent);
}
