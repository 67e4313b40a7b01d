// An upcast's `default` beside `from`, and on a field the older version
// has: the value would come from one and the other would never be used.
use event_core::prelude::*;

/// A parcel was shipped.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub id: String,
    pub carrier: String,
}

/// Version 2.
#[integration_event(version = 2, upcast_from = ParcelShippedIntegrationEvent)]
pub struct ParcelShippedIntegrationEventV2 {
    #[event(from = id, default = "unknown")]
    pub parcel_id: String,
    #[event(from(ParcelShippedIntegrationEvent) = carrier, default)]
    pub shipper: String,
}

/// A box was packed.
#[integration_event(version = 1)]
pub struct BoxPackedIntegrationEvent {
    pub box_id: String,
    pub weight_grams: u32,
}

/// Version 2.
#[integration_event(version = 2, upcast_from = BoxPackedIntegrationEvent)]
pub struct BoxPackedIntegrationEventV2 {
    pub box_id: String,
    #[event(default = 500)]
    pub weight_grams: u32,
}

fn main() {}
