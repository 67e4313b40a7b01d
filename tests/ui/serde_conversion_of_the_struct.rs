// The whole event converted through another type by serde: its data would
// not be an object of its fields. One error at each key; the event is
// still declared, so its uses report nothing more.
use event_core::prelude::*;

/// A parcel was shipped.
#[domain_event]
#[serde(into = "String")]
pub struct ParcelShipped {
    #[event(pii)]
    pub recipient_email: String,
}

impl From<ParcelShipped> for String {
    fn from(shipped: ParcelShipped) -> String {
        shipped.recipient_email
    }
}

/// A parcel was returned.
#[integration_event(version = 1)]
#[serde(rename_all = "camelCase", try_from = "String")]
pub struct ParcelReturnedIntegrationEvent {
    pub parcel_id: String,
}

fn main() {
    let shipped = ParcelShipped {
        recipient_email: "ada@example.com".into(),
    };
    let _ = Envelope::new("/parcels", shipped).to_json();
    let _ = ParcelReturnedIntegrationEvent::schema();
}
