// A field written in every document and never read back.
use event_core::prelude::*;

/// A parcel was weighed.
#[domain_event]
pub struct ParcelWeighed {
    pub parcel_id: String,
    #[serde(skip_deserializing)]
    pub carrier: String,
}

fn main() {
    let _ = ParcelWeighed::schema();
}
