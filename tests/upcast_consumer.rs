//! A consumer of the newest version of an integration event receives the
//! older versions its `upcast_from` chain leads from, upcast; a version no
//! chain leads from is a typed error naming both ends.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use event_core::DecodeError;
use event_core::decode::{decode_upcasting, upcast_sources};
use event_core::integration::{ConsumeError, Consumer, IntegrationPublisher, encode};
use event_core::prelude::*;
use event_core::sqlite::SqliteTransport;
use event_core::transport::{InMemoryTransport, Message, Transport};
use support::{block_on, now};

/// Version 1.
#[integration_event(version = 1)]
pub struct ProductRepricedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u32,
}

/// Version 2 widens the price and adds an optional currency.
#[integration_event(version = 2, upcast_from = ProductRepricedIntegrationEvent)]
pub struct ProductRepricedIntegrationEventV2 {
    pub product_id: String,
    pub price_cents: u64,
    pub currency: Option<String>,
}

/// Version 3 adds a reason with a default.
#[integration_event(version = 3, upcast_from = ProductRepricedIntegrationEventV2)]
pub struct ProductRepricedIntegrationEventV3 {
    pub product_id: String,
    pub price_cents: u64,
    pub currency: Option<String>,
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// Version 1 of a type whose version 2 does not upcast from it.
#[integration_event(version = 1)]
pub struct StockCountedIntegrationEvent {
    pub sku: String,
}

/// Version 2, a new start: no `upcast_from`.
#[integration_event(version = 2)]
pub struct StockCountedIntegrationEventV2 {
    pub sku: String,
    pub quantity: u32,
}

/// Version 3 upcasts from version 2 only.
#[integration_event(version = 3, upcast_from = StockCountedIntegrationEventV2)]
pub struct StockCountedIntegrationEventV3 {
    pub sku: String,
    pub quantity: u32,
    pub location: Option<String>,
}

type V3 = ProductRepricedIntegrationEventV3;

fn v1(id: &str, price: u32) -> Envelope<ProductRepricedIntegrationEvent> {
    Envelope::new(
        "/catalog",
        ProductRepricedIntegrationEvent {
            product_id: id.into(),
            price_cents: price,
        },
    )
}

fn v2(id: &str, price: u64) -> Envelope<ProductRepricedIntegrationEventV2> {
    Envelope::new(
        "/catalog",
        ProductRepricedIntegrationEventV2 {
            product_id: id.into(),
            price_cents: price,
            currency: Some("EUR".into()),
        },
    )
}

fn v3(id: &str, price: u64) -> Envelope<V3> {
    Envelope::new(
        "/catalog",
        V3 {
            product_id: id.into(),
            price_cents: price,
            currency: Some("CHF".into()),
            reasons: vec!["sale".into()],
        },
    )
}

/// What a `V3` consumer should see of each: by product id.
fn expected() -> BTreeMap<String, V3> {
    let v3 = |id: &str, price, currency: Option<&str>, reasons: &[&str]| {
        (
            id.to_owned(),
            V3 {
                product_id: id.into(),
                price_cents: price,
                currency: currency.map(Into::into),
                reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            },
        )
    };
    BTreeMap::from([
        v3("from-v1", 100, None, &[]),
        v3("from-v2", 200, Some("EUR"), &[]),
        v3("from-v3", 300, Some("CHF"), &["sale"]),
    ])
}

#[test]
fn a_consumer_subscribes_to_every_version_it_upcasts_from() {
    assert_eq!(
        upcast_sources::<V3>(),
        ["product.repriced.v1", "product.repriced.v2"]
    );
    assert_eq!(
        Consumer::<V3, <InMemoryTransport as Transport>::Subscription>::subscribed_types(),
        [
            "product.repriced.v3",
            "product.repriced.v2",
            "product.repriced.v1"
        ]
    );
    // The chain of the stock count stops at version 2.
    assert_eq!(
        upcast_sources::<StockCountedIntegrationEventV3>(),
        ["stock.counted.v2"]
    );
    assert!(upcast_sources::<StockCountedIntegrationEventV2>().is_empty());
    assert!(upcast_sources::<ProductRepricedIntegrationEvent>().is_empty());
}

#[test]
fn a_consumer_of_version_3_receives_versions_1_2_and_3_upcast() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let mut consumer = Consumer::<V3, _>::subscribe(&transport, "pricing")
            .await
            .unwrap();
        let publisher = IntegrationPublisher::new(transport.clone());
        let old = v1("from-v1", 100);
        publisher.publish(&old).await.unwrap();
        publisher.publish(&v2("from-v2", 200)).await.unwrap();
        publisher.publish(&v3("from-v3", 300)).await.unwrap();

        let mut received = BTreeMap::new();
        for _ in 0..3 {
            let next = now(consumer.next()).await.unwrap().unwrap().unwrap();
            if next.envelope.data().product_id == "from-v1" {
                // The envelope is the one sent, only its data upcast.
                assert_eq!(next.envelope.id(), old.id());
                assert_eq!(next.envelope.correlation_id(), old.correlation_id());
                assert_eq!(next.delivery.message.event_type(), "product.repriced.v1");
            }
            received.insert(
                next.envelope.data().product_id.clone(),
                next.envelope.data().clone(),
            );
            next.ack().await.unwrap();
        }
        assert_eq!(received, expected());
        assert!(
            now(consumer.next()).await.is_none(),
            "an acknowledged event came again"
        );
    });
}

#[test]
fn versions_are_taken_in_turn() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let mut consumer = Consumer::<V3, _>::subscribe(&transport, "pricing")
            .await
            .unwrap();
        let publisher = IntegrationPublisher::new(transport.clone());
        // A backlog of the newest version does not hold back the oldest.
        for n in 0..10 {
            publisher
                .publish(&v3(&format!("new-{n}"), n))
                .await
                .unwrap();
        }
        for n in 0..10 {
            publisher
                .publish(&v1(&format!("old-{n}"), u32::try_from(n).unwrap()))
                .await
                .unwrap();
        }
        let mut first_ten = Vec::new();
        for _ in 0..10 {
            let next = now(consumer.next()).await.unwrap().unwrap().unwrap();
            first_ten.push(next.delivery.message.event_type().to_owned());
            next.ack().await.unwrap();
        }
        let old = first_ten
            .iter()
            .filter(|t| *t == "product.repriced.v1")
            .count();
        assert_eq!(old, 5, "{first_ten:?}");
        let mut rest = 0;
        while let Some(next) = now(consumer.next()).await {
            next.unwrap().unwrap().ack().await.unwrap();
            rest += 1;
        }
        assert_eq!(rest, 10);
    });
}

#[test]
fn a_consumer_on_the_durable_transport_receives_every_version() {
    let dir = std::env::temp_dir().join(format!("event-core-upcast-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    block_on(async {
        let broker = SqliteTransport::open(dir.join("broker.db"))
            .unwrap()
            .with_poll_interval(Duration::from_millis(1));
        // Declared before anything is published, subscribed after.
        Consumer::<V3, _>::declare(&broker, "pricing")
            .await
            .unwrap();
        assert_eq!(broker.groups("product.repriced.v1").unwrap(), ["pricing"]);
        let publisher = IntegrationPublisher::new(broker.clone());
        publisher.publish(&v3("from-v3", 300)).await.unwrap();
        publisher.publish(&v2("from-v2", 200)).await.unwrap();
        publisher.publish(&v1("from-v1", 100)).await.unwrap();

        let mut consumer = Consumer::<V3, _>::subscribe(&broker, "pricing")
            .await
            .unwrap();
        let mut received = BTreeMap::new();
        while received.len() < 3 {
            let next = tokio::time::timeout(Duration::from_secs(60), consumer.next())
                .await
                .expect("every version arrives")
                .unwrap()
                .unwrap();
            received.insert(
                next.envelope.data().product_id.clone(),
                next.envelope.data().clone(),
            );
            next.ack().await.unwrap();
        }
        assert_eq!(received, expected());
        assert_eq!(broker.waiting("pricing").unwrap(), 0);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_version_with_no_path_is_a_typed_error_naming_both_ends() {
    let old = Envelope::new(
        "/stock",
        StockCountedIntegrationEvent {
            sku: "sku-1".into(),
        },
    );
    let bytes = old.to_json().unwrap().into_bytes();
    let error = decode_upcasting::<StockCountedIntegrationEventV3>(&bytes).unwrap_err();
    assert_eq!(
        error,
        DecodeError::NoUpcastPath {
            found: "stock.counted.v1".into(),
            target: "stock.counted.v3",
        }
    );
    assert_eq!(
        error.to_string(),
        "no upcast path from `stock.counted.v1` to `stock.counted.v3`; \
         declare `upcast_from` on each version after it"
    );
    // A newer version than asked for has no path either, and no hint.
    let newer = v3("p", 1).to_json().unwrap().into_bytes();
    assert_eq!(
        decode_upcasting::<ProductRepricedIntegrationEventV2>(&newer)
            .unwrap_err()
            .to_string(),
        "no upcast path from `product.repriced.v3` to `product.repriced.v2`"
    );

    block_on(async {
        let transport = InMemoryTransport::new();
        let mut consumer =
            Consumer::<StockCountedIntegrationEventV3, _>::subscribe(&transport, "inventory")
                .await
                .unwrap();
        assert_eq!(
            consumer.event_types().collect::<Vec<_>>(),
            ["stock.counted.v3", "stock.counted.v2"]
        );
        // Version 1 under its own type: this consumer is not subscribed to it.
        transport.publish(encode(&old).unwrap()).await.unwrap();
        assert!(now(consumer.next()).await.is_none());
        // Version 1 bytes sent as version 3: handed back with the error.
        transport
            .publish({
                let encoded = encode(&old).unwrap();
                Message::from_parts(
                    encoded.id(),
                    "stock.counted.v3",
                    encoded.headers(),
                    encoded.payload().to_vec(),
                )
            })
            .await
            .unwrap();
        match now(consumer.next()).await.unwrap().unwrap() {
            Err(ConsumeError::Decode { error, delivery }) => {
                assert_eq!(
                    error,
                    DecodeError::NoUpcastPath {
                        found: "stock.counted.v1".into(),
                        target: "stock.counted.v3",
                    }
                );
                assert_eq!(delivery.message.id(), old.id().as_str());
                delivery.ack().await.unwrap();
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        // Version 2 still arrives, upcast.
        let counted = Envelope::new(
            "/stock",
            StockCountedIntegrationEventV2 {
                sku: "sku-2".into(),
                quantity: 7,
            },
        );
        IntegrationPublisher::new(transport.clone())
            .publish(&counted)
            .await
            .unwrap();
        let next = now(consumer.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(
            next.envelope.data(),
            &StockCountedIntegrationEventV3 {
                sku: "sku-2".into(),
                quantity: 7,
                location: None,
            }
        );
        next.ack().await.unwrap();
    });
}
