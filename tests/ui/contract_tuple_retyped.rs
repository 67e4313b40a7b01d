use std::collections::HashMap;

use event_core::prelude::*;

/// A parcel was booked.
#[integration_event(version = 1, contracts = "contracts")]
pub struct ParcelBookedIntegrationEvent {
    pub parcel_id: String,
    pub weight: u32,
    pub labels: HashMap<String, u32>,
    pub size: (u32, String),
}

fn main() {}
