//! Every declared event is registered with its kind, type, version, Rust path
//! and schema.

use event_core::prelude::*;
use event_core::registry;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// The public form of a placed order.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

/// Its second version.
#[integration_event(version = 2)]
pub struct OrderPlacedIntegrationEventV2 {
    pub order_id: String,
    pub total_cents: u64,
}

mod mail {
    use event_core::prelude::*;

    /// Tells the customer their order was placed.
    #[notification_event]
    pub struct OrderPlacedNotification {
        pub order_id: String,
    }
}

#[test]
fn lists_every_declared_event_in_order() {
    let listed: Vec<_> = registry::all()
        .iter()
        .map(|d| (d.kind, d.full_type, d.rust_path()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                EventKind::Domain,
                "order.placed.v1",
                "registry::OrderPlaced".to_owned()
            ),
            (
                EventKind::Integration,
                "order.placed.v1",
                "registry::OrderPlacedIntegrationEvent".to_owned()
            ),
            (
                EventKind::Integration,
                "order.placed.v2",
                "registry::OrderPlacedIntegrationEventV2".to_owned()
            ),
            (
                EventKind::Notification,
                "order.placed.v1",
                "registry::mail::OrderPlacedNotification".to_owned()
            ),
        ]
    );
}

#[test]
fn finds_by_kind_type_and_version() {
    let v2 = registry::find(EventKind::Integration, "order.placed", 2).unwrap();
    assert_eq!(v2.rust_name, "OrderPlacedIntegrationEventV2");
    assert_eq!(v2.version, 2);
    assert_eq!(v2.schema_id, OrderPlacedIntegrationEventV2::SCHEMA_ID);
    assert_eq!(v2.schema(), OrderPlacedIntegrationEventV2::schema());
    assert!(registry::find(EventKind::Integration, "order.placed", 3).is_none());
    assert!(registry::find(EventKind::Domain, "order.placed", 2).is_none());
}

#[test]
fn type_names_are_unique_per_kind() {
    registry::check_unique().unwrap();
}

#[test]
fn each_upcast_reads_the_version_before_it() {
    registry::check_upcasts().unwrap();
}
