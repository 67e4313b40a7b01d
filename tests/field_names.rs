//! Fields are told apart by their whole name. `fme1ud34ijaouo` and
//! `fkrn00qm52ag0p` have the same 64-bit FNV-1a hash (a pair found by a
//! birthday search): a field identity that hashed names would read one for
//! the other, or reject two such fields of one event.

use event_core::decode::decode_upcasting;
use event_core::prelude::*;

/// Version 1 of a meter reading, with an optional field that version 2
/// drops.
#[integration_event(version = 1)]
pub struct MeterReadIntegrationEvent {
    pub meter_id: String,
    pub fme1ud34ijaouo: Option<u32>,
}

/// Version 2 has the other name, new and optional: upcast from version 1, it
/// starts empty.
#[integration_event(version = 2, upcast_from = MeterReadIntegrationEvent)]
pub struct MeterReadIntegrationEventV2 {
    pub meter_id: String,
    pub fkrn00qm52ag0p: Option<u32>,
}

#[test]
fn an_upcast_starts_a_new_field_empty_when_the_older_version_has_a_field_of_the_same_hash() {
    let v1 = MeterReadIntegrationEvent {
        meter_id: "m-1".into(),
        fme1ud34ijaouo: Some(7),
    };
    let bytes = Envelope::new("/meters", v1.clone()).to_json().unwrap();
    let upcast: Envelope<MeterReadIntegrationEventV2> = decode_upcasting(bytes.as_bytes()).unwrap();
    assert_eq!(
        upcast.data(),
        &MeterReadIntegrationEventV2 {
            meter_id: "m-1".into(),
            fkrn00qm52ag0p: None,
        }
    );
    assert_eq!(MeterReadIntegrationEventV2::from(v1).fkrn00qm52ag0p, None);
}

/// Version 3 has both.
#[integration_event(version = 3, upcast_from = MeterReadIntegrationEventV2)]
pub struct MeterReadIntegrationEventV3 {
    pub meter_id: String,
    pub fme1ud34ijaouo: Option<u32>,
    pub fkrn00qm52ag0p: Option<u32>,
}

#[test]
fn an_upcast_carries_each_of_two_fields_of_the_same_hash_by_its_name() {
    let v2 = MeterReadIntegrationEventV2 {
        meter_id: "m-2".into(),
        fkrn00qm52ag0p: Some(9),
    };
    let bytes = Envelope::new("/meters", v2).to_json().unwrap();
    let upcast: Envelope<MeterReadIntegrationEventV3> = decode_upcasting(bytes.as_bytes()).unwrap();
    assert_eq!(upcast.data().fkrn00qm52ag0p, Some(9));
    assert_eq!(upcast.data().fme1ud34ijaouo, None);
}

/// A meter was read; one of the two fields is personal data.
#[domain_event]
pub struct MeterRead {
    pub meter_id: String,
    #[event(pii)]
    pub fme1ud34ijaouo: u32,
    pub fkrn00qm52ag0p: u32,
}

/// Maps each field from the source field of its name; the personal one is
/// declared `pii`, the other need not be.
#[integration_event(version = 1, maps_from = MeterRead)]
pub struct MeterCheckedIntegrationEvent {
    pub meter_id: String,
    #[event(pii)]
    pub fme1ud34ijaouo: u64,
    pub fkrn00qm52ag0p: u64,
    #[event(from = fkrn00qm52ag0p)]
    pub copy: u32,
}

#[test]
fn a_mapping_reads_each_of_two_fields_of_the_same_hash_by_its_name() {
    let read = MeterRead {
        meter_id: "m-3".into(),
        fme1ud34ijaouo: 1,
        fkrn00qm52ag0p: 2,
    };
    let checked = MeterCheckedIntegrationEvent::from(&read);
    assert_eq!(checked.fme1ud34ijaouo, 1);
    assert_eq!(checked.fkrn00qm52ag0p, 2);
    assert_eq!(checked.copy, 2);
    let schema = MeterCheckedIntegrationEvent::schema();
    assert_eq!(schema["properties"]["fme1ud34ijaouo"]["x-pii"], true);
    assert!(
        schema["properties"]["fkrn00qm52ag0p"]
            .get("x-pii")
            .is_none()
    );
}
