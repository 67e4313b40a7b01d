//! The CloudEvents envelope: JSON shape, round trip, and the chain of
//! correlation and causation ids.

use event_core::prelude::*;
use event_core::{CorrelationId, EventId, Timestamp};
use serde_json::Value;

/// An order was confirmed.
#[domain_event]
pub struct OrderConfirmed {
    pub order_id: String,
    pub total_cents: u64,
}

/// The public record of a confirmed order.
#[integration_event(version = 2)]
pub struct OrderConfirmedIntegrationEvent {
    pub order_id: String,
}

/// Tells the customer.
#[notification_event]
pub struct OrderConfirmedNotification {
    pub order_id: String,
}

fn confirmed() -> Envelope<OrderConfirmed> {
    Envelope::new(
        "/shop/ordering",
        OrderConfirmed {
            order_id: "o-1".into(),
            total_cents: 4_990,
        },
    )
}

#[test]
fn round_trips_through_json() {
    let envelope = confirmed()
        .with_subject("orders/o-1")
        .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .with_causation_id("command-7");
    let json = envelope.to_json().unwrap();
    let back = Envelope::<OrderConfirmed>::from_json(json.as_bytes()).unwrap();
    assert_eq!(back, envelope);
    // The text `to_json` returns reads back as it is.
    assert_eq!(
        Envelope::<OrderConfirmed>::from_json(&json).unwrap(),
        envelope
    );
    assert_eq!(
        event_core::cloudevent::CloudEvent::from_json(&json)
            .unwrap()
            .id(),
        envelope.id().as_str()
    );
    // serde's own path agrees.
    let via_serde: Envelope<OrderConfirmed> = serde_json::from_str(&json).unwrap();
    assert_eq!(via_serde, envelope);
}

#[test]
fn json_has_exactly_the_cloudevents_attributes() {
    let envelope = Envelope::caused_by(
        &confirmed(),
        OrderConfirmedIntegrationEvent {
            order_id: "o-1".into(),
        },
    )
    .with_subject("orders/o-1")
    .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    let json: Value = serde_json::from_str(&envelope.to_json().unwrap()).unwrap();
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "causationid",
            "correlationid",
            "data",
            "datacontenttype",
            "dataschema",
            "id",
            "source",
            "specversion",
            "subject",
            "time",
            "traceparent",
            "type",
        ]
    );
    // CloudEvents: attribute names are lower-case letters and digits only.
    for key in &keys {
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{key}"
        );
    }
    assert_eq!(json["specversion"], "1.0");
    assert_eq!(json["type"], "order.confirmed.v2");
    assert_eq!(json["source"], "/shop/ordering");
    assert_eq!(json["datacontenttype"], "application/json");
    assert_eq!(
        json["dataschema"],
        "urn:event:event-core-suite:integration:order.confirmed.v2"
    );
    assert_eq!(json["data"], serde_json::json!({ "order_id": "o-1" }));
    for key in &keys {
        if *key != "data" {
            assert!(json[*key].is_string(), "{key} is a string");
        }
    }
    // RFC 3339 in UTC.
    let time = json["time"].as_str().unwrap();
    assert!(time.ends_with('Z'), "{time}");
    assert_eq!(Some(time.parse::<Timestamp>().unwrap()), envelope.time());
    // A UUID v7 id: 8-4-4-4-12 hex digits, version nibble 7.
    let id = json["id"].as_str().unwrap();
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
    assert_eq!(&id[14..15], "7", "{id}");
}

#[test]
fn optional_attributes_are_left_out_when_unset() {
    let json: Value = serde_json::from_str(&confirmed().to_json().unwrap()).unwrap();
    for absent in ["subject", "causationid", "traceparent"] {
        assert!(json.get(absent).is_none(), "{absent}");
    }
}

#[test]
fn a_chain_keeps_one_correlation_id_and_links_causes() {
    let domain = confirmed().with_traceparent("00-aa-bb-01");
    let integration = Envelope::caused_by(
        &domain,
        OrderConfirmedIntegrationEvent {
            order_id: "o-1".into(),
        },
    );
    let notification = Envelope::caused_by(
        &integration,
        OrderConfirmedNotification {
            order_id: "o-1".into(),
        },
    );
    assert_eq!(domain.causation_id(), None);
    assert_eq!(integration.correlation_id(), domain.correlation_id());
    assert_eq!(notification.correlation_id(), domain.correlation_id());
    assert_eq!(integration.causation_id(), Some(domain.id()));
    assert_eq!(notification.causation_id(), Some(integration.id()));
    assert_eq!(notification.traceparent(), Some("00-aa-bb-01"));
    let ids = [domain.id(), integration.id(), notification.id()];
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);

    // The chain survives the wire.
    let received = Envelope::<OrderConfirmedNotification>::from_json(
        notification.to_json().unwrap().as_bytes(),
    )
    .unwrap();
    assert_eq!(received.correlation_id(), domain.correlation_id());
    assert_eq!(received.causation_id(), Some(integration.id()));
}

#[test]
fn ids_are_ordered_by_creation() {
    let ids: Vec<EventId> = (0..100).map(|_| EventId::new()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_ne!(CorrelationId::new(), CorrelationId::new());
}

#[test]
fn an_outside_correlation_id_is_kept() {
    let envelope = confirmed().with_correlation_id("request-42");
    assert_eq!(envelope.correlation_id().as_str(), "request-42");
    let child = Envelope::caused_by(
        &envelope,
        OrderConfirmedNotification {
            order_id: "o-1".into(),
        },
    );
    assert_eq!(child.correlation_id().as_str(), "request-42");
}

#[test]
fn partition_key_travels_in_every_mode() {
    use event_core::binding;
    use event_core::cloudevent::CloudEvent;
    use event_core::prelude::*;

    #[integration_event(version = 1)]
    pub struct ParcelScannedIntegrationEvent {
        pub parcel_id: String,
    }

    let envelope = Envelope::new(
        "/depot",
        ParcelScannedIntegrationEvent {
            parcel_id: "p-7".into(),
        },
    )
    .with_partition_key("p-7");
    assert_eq!(envelope.partition_key(), Some("p-7"));
    assert_eq!(
        Envelope::new("/depot", envelope.data().clone()).partition_key(),
        None
    );

    let message = event_core::encode(&envelope).unwrap();
    assert_eq!(message.partition_key().as_deref(), Some("p-7"));
    let decoded: Envelope<ParcelScannedIntegrationEvent> =
        Envelope::from_json(message.payload()).unwrap();
    assert_eq!(decoded.partition_key(), Some("p-7"));

    let event: CloudEvent = envelope.to_cloud_event().unwrap();
    for mapping in [&binding::HTTP, &binding::KAFKA, &binding::AMQP] {
        let binary = event_core::Message::binary(&event, mapping);
        assert_eq!(
            binary.partition_key().as_deref(),
            Some("p-7"),
            "{}",
            mapping.prefix
        );
    }
    let structured = event_core::Message::structured(&event);
    assert_eq!(structured.partition_key().as_deref(), Some("p-7"));

    // A key with characters that binary mode's headers percent-encode comes
    // back as it was given.
    let key = "warehouse 7 / dock \u{fc}%";
    let event = envelope.with_partition_key(key).to_cloud_event().unwrap();
    for mapping in [&binding::HTTP, &binding::KAFKA, &binding::AMQP] {
        let binary = event_core::Message::binary(&event, mapping);
        assert_eq!(
            binary.partition_key().as_deref(),
            Some(key),
            "{}",
            mapping.prefix
        );
    }
}

/// A confirmed order, as an older version wrote it.
#[integration_event(version = 1, name = "order.confirmed.public")]
pub struct OrderConfirmedPublicIntegrationEvent {
    pub order_id: String,
}

/// The next version.
#[integration_event(version = 2, name = "order.confirmed.public")]
pub struct OrderConfirmedPublicIntegrationEventV2 {
    pub order_id: String,
    pub channel: Option<String>,
}

#[test]
fn mapping_an_envelope_keeps_its_ids_and_names_the_new_schema() {
    let old = Envelope::new(
        "/shop/ordering",
        OrderConfirmedPublicIntegrationEvent {
            order_id: "o-1".into(),
        },
    )
    .with_causation_id("command-7");
    let (id, causation) = (old.id().clone(), old.causation_id().cloned());
    let new = old.map(|e| OrderConfirmedPublicIntegrationEventV2 {
        order_id: e.order_id,
        channel: None,
    });
    assert_eq!((new.id(), new.causation_id()), (&id, causation.as_ref()));
    assert_eq!(
        new.dataschema(),
        Some(OrderConfirmedPublicIntegrationEventV2::SCHEMA_ID)
    );
    // A schema the envelope was received with, not the event's own, stays.
    let received = Envelope::<OrderConfirmedPublicIntegrationEvent>::from_json(
        Envelope::new(
            "/shop/ordering",
            OrderConfirmedPublicIntegrationEvent {
                order_id: "o-2".into(),
            },
        )
        .with_dataschema(Some(
            "https://schemas.example.com/order-confirmed.json".into(),
        ))
        .to_json()
        .unwrap(),
    )
    .unwrap();
    let upcast = received.map(|e| OrderConfirmedPublicIntegrationEventV2 {
        order_id: e.order_id,
        channel: None,
    });
    assert_eq!(
        upcast.dataschema(),
        Some("https://schemas.example.com/order-confirmed.json")
    );
}
