// An old version marked `#[deprecated]` keeps compiling, mapping and
// upcasting without warnings from the generated code: the one warning left,
// denied here, is schemars' derive at the struct's name.
#![deny(deprecated)]

use event_core::prelude::*;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub id: String,
}

/// Version 1, superseded.
#[deprecated(note = "publish version 2")]
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub id: String,
}

/// Version 2.
#[integration_event(version = 2, upcast_from = OrderPlacedIntegrationEvent, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEventV2 {
    pub id: String,
    #[event(default)]
    pub note: Option<String>,
}

fn main() {}
