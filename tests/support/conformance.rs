//! The transport contract as test cases, written once for any
//! [`Transport`]: each case is an async function that takes a [`Fixture`]
//! (a fresh transport of its own, an event type no other test uses, and
//! group names unique to the case) and fails when the transport breaks the
//! contract of `event_core::transport`.
//!
//! [`run`] makes the fixture with a transport's factory, runs the case on a
//! one-thread runtime and cleans up afterwards, also when the case fails.
//! Where transports may differ by design (a message published twice, a
//! requeue to one group), the case takes what the transport is documented
//! to do as a parameter and checks that.
//!
//! No assertion depends on how long something took, but for a delayed
//! redelivery's lower bound: every wait observes a delivery within a
//! generous bound, and "not delivered again" is observed by publishing a
//! later marker and receiving it next.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use event_core::binding::HeaderMapping;
use event_core::integration::encode;
use event_core::prelude::*;
use event_core::transport::{Delivery, Message, Subscription, Transport, TransportError};

use crate::services;

/// The bound on every wait: far above what any step needs on a loaded
/// machine.
pub const BOUND: Duration = Duration::from_secs(60);

/// A parcel left the warehouse: the event the cases publish, under the
/// fixture's own event type.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub parcel_id: String,
}

/// Cleans up what a factory made: given the group names the case used.
pub type Cleanup = Box<dyn FnOnce(Vec<String>, String) -> Pin<Box<dyn Future<Output = ()>>>>;

/// What a transport's factory makes for one case.
pub struct Made<T> {
    /// A transport no other test shares.
    pub transport: T,
    /// The binding a delivered message's attributes are read with, in case
    /// the transport gives messages back in binary mode.
    pub binding: &'static HeaderMapping,
    /// Removes what the transport left behind (a stream, queues, a file);
    /// runs after the case, also when it failed.
    pub cleanup: Cleanup,
}

/// What a case works with.
pub struct Fixture<T> {
    /// The transport under test.
    pub transport: T,
    /// An event type of this case alone.
    pub event_type: String,
    binding: &'static HeaderMapping,
    groups: Arc<Mutex<Vec<String>>>,
}

impl<T: Transport> Fixture<T> {
    /// A consumer group name unique to this case, remembered for the clean-up.
    pub fn group(&self, role: &str) -> String {
        let name = services::unique_name(role);
        self.groups.lock().unwrap().push(name.clone());
        name
    }

    /// A message of the fixture's event type whose parcel id is `label`.
    pub fn message(&self, label: &str) -> Message {
        let envelope = Envelope::new(
            "/conformance",
            ParcelShippedIntegrationEvent {
                parcel_id: label.into(),
            },
        );
        self.retyped(encode(&envelope).unwrap())
    }

    /// `message` under the fixture's event type, in its payload too.
    pub fn retyped(&self, message: Message) -> Message {
        let mut payload: serde_json::Value = serde_json::from_slice(message.payload()).unwrap();
        payload["type"] = serde_json::Value::String(self.event_type.clone());
        Message::from_parts(
            message.id(),
            &self.event_type,
            message.headers(),
            serde_json::to_vec(&payload).unwrap(),
        )
    }

    /// The parcel id of a delivered message.
    pub fn label(&self, delivery: &Delivery) -> String {
        let event = delivery
            .message
            .to_cloud_event(self.binding)
            .expect("a delivered message decodes as a CloudEvent");
        let data: serde_json::Value =
            serde_json::from_slice(event.data().unwrap().as_bytes()).unwrap();
        data["parcel_id"].as_str().unwrap().to_owned()
    }

    pub async fn publish(&self, message: Message) {
        self.transport.publish(message).await.unwrap();
    }

    pub async fn subscribe(&self, group: &str) -> T::Subscription {
        self.transport
            .subscribe(&self.event_type, group)
            .await
            .unwrap()
    }
}

/// Makes a fixture with `make`, runs `case` with it and cleans up: on a
/// one-thread runtime with the timer and the network. `make` returns `None`
/// when its server cannot be reached (having printed a notice, or failed
/// when services are required): the case is skipped.
pub fn run<T, M, MF, C, CF>(make: M, case: C)
where
    T: Transport,
    M: FnOnce() -> MF,
    MF: Future<Output = Option<Made<T>>>,
    C: FnOnce(Fixture<T>) -> CF,
    CF: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(made) = runtime.block_on(make()) else {
        return;
    };
    let groups = Arc::new(Mutex::new(Vec::new()));
    let event_type = format!("conformance.{}.v1", services::unique_name("parcel_shipped"));
    let guard = CleanUp {
        runtime: &runtime,
        cleanup: Some(made.cleanup),
        groups: Arc::clone(&groups),
        event_type: event_type.clone(),
    };
    let fixture = Fixture {
        transport: made.transport,
        event_type,
        binding: made.binding,
        groups,
    };
    runtime.block_on(case(fixture));
    drop(guard);
}

/// Runs the clean-up when dropped: after the case, or while its failure
/// unwinds.
struct CleanUp<'a> {
    runtime: &'a tokio::runtime::Runtime,
    cleanup: Option<Cleanup>,
    groups: Arc<Mutex<Vec<String>>>,
    event_type: String,
}

impl Drop for CleanUp<'_> {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            let groups = self
                .groups
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let event_type = self.event_type.clone();
            let cleanup = cleanup(groups, event_type);
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(BOUND, cleanup).await });
        }
    }
}

/// The next delivery, within the bound.
pub async fn next<S: Subscription>(subscription: &mut S) -> Delivery {
    tokio::time::timeout(BOUND, subscription.next())
        .await
        .expect("a delivery within the bound")
        .expect("no transport error")
        .expect("the subscription is open")
}

/// Receives `count` deliveries, acknowledging each, and returns their
/// labels in the order received.
pub async fn receive<T: Transport>(
    fixture: &Fixture<T>,
    subscription: &mut T::Subscription,
    count: usize,
) -> Vec<String> {
    let mut labels = Vec::new();
    for _ in 0..count {
        let delivery = next(subscription).await;
        labels.push(fixture.label(&delivery));
        delivery.ack().await.unwrap();
    }
    labels
}

fn set(labels: &[&str]) -> BTreeSet<String> {
    labels.iter().map(|&label| label.to_owned()).collect()
}

fn sorted(labels: Vec<String>) -> BTreeSet<String> {
    labels.into_iter().collect()
}

/// What a transport does with a message published twice under one event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    /// Both are delivered (the transport does not de-duplicate).
    Delivered,
    /// The second is dropped (the broker de-duplicates on the event id).
    Dropped,
}

/// What a transport's `requeue` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeue {
    /// Delivers the message to the one group, as attempt 1.
    ToOneGroup,
    /// Refuses with `TransportError::Rejected`, by documented design.
    Rejected,
}

/// How exactly a transport's `Subscription::lag` counts the messages
/// waiting for the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    /// Exactly the messages not delivered yet, as of the latest delivery.
    Exact,
    /// Known, but a count taken by the broker at some moment since the
    /// subscription opened: never more than the messages published and not
    /// acknowledged (RabbitMQ's ready count, which leaves out what it
    /// already sent to the subscription).
    AtMostUnacknowledged,
}

/// Publish, then subscribe's delivery: the same id and type, the same
/// event (attributes, extensions, data), the partition key readable with
/// `Message::partition_key`, and a producer's own header kept; attempt 1.
pub async fn round_trip<T: Transport>(fx: Fixture<T>) {
    let group = fx.group("billing");
    let mut subscription = fx.subscribe(&group).await;
    let envelope = Envelope::new(
        "/conformance",
        ParcelShippedIntegrationEvent {
            parcel_id: "p-1".into(),
        },
    )
    .with_partition_key("warehouse 7");
    let sent = fx.retyped(encode(&envelope).unwrap());
    // A header of the producer's own (not `x-`, which AMQP brokers reserve).
    let sent = sent.with_header("conformance-note", "kept as is");
    fx.publish(sent.clone()).await;

    let delivery = next(&mut subscription).await;
    let received = &delivery.message;
    assert_eq!(delivery.attempt, 1);
    assert_eq!(received.id(), sent.id());
    assert_eq!(received.event_type(), fx.event_type);
    assert_eq!(received.partition_key().as_deref(), Some("warehouse 7"));
    assert_eq!(received.header("conformance-note"), Some("kept as is"));
    let sent_event = sent.to_cloud_event(fx.binding).unwrap();
    let received_event = received.to_cloud_event(fx.binding).unwrap();
    assert!(
        received_event == sent_event,
        "the event changed on its way: sent {sent:?}, received {received:?}"
    );
    let data: serde_json::Value =
        serde_json::from_slice(received_event.data().unwrap().as_bytes()).unwrap();
    assert_eq!(data, serde_json::json!({"parcel_id": "p-1"}));
    delivery.ack().await.unwrap();
}

/// A group declared before publishing keeps what is published while none
/// of its subscriptions is open, and hands it to the first one.
pub async fn declared_group_keeps_messages_while_unsubscribed<T: Transport>(fx: Fixture<T>) {
    let group = fx.group("billing");
    fx.transport.declare(&fx.event_type, &group).await.unwrap();
    // Declaring twice changes nothing.
    fx.transport.declare(&fx.event_type, &group).await.unwrap();
    fx.publish(fx.message("p-1")).await;
    fx.publish(fx.message("p-2")).await;

    let mut subscription = fx.subscribe(&group).await;
    let labels = receive(&fx, &mut subscription, 2).await;
    assert_eq!(sorted(labels), set(&["p-1", "p-2"]));
    // Each once: the next is a later marker.
    fx.publish(fx.message("marker")).await;
    assert_eq!(receive(&fx, &mut subscription, 1).await, ["marker"]);
}

/// Messages published before a group was declared are not delivered to it;
/// those published after are.
pub async fn messages_before_declare_are_not_delivered<T: Transport>(fx: Fixture<T>) {
    let earlier = fx.group("earlier");
    let group = fx.group("billing");
    // Another group of the type exists, so the broker stores the message.
    fx.transport
        .declare(&fx.event_type, &earlier)
        .await
        .unwrap();
    fx.publish(fx.message("before")).await;
    fx.transport.declare(&fx.event_type, &group).await.unwrap();
    fx.publish(fx.message("after")).await;

    let mut subscription = fx.subscribe(&group).await;
    assert_eq!(receive(&fx, &mut subscription, 1).await, ["after"]);
    // The earlier group has both: the first was stored.
    let mut earlier = fx.subscribe(&earlier).await;
    let labels = receive(&fx, &mut earlier, 2).await;
    assert_eq!(sorted(labels), set(&["before", "after"]));
}

/// Two groups of one type each receive every message.
pub async fn every_group_gets_every_message<T: Transport>(fx: Fixture<T>) {
    let billing = fx.group("billing");
    let shipping = fx.group("shipping");
    let mut first = fx.subscribe(&billing).await;
    let mut second = fx.subscribe(&shipping).await;
    for label in ["p-1", "p-2", "p-3"] {
        fx.publish(fx.message(label)).await;
    }
    let expected = set(&["p-1", "p-2", "p-3"]);
    assert_eq!(sorted(receive(&fx, &mut first, 3).await), expected);
    assert_eq!(sorted(receive(&fx, &mut second, 3).await), expected);
}

/// Two subscriptions of one group share its messages: each message is
/// delivered once between them.
pub async fn subscriptions_of_a_group_share_its_messages<T: Transport>(fx: Fixture<T>) {
    let group = fx.group("billing");
    let mut first = fx.subscribe(&group).await;
    let mut second = fx.subscribe(&group).await;
    let labels: Vec<String> = (1..=6).map(|n| format!("p-{n}")).collect();
    for label in &labels {
        fx.publish(fx.message(label)).await;
    }

    let mut received = Vec::new();
    let mut marker_sent = false;
    loop {
        let delivery = tokio::time::timeout(BOUND, async {
            tokio::select! {
                delivery = first.next() => delivery,
                delivery = second.next() => delivery,
            }
        })
        .await
        .expect("a delivery within the bound")
        .expect("no transport error")
        .expect("the subscription is open");
        let label = fx.label(&delivery);
        delivery.ack().await.unwrap();
        if label == "marker" {
            break;
        }
        received.push(label);
        if received.len() == labels.len() && !marker_sent {
            // Anything delivered twice would come before this one.
            fx.publish(fx.message("marker")).await;
            marker_sent = true;
        }
    }
    assert_eq!(received.len(), labels.len(), "received {received:?}");
    assert_eq!(sorted(received), sorted(labels));
}

/// A nacked delivery comes again, as attempt 2.
pub async fn nack_redelivers_as_attempt_2<T: Transport>(fx: Fixture<T>) {
    let group = fx.group("billing");
    let mut subscription = fx.subscribe(&group).await;
    let sent = fx.message("p-1");
    fx.publish(sent.clone()).await;

    let first = next(&mut subscription).await;
    assert_eq!((first.message.id(), first.attempt), (sent.id(), 1));
    first.nack().await.unwrap();
    let second = next(&mut subscription).await;
    assert_eq!((second.message.id(), second.attempt), (sent.id(), 2));
    assert_eq!(fx.label(&second), "p-1");
    second.ack().await.unwrap();
}

/// A delivery nacked with a delay comes again, as attempt 2, and not
/// before the delay has passed.
pub async fn delayed_nack_redelivers_not_before_its_delay<T: Transport>(fx: Fixture<T>) {
    let group = fx.group("billing");
    let mut subscription = fx.subscribe(&group).await;
    let sent = fx.message("p-1");
    fx.publish(sent.clone()).await;

    let first = next(&mut subscription).await;
    let delay = Duration::from_millis(1500);
    let nacked = Instant::now();
    first.nack_after(delay).await.unwrap();
    let second = next(&mut subscription).await;
    let elapsed = nacked.elapsed();
    assert_eq!((second.message.id(), second.attempt), (sent.id(), 2));
    assert!(
        elapsed >= delay,
        "delivered again {elapsed:?} after a nack with a delay of {delay:?}"
    );
    second.ack().await.unwrap();
}

/// A delivery dropped without an ack or a nack comes again, as attempt 2.
pub async fn dropped_delivery_is_delivered_again<T: Transport>(fx: Fixture<T>) {
    let group = fx.group("billing");
    let mut subscription = fx.subscribe(&group).await;
    let sent = fx.message("p-1");
    fx.publish(sent.clone()).await;

    drop(next(&mut subscription).await);
    let again = next(&mut subscription).await;
    assert_eq!((again.message.id(), again.attempt), (sent.id(), 2));
    again.ack().await.unwrap();
}

/// An acknowledged delivery does not come again: a marker published after
/// it is the next delivery.
pub async fn acked_delivery_is_not_delivered_again<T: Transport>(fx: Fixture<T>) {
    let group = fx.group("billing");
    let mut subscription = fx.subscribe(&group).await;
    fx.publish(fx.message("p-1")).await;
    assert_eq!(receive(&fx, &mut subscription, 1).await, ["p-1"]);

    fx.publish(fx.message("marker")).await;
    let delivery = next(&mut subscription).await;
    assert_eq!(
        (fx.label(&delivery).as_str(), delivery.attempt),
        ("marker", 1)
    );
    delivery.ack().await.unwrap();
}

/// `requeue` delivers a message to the one group named, as attempt 1, and
/// to no other; or, for a transport that cannot address one group, is
/// refused with `Rejected`.
pub async fn requeue_reaches_one_group<T: Transport>(fx: Fixture<T>, expected: Requeue) {
    let billing = fx.group("billing");
    let shipping = fx.group("shipping");
    let mut first = fx.subscribe(&billing).await;
    let mut second = fx.subscribe(&shipping).await;
    let sent = fx.message("p-1");
    fx.publish(sent.clone()).await;
    assert_eq!(receive(&fx, &mut first, 1).await, ["p-1"]);
    assert_eq!(receive(&fx, &mut second, 1).await, ["p-1"]);

    let result = fx.transport.requeue(sent.clone(), &billing).await;
    match expected {
        Requeue::Rejected => {
            assert!(
                matches!(result, Err(TransportError::Rejected(_))),
                "requeue was expected to be refused, got {result:?}"
            );
        }
        Requeue::ToOneGroup => {
            result.unwrap();
            let again = next(&mut first).await;
            assert_eq!((again.message.id(), again.attempt), (sent.id(), 1));
            assert_eq!(fx.label(&again), "p-1");
            again.ack().await.unwrap();
        }
    }
    // The other group gets the marker next, not the requeued message.
    fx.publish(fx.message("marker")).await;
    assert_eq!(receive(&fx, &mut second, 1).await, ["marker"]);
    assert_eq!(receive(&fx, &mut first, 1).await, ["marker"]);
}

/// A message published twice under one event id (a relay that lost the
/// first confirmation publishes again): delivered twice, or once where the
/// broker de-duplicates, as `expected` says.
pub async fn same_id_published_twice<T: Transport>(fx: Fixture<T>, expected: Duplicates) {
    let group = fx.group("billing");
    let mut subscription = fx.subscribe(&group).await;
    let sent = fx.message("p-1");
    fx.publish(sent.clone()).await;
    fx.publish(sent.clone()).await;
    fx.publish(fx.message("marker")).await;

    let copies = match expected {
        Duplicates::Delivered => 2,
        Duplicates::Dropped => 1,
    };
    let mut labels = vec!["p-1"; copies];
    labels.push("marker");
    for label in labels {
        let delivery = next(&mut subscription).await;
        assert_eq!(
            (fx.label(&delivery).as_str(), delivery.attempt),
            (label, 1),
            "expected {copies} copies of the message, then the marker"
        );
        if label == "p-1" {
            assert_eq!(delivery.message.id(), sent.id());
        }
        delivery.ack().await.unwrap();
    }
}

/// A group declared, `k` messages published, then a subscription: after
/// each delivery its lag counts the messages still waiting, exactly or
/// within what the transport documents (`expected`).
pub async fn lag_counts_waiting_messages<T: Transport>(fx: Fixture<T>, expected: Lag) {
    const K: u64 = 5;
    let group = fx.group("billing");
    fx.transport.declare(&fx.event_type, &group).await.unwrap();
    for i in 0..K {
        fx.publish(fx.message(&format!("p-{i}"))).await;
    }
    let mut subscription = fx.subscribe(&group).await;
    for delivered in 1..=K {
        let delivery = next(&mut subscription).await;
        let lag = subscription.lag();
        match expected {
            Lag::Exact => assert_eq!(
                lag,
                Some(K - delivered),
                "after {delivered} of {K} deliveries"
            ),
            Lag::AtMostUnacknowledged => {
                let unacknowledged = K - delivered + 1;
                assert!(
                    lag.is_some_and(|lag| lag <= unacknowledged),
                    "after {delivered} of {K} deliveries: {lag:?}, above {unacknowledged}"
                );
            }
        }
        delivery.ack().await.unwrap();
    }
}
