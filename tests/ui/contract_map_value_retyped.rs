use std::collections::HashMap;

use event_core::prelude::*;

/// A parcel was booked.
#[integration_event(version = 1, contracts = "contracts")]
pub struct ParcelBookedIntegrationEvent {
    pub parcel_id: String,
    pub weight: u32,
    pub labels: HashMap<String, String>,
    pub size: (u32, u32),
}

fn main() {}
