//! `check_contracts!()` where users put it: in a test file of the package.
//! The root package has no library, so it covers the events this crate
//! declares; their snapshots are committed in `tests/published/`.

use event_core::prelude::*;

/// A shipment was dispatched.
#[integration_event(version = 1, contracts = "published")]
pub struct ShipmentDispatchedIntegrationEvent {
    pub shipment_id: String,
}

/// Version 2 adds the carrier, optional: backward compatible.
#[integration_event(version = 2, contracts = "published")]
pub struct ShipmentDispatchedIntegrationEventV2 {
    pub shipment_id: String,
    pub carrier: Option<String>,
}

#[test]
fn the_package_s_published_contracts_hold() {
    let report = event_core::check_contracts!();
    assert_eq!(
        report.frozen,
        ["shipment.dispatched.v1", "shipment.dispatched.v2"]
    );
    assert_eq!(
        report.compared,
        [(
            "shipment.dispatched.v1".to_owned(),
            "shipment.dispatched.v2".to_owned()
        )]
    );
}
