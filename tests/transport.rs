//! The in-memory transport, the integration publisher and typed consumers.

mod support;

use std::time::Duration;

use event_core::DecodeError;
use event_core::integration::{ConsumeError, Consumer, IntegrationPublisher, encode, headers};
use event_core::prelude::*;
use event_core::transport::{InMemoryTransport, Message, Subscription, Transport};
use support::now;

/// A parcel left the warehouse.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub parcel_id: String,
}

/// A parcel was lost.
#[integration_event(version = 1)]
pub struct ParcelLostIntegrationEvent {
    pub parcel_id: String,
}

/// Runs a test body on a one-thread runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// Runs a test body on a one-thread runtime whose clock stands still but
/// for `tokio::time::advance`, and jumps to the next timer when idle.
fn paused<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

fn shipped(id: &str) -> Envelope<ParcelShippedIntegrationEvent> {
    Envelope::new(
        "/shipping",
        ParcelShippedIntegrationEvent {
            parcel_id: id.into(),
        },
    )
}

#[test]
fn every_consumer_of_a_type_receives_it_and_others_do_not() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let publisher = IntegrationPublisher::new(transport.clone());
        let mut billing =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        let mut tracking =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "tracking")
                .await
                .unwrap();
        let mut lost = transport
            .subscribe(ParcelLostIntegrationEvent::FULL_TYPE, "claims")
            .await
            .unwrap();

        let envelope = shipped("parcel-1");
        publisher.publish(&envelope).await.unwrap();

        for consumer in [&mut billing, &mut tracking] {
            let received = consumer.next().await.unwrap().unwrap();
            assert_eq!(received.envelope, envelope);
            assert_eq!(received.delivery.attempt, 1);
            received.ack().await.unwrap();
        }
        // Nothing for the other type: its queue is empty.
        assert!(
            now(lost.next()).await.is_none(),
            "a lost-parcel consumer received a message"
        );
        assert_eq!(transport.published().len(), 1);
    })
}

#[test]
fn subscriptions_sharing_a_consumer_name_compete() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let mut a = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "billing")
            .await
            .unwrap();
        let mut b = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "billing")
            .await
            .unwrap();
        let publisher = IntegrationPublisher::new(transport.clone());
        publisher.publish(&shipped("p-1")).await.unwrap();
        publisher.publish(&shipped("p-2")).await.unwrap();
        let first = a.next().await.unwrap().unwrap();
        let second = b.next().await.unwrap().unwrap();
        assert_ne!(first.message.id(), second.message.id());
        first.ack().await.unwrap();
        second.ack().await.unwrap();
    })
}

#[test]
fn nacked_and_abandoned_deliveries_come_again() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let mut consumer =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        IntegrationPublisher::new(transport.clone())
            .publish(&shipped("p-1"))
            .await
            .unwrap();

        let first = consumer.next().await.unwrap().unwrap();
        let id = first.envelope.id().to_owned();
        first.nack().await.unwrap();

        let second = consumer.next().await.unwrap().unwrap();
        assert_eq!(second.envelope.id(), &id);
        assert_eq!(second.delivery.attempt, 2);
        // Dropped without an answer, as when a consumer crashes mid-way.
        drop(second);

        let third = consumer.next().await.unwrap().unwrap();
        assert_eq!(third.envelope.id(), &id);
        assert_eq!(third.delivery.attempt, 3);
        third.ack().await.unwrap();
        assert!(
            now(consumer.next()).await.is_none(),
            "an acknowledged message came again"
        );
    })
}

#[test]
fn undecodable_messages_are_handed_back_unsettled() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let mut consumer =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        transport
            .publish(Message::new(
                "garbage-1",
                ParcelShippedIntegrationEvent::FULL_TYPE,
                b"{not json".to_vec(),
            ))
            .await
            .unwrap();
        match consumer.next().await.unwrap() {
            Err(ConsumeError::Decode { error, delivery }) => {
                assert!(matches!(error, DecodeError::MalformedJson { .. }));
                assert_eq!(delivery.message.id(), "garbage-1");
                delivery.ack().await.unwrap();
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    })
}

#[test]
fn encoded_messages_carry_id_type_and_tracing_headers() {
    let parent = shipped("p-0");
    let child = Envelope::caused_by(
        &parent,
        ParcelLostIntegrationEvent {
            parcel_id: "p-0".into(),
        },
    )
    .with_traceparent("00-aa-bb-01");
    let message = encode(&child).unwrap();
    assert_eq!(message.id(), child.id().as_str());
    assert_eq!(message.event_type(), "parcel.lost.v1");
    assert_eq!(
        message.header(headers::CORRELATION_ID),
        Some(parent.correlation_id().as_str())
    );
    assert_eq!(
        message.header(headers::CAUSATION_ID),
        Some(parent.id().as_str())
    );
    assert_eq!(message.header(headers::TRACEPARENT), Some("00-aa-bb-01"));
    let back = Envelope::<ParcelLostIntegrationEvent>::from_json(message.payload()).unwrap();
    assert_eq!(back, child);
}

/// Takes every delivery that is ready now, acknowledges it, and returns the
/// parcel ids in the order received.
async fn drain(subscription: &mut <InMemoryTransport as Transport>::Subscription) -> Vec<String> {
    let mut ids = Vec::new();
    while let Some(delivery) = now(subscription.next()).await {
        let delivery = delivery.unwrap().unwrap();
        let envelope =
            Envelope::<ParcelShippedIntegrationEvent>::from_json(delivery.message.payload())
                .unwrap();
        ids.push(envelope.data().parcel_id.clone());
        delivery.ack().await.unwrap();
    }
    ids
}

#[test]
fn a_declared_group_receives_what_was_published_before_it_subscribed() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let publisher = IntegrationPublisher::new(transport.clone());
        transport
            .declare(ParcelShippedIntegrationEvent::FULL_TYPE, "billing")
            .await
            .unwrap();
        // Published before the group existed: not for it.
        publisher.publish(&shipped("p-0")).await.unwrap();
        transport
            .declare(ParcelShippedIntegrationEvent::FULL_TYPE, "tracking")
            .await
            .unwrap();
        for n in 1..=3 {
            publisher
                .publish(&shipped(&format!("p-{n}")))
                .await
                .unwrap();
        }

        let mut billing = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "billing")
            .await
            .unwrap();
        assert_eq!(drain(&mut billing).await, ["p-0", "p-1", "p-2", "p-3"]);
        let mut tracking = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "tracking")
            .await
            .unwrap();
        assert_eq!(drain(&mut tracking).await, ["p-1", "p-2", "p-3"]);
    })
}

#[test]
fn a_consumer_that_resubscribes_receives_what_was_published_in_between() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let publisher = IntegrationPublisher::new(transport.clone());
        let mut billing = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "billing")
            .await
            .unwrap();
        publisher.publish(&shipped("p-1")).await.unwrap();
        publisher.publish(&shipped("p-2")).await.unwrap();
        assert_eq!(drain(&mut billing).await, ["p-1", "p-2"]);
        // One taken but not settled when the consumer stops.
        publisher.publish(&shipped("p-3")).await.unwrap();
        let unsettled = billing.next().await.unwrap().unwrap();
        drop(billing);
        drop(unsettled);

        for n in 4..=6 {
            publisher
                .publish(&shipped(&format!("p-{n}")))
                .await
                .unwrap();
        }
        let mut billing = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "billing")
            .await
            .unwrap();
        assert_eq!(drain(&mut billing).await, ["p-3", "p-4", "p-5", "p-6"]);
        assert_eq!(transport.published().len(), 6);
    })
}

#[test]
fn a_delayed_nack_comes_back_after_its_delay_and_not_before() {
    paused(async {
        let transport = InMemoryTransport::new();
        let mut consumer =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        let publisher = IntegrationPublisher::new(transport.clone());
        publisher.publish(&shipped("slow")).await.unwrap();
        publisher.publish(&shipped("slower")).await.unwrap();

        let slow = consumer.next().await.unwrap().unwrap();
        slow.nack_after(Duration::from_secs(10)).await.unwrap();
        let slower = consumer.next().await.unwrap().unwrap();
        slower.nack_after(Duration::from_secs(20)).await.unwrap();
        assert!(now(consumer.next()).await.is_none(), "redelivered at once");

        tokio::time::advance(Duration::from_millis(9_999)).await;
        assert!(
            now(consumer.next()).await.is_none(),
            "redelivered too early"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        let again = now(consumer.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(again.envelope.data().parcel_id, "slow");
        assert_eq!(again.delivery.attempt, 2);
        again.ack().await.unwrap();
        assert!(
            now(consumer.next()).await.is_none(),
            "redelivered too early"
        );

        // A waiting consumer wakes when the delay has passed.
        let start = tokio::time::Instant::now();
        let again = consumer.next().await.unwrap().unwrap();
        assert_eq!(again.envelope.data().parcel_id, "slower");
        assert_eq!(again.delivery.attempt, 2);
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        // A plain nack is at once.
        again.nack().await.unwrap();
        let third = now(consumer.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(third.delivery.attempt, 3);
        third.ack().await.unwrap();
    })
}

#[test]
fn a_requeued_message_goes_to_one_group_only() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let mut billing = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "billing")
            .await
            .unwrap();
        let mut tracking = transport
            .subscribe(ParcelShippedIntegrationEvent::FULL_TYPE, "tracking")
            .await
            .unwrap();
        let message = encode(&shipped("p-1")).unwrap();
        transport.requeue(message.clone(), "billing").await.unwrap();

        let delivery = now(billing.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(delivery.message, message);
        assert_eq!(delivery.attempt, 1);
        delivery.ack().await.unwrap();
        assert!(drain(&mut tracking).await.is_empty());
        // A requeue is not a publish.
        assert!(transport.published().is_empty());
    })
}
