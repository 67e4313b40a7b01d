//! The RabbitMQ transport on a real broker (`AMQP_URL`, by default the local
//! server with the guest user): both content modes, redelivery with counted
//! attempts, delayed redelivery through wait queues, requeueing to one
//! group, durable groups, typed errors for bad input, and recovery after the
//! connection drops (through a TCP proxy the test starts and cuts).
//!
//! Each test uses its own exchange and queues, named by `unique_name`, and
//! deletes them at its end. Without a reachable broker each test prints a
//! notice and passes, unless `EVENT_CORE_REQUIRE_SERVICES=1`.

#[path = "support/proxy.rs"]
mod proxy;
#[path = "support/services.rs"]
mod services;
mod support;

use proxy::Proxy;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use event_core::integration::{ConsumeError, Consumer, IntegrationPublisher, encode};
use event_core::prelude::*;
use event_core::rabbitmq::{ContentMode, RabbitMqSubscription, RabbitMqTransport};
use event_core::transport::{Delivery, Headers, Message, Subscription, Transport, TransportError};
use lapin::options::{BasicGetOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};

/// A parcel left the warehouse.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub parcel_id: String,
}

const SHIPPED: &str = ParcelShippedIntegrationEvent::FULL_TYPE;

/// The bound on every wait: far above what a loaded machine needs.
const BOUND: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A transport on its own exchange, connected; `None` (with a notice) when
/// the broker cannot be reached and services are not required.
async fn transport(test: &str, url: &str) -> Option<RabbitMqTransport> {
    let transport = RabbitMqTransport::new(url).with_exchange(services::unique_name("evc_rmq"));
    match transport.connect().await {
        Ok(()) => Some(transport),
        Err(error) => services::unreachable(test, "RabbitMQ", url, error),
    }
}

/// Deletes the test's exchange and the groups it declared, once their
/// subscriptions are gone.
async fn clean_up(transport: &RabbitMqTransport, groups: &[&str]) {
    for group in groups {
        let start = Instant::now();
        while transport.consumers(SHIPPED, group).await.unwrap() > 0 {
            assert!(start.elapsed() < BOUND, "{group} kept its consumers");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    for group in groups {
        transport.delete_group(SHIPPED, group).await.unwrap();
    }
    transport.delete_exchange().await.unwrap();
    transport.close().await;
}

fn shipped(id: &str) -> Envelope<ParcelShippedIntegrationEvent> {
    Envelope::new(
        "/shipping",
        ParcelShippedIntegrationEvent {
            parcel_id: id.into(),
        },
    )
}

fn message(id: &str) -> Message {
    encode(&shipped(id)).unwrap()
}

fn parcel(delivery: &Delivery) -> String {
    Envelope::<ParcelShippedIntegrationEvent>::from_json(delivery.message.payload())
        .unwrap()
        .data()
        .parcel_id
        .clone()
}

/// The next delivery, within the bound.
async fn next(subscription: &mut RabbitMqSubscription) -> Delivery {
    tokio::time::timeout(BOUND, subscription.next())
        .await
        .expect("a delivery within the bound")
        .expect("no transport error")
        .expect("an open subscription")
}

/// Waits, looking every few milliseconds, until `count` holds for the
/// group's ready messages.
async fn wait_ready(transport: &RabbitMqTransport, group: &str, count: u32) {
    let start = Instant::now();
    loop {
        if transport.ready(SHIPPED, group).await.unwrap() == count {
            return;
        }
        assert!(start.elapsed() < BOUND, "{group} never had {count} ready");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A plain lapin channel, to look at what the transport left on the broker.
async fn raw_channel(url: &str) -> (lapin::Connection, lapin::Channel) {
    let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    (connection, channel)
}

/// How many messages a queue holds, ready.
async fn queue_count(channel: &lapin::Channel, queue: &str) -> u32 {
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap()
        .message_count()
}

fn sorted(headers: Headers<'_>) -> BTreeSet<(String, String)> {
    headers.map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
}

#[test]
fn envelopes_round_trip_in_binary_and_structured_mode() {
    let url = services::amqp_url();
    runtime().block_on(async {
        for mode in [ContentMode::Binary, ContentMode::Structured] {
            let Some(transport) = transport("round_trip", &url).await else {
                return;
            };
            let transport = transport.with_mode(mode);
            transport.declare(SHIPPED, "wire").await.unwrap();
            let mut billing =
                Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                    .await
                    .unwrap();

            let envelope = shipped("p-1").with_partition_key("eu.warehouse-7");
            let sent = encode(&envelope).unwrap();
            IntegrationPublisher::new(transport.clone())
                .publish(&envelope)
                .await
                .unwrap();

            // The typed consumer reads it back, whole.
            let received = tokio::time::timeout(BOUND, billing.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(received.envelope, envelope);
            assert_eq!(received.delivery.attempt, 1);
            assert_eq!(received.delivery.message.id(), envelope.id().to_string());
            assert_eq!(received.delivery.message.event_type(), SHIPPED);
            assert_eq!(
                sorted(received.delivery.message.headers()),
                sorted(sent.headers()),
                "{mode:?}"
            );
            received.ack().await.unwrap();

            // On the wire: the event id as `message_id`, the partition key
            // in the routing key, and binary mode's `cloudEvents_` headers.
            let (connection, channel) = raw_channel(&url).await;
            let queue = transport.queue_name(SHIPPED, "wire").unwrap();
            let raw = channel
                .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
                .await
                .unwrap()
                .expect("the copy of the `wire` group");
            let properties = &raw.delivery.properties;
            assert_eq!(
                properties.message_id().as_ref().unwrap().as_str(),
                envelope.id().to_string()
            );
            assert_eq!(
                raw.delivery.routing_key.as_str(),
                format!("{SHIPPED}.eu%2Ewarehouse-7")
            );
            let headers = properties.headers().as_ref().unwrap().inner();
            match mode {
                ContentMode::Binary => {
                    assert_eq!(
                        headers.get("cloudEvents_id"),
                        Some(&AMQPValue::LongString(envelope.id().to_string().into()))
                    );
                    assert_eq!(
                        headers.get("cloudEvents_type"),
                        Some(&AMQPValue::LongString(SHIPPED.into()))
                    );
                    assert_eq!(
                        properties.content_type().as_ref().unwrap().as_str(),
                        "application/json"
                    );
                    let data: serde_json::Value =
                        serde_json::from_slice(&raw.delivery.data).unwrap();
                    assert_eq!(data["parcel_id"], "p-1");
                }
                _ => {
                    assert!(!headers.contains_key("cloudEvents_id"));
                    assert_eq!(
                        properties.content_type().as_ref().unwrap().as_str(),
                        "application/cloudevents+json"
                    );
                    assert_eq!(raw.delivery.data, sent.payload());
                }
            }
            connection.close(200, "done".into()).await.unwrap();
            drop(billing);
            clean_up(&transport, &["billing", "wire"]).await;
        }
    });
}

#[test]
fn a_nack_redelivers_with_the_next_attempt() {
    let url = services::amqp_url();
    runtime().block_on(async {
        let Some(transport) = transport("nack", &url).await else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        transport.publish(message("p-1")).await.unwrap();

        let first = next(&mut billing).await;
        assert_eq!(first.attempt, 1);
        let id = first.message.id().to_owned();
        first.nack().await.unwrap();
        let second = next(&mut billing).await;
        assert_eq!((second.message.id(), second.attempt), (id.as_str(), 2));
        second.nack().await.unwrap();
        let third = next(&mut billing).await;
        assert_eq!((third.message.id(), third.attempt), (id.as_str(), 3));
        // Dropped without an answer: delivered again, counted.
        drop(third);
        let fourth = next(&mut billing).await;
        assert_eq!((fourth.message.id(), fourth.attempt), (id.as_str(), 4));
        fourth.ack().await.unwrap();
        wait_ready(&transport, "billing", 0).await;

        billing.close().await;
        clean_up(&transport, &["billing"]).await;
    });
}

#[test]
fn a_delayed_nack_waits_in_a_wait_queue_and_comes_back_after_its_delay() {
    let url = services::amqp_url();
    runtime().block_on(async {
        let Some(transport) = transport("delayed_nack", &url).await else {
            return;
        };
        let (connection, channel) = raw_channel(&url).await;
        let queue = transport.queue_name(SHIPPED, "billing").unwrap();
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        transport.publish(message("p-long")).await.unwrap();
        transport.publish(message("p-short")).await.unwrap();

        let long = next(&mut billing).await;
        assert_eq!((parcel(&long).as_str(), long.attempt), ("p-long", 1));
        long.nack_after(Duration::from_secs(3600)).await.unwrap();
        // Held by the broker in the group's wait queue for that delay.
        assert_eq!(
            queue_count(&channel, &format!("{queue}:wait:3600000")).await,
            1
        );

        let short = next(&mut billing).await;
        assert_eq!((parcel(&short).as_str(), short.attempt), ("p-short", 1));
        let nacked = Instant::now();
        short.nack_after(Duration::from_millis(300)).await.unwrap();

        // The short delay comes back, as attempt 2, while the long one still
        // waits; never before its delay.
        let again = next(&mut billing).await;
        assert!(nacked.elapsed() >= Duration::from_millis(300));
        assert_eq!((parcel(&again).as_str(), again.attempt), ("p-short", 2));
        assert_eq!(
            queue_count(&channel, &format!("{queue}:wait:3600000")).await,
            1
        );
        // Counting goes on across the wait: a plain nack makes it 3.
        again.nack().await.unwrap();
        let third = next(&mut billing).await;
        assert_eq!((parcel(&third).as_str(), third.attempt), ("p-short", 3));
        third.ack().await.unwrap();

        connection.close(200, "done".into()).await.unwrap();
        billing.close().await;
        clean_up(&transport, &["billing"]).await;
    });
}

#[test]
fn requeue_delivers_to_one_group_only() {
    let url = services::amqp_url();
    runtime().block_on(async {
        let Some(transport) = transport("requeue", &url).await else {
            return;
        };
        transport.declare(SHIPPED, "billing").await.unwrap();
        transport.declare(SHIPPED, "tracking").await.unwrap();
        let dead = message("p-dead");
        transport.requeue(dead.clone(), "billing").await.unwrap();

        wait_ready(&transport, "billing", 1).await;
        assert_eq!(transport.ready(SHIPPED, "tracking").await.unwrap(), 0);
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let delivery = next(&mut billing).await;
        assert_eq!(delivery.message.id(), dead.id());
        assert_eq!(delivery.attempt, 1);
        assert_eq!(parcel(&delivery), "p-dead");
        delivery.ack().await.unwrap();
        assert_eq!(transport.ready(SHIPPED, "tracking").await.unwrap(), 0);

        billing.close().await;
        clean_up(&transport, &["billing", "tracking"]).await;
    });
}

#[test]
fn every_group_receives_every_message() {
    let url = services::amqp_url();
    runtime().block_on(async {
        let Some(transport) = transport("groups", &url).await else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let mut tracking = transport.subscribe(SHIPPED, "tracking").await.unwrap();
        let ids: Vec<String> = (1..=5).map(|n| format!("p-{n}")).collect();
        for id in &ids {
            transport.publish(message(id)).await.unwrap();
        }
        for group in [&mut billing, &mut tracking] {
            let mut received = Vec::new();
            for _ in &ids {
                let delivery = next(group).await;
                received.push(parcel(&delivery));
                delivery.ack().await.unwrap();
            }
            assert_eq!(received, ids);
        }
        wait_ready(&transport, "billing", 0).await;
        wait_ready(&transport, "tracking", 0).await;

        billing.close().await;
        tracking.close().await;
        clean_up(&transport, &["billing", "tracking"]).await;
    });
}

#[test]
fn a_group_declared_before_publishing_keeps_what_is_published_while_no_subscription_is_open() {
    let url = services::amqp_url();
    runtime().block_on(async {
        let Some(transport) = transport("declared", &url).await else {
            return;
        };
        // Published before the group exists: for nobody.
        transport.publish(message("p-0")).await.unwrap();
        transport.declare(SHIPPED, "billing").await.unwrap();
        // Declaring again changes nothing.
        transport.declare(SHIPPED, "billing").await.unwrap();
        for n in 1..=3 {
            transport.publish(message(&format!("p-{n}"))).await.unwrap();
        }
        wait_ready(&transport, "billing", 3).await;

        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let mut received = Vec::new();
        for _ in 1..=3 {
            let delivery = next(&mut billing).await;
            received.push(parcel(&delivery));
            delivery.ack().await.unwrap();
        }
        assert_eq!(received, ["p-1", "p-2", "p-3"]);
        wait_ready(&transport, "billing", 0).await;

        billing.close().await;
        clean_up(&transport, &["billing"]).await;
    });
}

fn assert_rejected(result: Result<impl std::fmt::Debug, TransportError>, what: &str) {
    match result {
        Err(TransportError::Rejected(why)) => assert!(!why.is_empty(), "{what}"),
        other => panic!("{what}: expected a rejection, got {other:?}"),
    }
}

#[test]
fn bad_input_is_a_typed_error_and_the_transport_goes_on() {
    let url = services::amqp_url();
    runtime().block_on(async {
        let Some(transport) = transport("bad_input", &url).await else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let good = message("p-1");

        let not_an_event = good.clone().with_payload(b"{not json".to_vec());
        assert_rejected(
            transport.publish(not_an_event.clone()).await,
            "binary mode of no CloudEvent",
        );
        let structured = transport.clone().with_mode(ContentMode::Structured);
        // Structured mode carries the bytes as they are; the consumer judges.
        structured.connect().await.unwrap();
        let too_long_id = Message::from_parts(
            &"i".repeat(300),
            good.event_type(),
            good.headers(),
            good.payload().to_vec(),
        );
        assert_rejected(
            structured.publish(too_long_id).await,
            "an id past 255 bytes",
        );
        let empty_id = Message::from_parts(
            "",
            good.event_type(),
            good.headers(),
            good.payload().to_vec(),
        );
        assert_rejected(transport.publish(empty_id).await, "an empty id");
        let wildcard = Message::from_parts(
            good.id(),
            "parcel.*",
            good.headers(),
            good.payload().to_vec(),
        );
        assert_rejected(transport.publish(wildcard).await, "a wildcard type");
        let broker_header = good.clone();
        let broker_header = broker_header.with_header("x-delivery-count", "7");
        assert_rejected(transport.publish(broker_header).await, "an x- header");
        let long_header = good.clone();
        let long_header = long_header.with_header(&"h".repeat(300), "v");
        assert_rejected(
            structured.publish(long_header).await,
            "a header name past 255 bytes",
        );
        assert_rejected(transport.subscribe("", "billing").await, "an empty type");
        assert_rejected(transport.declare(SHIPPED, "").await, "an empty consumer");
        assert_rejected(
            transport.requeue(not_an_event, "billing").await,
            "requeueing no CloudEvent",
        );
        // A group that does not exist: the broker's refusal, typed.
        assert_rejected(transport.ready(SHIPPED, "nobody").await, "an unknown group");

        // None of it broke the connection or lost anything.
        transport.publish(good.clone()).await.unwrap();
        let delivery = next(&mut billing).await;
        assert_eq!(delivery.message.id(), good.id());
        delivery.ack().await.unwrap();
        wait_ready(&transport, "billing", 0).await;

        billing.close().await;
        structured.close().await;
        clean_up(&transport, &["billing"]).await;
    });
}

#[test]
fn a_malformed_delivery_reaches_the_consumer_as_a_typed_decode_error() {
    let url = services::amqp_url();
    runtime().block_on(async {
        let Some(transport) = transport("malformed_delivery", &url).await else {
            return;
        };
        transport.declare(SHIPPED, "billing").await.unwrap();
        // Another producer's message in binary mode, of a CloudEvents
        // version this library does not read, straight into the group.
        let (connection, channel) = raw_channel(&url).await;
        let mut headers = FieldTable::default();
        headers
            .insert(
                "cloudEvents_specversion".into(),
                AMQPValue::LongString("0.3".into()),
            )
            .insert(
                "cloudEvents_id".into(),
                AMQPValue::LongString("bad-1".into()),
            );
        let properties = lapin::BasicProperties::default()
            .with_message_id("bad-1".into())
            .with_content_type("application/json".into())
            .with_headers(headers);
        let queue = transport.queue_name(SHIPPED, "billing").unwrap();
        channel
            .basic_publish(
                "".into(),
                queue.as_str().into(),
                Default::default(),
                br#"{"parcel_id":"p-1"}"#,
                properties,
            )
            .await
            .unwrap();
        connection.close(200, "done".into()).await.unwrap();

        let mut billing =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        let next = tokio::time::timeout(BOUND, billing.next())
            .await
            .unwrap()
            .unwrap();
        match next {
            Err(ConsumeError::Decode { error, delivery }) => {
                // Its attributes do not decode, so the subscription hands
                // it over as it came, and the consumer's decode of it fails
                // with a typed error saying what is wrong.
                assert!(!error.to_string().is_empty());
                // Handed over as it came, unsettled: the consumer buries it.
                assert_eq!(delivery.message.id(), "bad-1");
                assert_eq!(delivery.attempt, 1);
                assert_eq!(
                    delivery.message.header("cloudEvents_specversion"),
                    Some("0.3")
                );
                delivery.ack().await.unwrap();
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        wait_ready(&transport, "billing", 0).await;

        drop(billing);
        clean_up(&transport, &["billing"]).await;
    });
}

/// The `host:port` of an AMQP URL.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5672")
    }
}

/// `url` pointed at `127.0.0.1:port`, credentials and virtual host kept.
fn through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("amqp", url));
    let (authority, path) = rest
        .find(['/', '?'])
        .map_or((rest, ""), |i| rest.split_at(i));
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}127.0.0.1:{port}{path}")
}

#[test]
fn the_transport_and_its_subscriptions_recover_after_the_connection_drops() {
    let url = services::amqp_url();
    runtime().block_on(async {
        // The broker's own topology is made and removed directly.
        let Some(direct) = transport("recovery", &url).await else {
            return;
        };
        let proxy = Proxy::start(authority(&url)).await;
        let transport = RabbitMqTransport::new(through(&url, proxy.port()))
            .with_exchange(direct.exchange().to_owned());
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        // A group with no subscription open.
        transport.declare(SHIPPED, "audit").await.unwrap();
        transport.publish(message("p-1")).await.unwrap();
        let before = next(&mut billing).await;
        assert_eq!((parcel(&before).as_str(), before.attempt), ("p-1", 1));

        proxy.cut();
        // Not settled on the lost connection: the broker keeps it.
        assert!(matches!(
            before.ack().await,
            Ok(()) | Err(TransportError::Unavailable(_))
        ));
        // While cut, publishing fails as unavailable, nothing more.
        assert!(matches!(
            transport.publish(message("p-lost")).await,
            Err(TransportError::Unavailable(_))
        ));
        // So does the subscription, once it tries to open again.
        assert!(matches!(
            tokio::time::timeout(BOUND, billing.next()).await.unwrap(),
            Err(TransportError::Unavailable(_))
        ));

        // Meanwhile the broker loses the group with no subscription (its
        // queue deleted): the transport declares it again when it reconnects.
        direct.delete_group(SHIPPED, "audit").await.unwrap();
        assert_rejected(direct.ready(SHIPPED, "audit").await, "a deleted group");

        proxy.restore();
        // The next publish connects again; the subscription resumes and
        // gets the unsettled delivery again, counted, then the new one.
        transport.publish(message("p-2")).await.unwrap();
        let again = next(&mut billing).await;
        assert_eq!((parcel(&again).as_str(), again.attempt), ("p-1", 2));
        again.ack().await.unwrap();
        let after = next(&mut billing).await;
        assert_eq!((parcel(&after).as_str(), after.attempt), ("p-2", 1));
        after.ack().await.unwrap();
        wait_ready(&direct, "billing", 0).await;
        // Declared again before p-2 was published: it kept p-2 (not p-1).
        wait_ready(&direct, "audit", 1).await;

        billing.close().await;
        transport.close().await;
        drop(proxy);
        clean_up(&direct, &["billing", "audit"]).await;
    });
}
