//! The durable transport on SQLite: consumer groups that outlive their
//! subscriptions and the process, delayed redelivery, and requeueing to one
//! group.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use event_core::integration::{IntegrationPublisher, encode};
use event_core::prelude::*;
use event_core::sqlite::{SqliteSubscription, SqliteTransport};
use event_core::transport::{Subscription, Transport};
use support::{block_on, now};

/// A parcel left the warehouse.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub parcel_id: String,
}

const SHIPPED: &str = ParcelShippedIntegrationEvent::FULL_TYPE;

/// A fresh folder for one test's broker file, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("event-core-broker-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// Opens the broker file, as a process starting would.
    fn broker(&self) -> SqliteTransport {
        SqliteTransport::open(self.0.join("broker.db"))
            .unwrap()
            .with_poll_interval(Duration::from_millis(1))
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn publish(broker: &SqliteTransport, ids: impl IntoIterator<Item = u32>) {
    let publisher = IntegrationPublisher::new(broker.clone());
    for n in ids {
        let envelope = Envelope::new(
            "/shipping",
            ParcelShippedIntegrationEvent {
                parcel_id: format!("p-{n}"),
            },
        );
        publisher.publish(&envelope).await.unwrap();
    }
}

/// Takes every copy visible now, acknowledges it, and returns the parcel ids
/// in the order received.
async fn drain(subscription: &mut SqliteSubscription) -> Vec<String> {
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

fn ids(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|n| format!("p-{n}")).collect()
}

#[test]
fn a_group_declared_before_publishing_receives_everything_published_since() {
    let dir = Dir::new("declared");
    block_on(async {
        let broker = dir.broker();
        // Published before any group: for nobody.
        publish(&broker, [0]).await;
        broker.declare(SHIPPED, "billing").await.unwrap();
        publish(&broker, 1..=5).await;
        // Declared after the first publishes: only what comes after.
        broker.declare(SHIPPED, "tracking").await.unwrap();
        publish(&broker, 6..=7).await;
        assert_eq!(broker.groups(SHIPPED).unwrap(), ["billing", "tracking"]);
        assert_eq!(broker.waiting("billing").unwrap(), 7);
        assert_eq!(broker.waiting("tracking").unwrap(), 2);

        let mut billing = broker.subscribe(SHIPPED, "billing").await.unwrap();
        assert_eq!(drain(&mut billing).await, ids(1..=7));
        let mut tracking = broker.subscribe(SHIPPED, "tracking").await.unwrap();
        assert_eq!(drain(&mut tracking).await, ids(6..=7));
        assert_eq!(broker.waiting("billing").unwrap(), 0);
    });
}

#[test]
fn a_consumer_that_restarts_receives_what_was_published_while_it_was_down() {
    let dir = Dir::new("restart");
    block_on(async {
        let consumer_process = dir.broker();
        let mut billing = consumer_process
            .subscribe(SHIPPED, "billing")
            .await
            .unwrap();
        let producer = dir.broker();
        publish(&producer, 1..=3).await;
        assert_eq!(drain(&mut billing).await, ids(1..=3));

        // The consumer's process stops: its subscription and its handle on
        // the file are gone.
        drop(billing);
        drop(consumer_process);
        publish(&producer, 4..=8).await;

        let consumer_process = dir.broker();
        let mut billing = consumer_process
            .subscribe(SHIPPED, "billing")
            .await
            .unwrap();
        assert_eq!(drain(&mut billing).await, ids(4..=8));
        assert_eq!(producer.waiting("billing").unwrap(), 0);
    });
}

#[test]
fn a_delayed_nack_is_stored_and_redelivered_after_its_delay() {
    let dir = Dir::new("delayed");
    block_on(async {
        let broker = dir.broker();
        let mut billing = broker.subscribe(SHIPPED, "billing").await.unwrap();
        publish(&broker, 1..=2).await;

        let first = now(billing.next()).await.unwrap().unwrap().unwrap();
        first.nack_after(Duration::from_secs(3600)).await.unwrap();
        let second = now(billing.next()).await.unwrap().unwrap().unwrap();
        second.nack_after(Duration::from_millis(20)).await.unwrap();
        assert!(now(billing.next()).await.is_none(), "redelivered at once");
        drop(billing);
        drop(broker);

        // After a restart the delays still hold: the second comes back once
        // its delay has passed, the first does not.
        let broker = dir.broker();
        let mut billing = broker.subscribe(SHIPPED, "billing").await.unwrap();
        let again = tokio::time::timeout(Duration::from_secs(60), billing.next())
            .await
            .expect("the copy comes back after its delay")
            .unwrap()
            .unwrap();
        assert_eq!(again.attempt, 2);
        let envelope =
            Envelope::<ParcelShippedIntegrationEvent>::from_json(again.message.payload()).unwrap();
        assert_eq!(envelope.data().parcel_id, "p-2");
        again.ack().await.unwrap();
        assert!(now(billing.next()).await.is_none(), "redelivered too early");
        assert_eq!(broker.waiting("billing").unwrap(), 1);

        // A plain nack is at once.
        publish(&broker, [3]).await;
        let third = now(billing.next()).await.unwrap().unwrap().unwrap();
        third.nack().await.unwrap();
        let third = now(billing.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(third.attempt, 2);
        third.ack().await.unwrap();
    });
}

#[test]
fn settling_a_delivery_whose_lease_ended_leaves_the_new_one_alone() {
    let dir = Dir::new("lease");
    block_on(async {
        // No lease at all: a taken copy is visible again at once, as after a
        // lease that ended while its consumer was stuck.
        let broker = dir.broker().with_lease(Duration::ZERO);
        let mut a = broker.subscribe(SHIPPED, "billing").await.unwrap();
        let mut b = broker.subscribe(SHIPPED, "billing").await.unwrap();
        publish(&broker, [1]).await;
        let stale = now(a.next()).await.unwrap().unwrap().unwrap();
        let current = now(b.next()).await.unwrap().unwrap().unwrap();
        assert_eq!((stale.attempt, current.attempt), (1, 2));

        stale.ack().await.unwrap();
        assert_eq!(
            broker.waiting("billing").unwrap(),
            1,
            "the stale ack settled it"
        );
        current.ack().await.unwrap();
        assert_eq!(broker.waiting("billing").unwrap(), 0);
    });
}

#[test]
fn a_delivery_dropped_unsettled_is_visible_again_at_once_whatever_the_lease() {
    let dir = Dir::new("dropped");
    block_on(async {
        // A lease far longer than the test: only the drop can release it.
        let broker = dir.broker().with_lease(Duration::from_secs(3600));
        let mut a = broker.subscribe(SHIPPED, "billing").await.unwrap();
        publish(&broker, [1, 2]).await;
        let first = now(a.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(first.attempt, 1);
        // Given up on, as a consumer does at a shutdown deadline.
        let id = first.message.id().to_owned();
        drop(first);

        // It comes again before the message after it, not an hour later.
        let again = now(a.next()).await.unwrap().unwrap().unwrap();
        assert_eq!((again.message.id(), again.attempt), (id.as_str(), 2));
        again.ack().await.unwrap();
        let second = now(a.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(second.attempt, 1);
        second.ack().await.unwrap();
        assert_eq!(broker.waiting("billing").unwrap(), 0);
    });
}

#[test]
fn a_requeued_message_goes_to_one_group_only() {
    let dir = Dir::new("requeue");
    block_on(async {
        let broker = dir.broker();
        broker.declare(SHIPPED, "billing").await.unwrap();
        broker.declare(SHIPPED, "tracking").await.unwrap();
        let message = encode(&Envelope::new(
            "/shipping",
            ParcelShippedIntegrationEvent {
                parcel_id: "p-1".into(),
            },
        ))
        .unwrap();
        broker.requeue(message.clone(), "billing").await.unwrap();
        assert_eq!(broker.waiting("billing").unwrap(), 1);
        assert_eq!(broker.waiting("tracking").unwrap(), 0);

        let mut billing = broker.subscribe(SHIPPED, "billing").await.unwrap();
        let delivery = now(billing.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(delivery.message, message);
        assert_eq!(delivery.attempt, 1);
        delivery.ack().await.unwrap();

        // A group that was never declared is declared by the requeue.
        broker.requeue(message, "audit").await.unwrap();
        assert_eq!(
            broker.groups(SHIPPED).unwrap(),
            ["audit", "billing", "tracking"]
        );
        assert_eq!(broker.waiting("audit").unwrap(), 1);
    });
}
