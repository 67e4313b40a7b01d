//! The NATS JetStream transport against a real server (`NATS_URL`, the
//! local server by default). Each test makes its own stream, with a unique
//! name and subject prefix, and deletes it at the end, whatever happens.
//!
//! No assertion depends on how long something took: waits observe the
//! server's state (its counts, its timestamps) within a generous bound.

#[path = "support/proxy.rs"]
mod proxy;
#[path = "support/services.rs"]
mod services;
mod support;

use proxy::Proxy;
use std::time::Duration;

use event_core::integration::{ConsumeError, Consumer, IntegrationPublisher, encode};
use event_core::nats::{Mode, NatsConfig, NatsSubscription, NatsTransport, StreamSettings};
use event_core::prelude::*;
use event_core::transport::{Delivery, Message, Subscription, Transport, TransportError};

/// A parcel left the warehouse.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub parcel_id: String,
}

const SHIPPED: &str = ParcelShippedIntegrationEvent::FULL_TYPE;

/// The bound on every wait: far above what any step needs.
const BOUND: Duration = Duration::from_secs(60);

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
    let event = delivery
        .message
        .to_cloud_event(&event_core::binding::NATS)
        .unwrap();
    let envelope =
        Envelope::<ParcelShippedIntegrationEvent>::from_json(event.to_json_vec()).unwrap();
    envelope.data().parcel_id.clone()
}

/// Runs a test body on a one-thread runtime with the timer and the network.
fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A test's stream, deleted when dropped (on another thread, with its own
/// connection, so that it happens after a failed assertion too).
struct Stream {
    url: String,
    config: NatsConfig,
}

impl Drop for Stream {
    fn drop(&mut self) {
        let url = self.url.clone();
        let config = self.config.clone();
        let _ = std::thread::spawn(move || {
            run(async move {
                if let Ok(transport) = NatsTransport::connect(&url, config).await {
                    let _ = transport.delete_stream().await;
                }
            });
        })
        .join();
    }
}

/// A transport on a fresh stream of its own, or `None` (with a notice) when
/// the server cannot be reached.
async fn setup(
    test: &str,
    tune: impl FnOnce(NatsConfig) -> NatsConfig,
) -> Option<(NatsTransport, Stream)> {
    let url = services::nats_url();
    let name = services::unique_name(test);
    let config = tune(
        NatsConfig::new(name.to_uppercase(), format!("t_{name}"))
            .with_fetch_expiry(Duration::from_secs(1))
            .with_request_timeout(Duration::from_secs(5)),
    );
    let transport = match NatsTransport::connect(&url, config.clone()).await {
        Ok(transport) => transport,
        Err(error) => return services::unreachable(test, "NATS", &url, error),
    };
    if let Err(error) = transport
        .ensure_stream(&StreamSettings::default().with_memory(true))
        .await
    {
        return services::unreachable(test, "NATS JetStream", &url, error);
    }
    Some((transport, Stream { url, config }))
}

/// The next delivery, within the bound.
async fn next(subscription: &mut NatsSubscription) -> Delivery {
    tokio::time::timeout(BOUND, subscription.next())
        .await
        .expect("a delivery within the bound")
        .unwrap()
        .expect("the subscription is open")
}

/// What the server counts for a group's consumer: (messages not yet
/// delivered, deliveries not yet acknowledged).
async fn pending(transport: &NatsTransport, consumer: &str) -> (u64, usize) {
    let name = transport.consumer_name(SHIPPED, consumer);
    let stream = transport
        .jetstream()
        .get_stream(&transport.config().stream)
        .await
        .unwrap();
    let info = stream.consumer_info(&name).await.unwrap();
    (info.num_pending, info.num_ack_pending)
}

/// How many messages the stream holds.
async fn stored(transport: &NatsTransport) -> u64 {
    let mut stream = transport
        .jetstream()
        .get_stream(&transport.config().stream)
        .await
        .unwrap();
    stream.info().await.unwrap().state.messages
}

/// Waits, asking the server, until `done` holds; fails after the bound.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + BOUND;
    while tokio::time::Instant::now() < deadline {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up waiting until {what}");
}

/// The server's clock now: the time it stored a marker message.
async fn server_time(transport: &NatsTransport) -> i128 {
    let subject = format!("{}.marker._", transport.config().subject_prefix);
    let ack = transport
        .jetstream()
        .publish(subject, "marker".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let stream = transport
        .jetstream()
        .get_stream(&transport.config().stream)
        .await
        .unwrap();
    let stored = stream.get_raw_message(ack.sequence).await.unwrap();
    stored.time.unix_timestamp_nanos()
}

#[test]
fn an_envelope_goes_round_trip_in_binary_mode() {
    run(async {
        let Some((transport, _stream)) = setup("nats_round_trip", |c| c).await else {
            return;
        };
        let mut consumer =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        let mut envelope = shipped("p-1");
        envelope = envelope.with_partition_key("warehouse 7");
        IntegrationPublisher::new(transport.clone())
            .publish(&envelope)
            .await
            .unwrap();

        let received = tokio::time::timeout(BOUND, consumer.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(received.envelope, envelope);
        assert_eq!(received.delivery.attempt, 1);
        assert_eq!(received.delivery.message.id(), envelope.id().as_str());
        assert_eq!(received.envelope.partition_key(), Some("warehouse 7"));
        assert_eq!(
            received.delivery.message.partition_key().as_deref(),
            Some("warehouse 7")
        );
        received.ack().await.unwrap();

        // On the wire: the id for de-duplication, the attributes in `ce-`
        // headers, the data alone, the key as the subject's last token.
        let stream = transport
            .jetstream()
            .get_stream(&transport.config().stream)
            .await
            .unwrap();
        let raw = stream.get_raw_message(1).await.unwrap();
        let header = |name: &str| raw.headers.get_last(name).map(|v| v.as_str().to_owned());
        assert_eq!(
            header("Nats-Msg-Id").as_deref(),
            Some(envelope.id().as_str())
        );
        assert_eq!(header("ce-id").as_deref(), Some(envelope.id().as_str()));
        assert_eq!(header("ce-type").as_deref(), Some(SHIPPED));
        assert_eq!(header("content-type").as_deref(), Some("application/json"));
        assert_eq!(
            raw.subject.as_str(),
            format!(
                "{}.parcel.shipped.v1.warehouse~207",
                transport.config().subject_prefix
            )
        );
        let data: serde_json::Value = serde_json::from_slice(&raw.payload).unwrap();
        assert_eq!(data, serde_json::json!({"parcel_id": "p-1"}));
        assert_eq!(pending(&transport, "billing").await, (0, 0));
    });
}

#[test]
fn an_envelope_goes_round_trip_in_structured_mode() {
    run(async {
        let Some((transport, _stream)) =
            setup("nats_structured", |c| c.with_mode(Mode::Structured)).await
        else {
            return;
        };
        let mut consumer =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        let envelope = shipped("p-1");
        let message = encode(&envelope).unwrap();
        transport.publish(message.clone()).await.unwrap();
        let received = tokio::time::timeout(BOUND, consumer.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(received.envelope, envelope);
        assert_eq!(received.delivery.message.payload(), message.payload());
        assert_eq!(
            received.delivery.message.content_type(),
            Some("application/cloudevents+json")
        );
        received.ack().await.unwrap();
    });
}

#[test]
fn the_server_stores_a_message_published_twice_once() {
    run(async {
        let Some((transport, _stream)) = setup("nats_dedup", |c| c).await else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let message = message("p-1");
        // A relay that lost the first ack publishes again.
        transport.publish(message.clone()).await.unwrap();
        transport.publish(message.clone()).await.unwrap();
        assert_eq!(stored(&transport).await, 1);

        let delivery = next(&mut billing).await;
        assert_eq!(delivery.message.id(), message.id());
        delivery.ack().await.unwrap();
        // Nothing else for the group: none waiting, none in flight.
        assert_eq!(pending(&transport, "billing").await, (0, 0));
    });
}

#[test]
fn a_nacked_delivery_comes_again_and_a_delayed_one_not_before_its_delay() {
    run(async {
        let Some((transport, _stream)) = setup("nats_nack", |c| c).await else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        transport.publish(message("p-1")).await.unwrap();

        // A plain nack: again at once, as attempt 2.
        let first = next(&mut billing).await;
        assert_eq!(first.attempt, 1);
        first.nack().await.unwrap();
        let second = next(&mut billing).await;
        assert_eq!((parcel(&second), second.attempt), ("p-1".to_owned(), 2));

        // A nack with a delay: again as attempt 3, and the server's clock
        // shows the delay passed between a time taken before the nack and
        // one taken once it came back.
        let delay = Duration::from_millis(1500);
        let before = server_time(&transport).await;
        second.nack_after(delay).await.unwrap();
        let third = next(&mut billing).await;
        let after = server_time(&transport).await;
        assert_eq!((parcel(&third), third.attempt), ("p-1".to_owned(), 3));
        assert!(
            after - before >= i128::try_from(delay.as_nanos()).unwrap(),
            "redelivered {} ns after the nack, before its delay",
            after - before
        );
        third.ack().await.unwrap();
        assert_eq!(pending(&transport, "billing").await, (0, 0));
    });
}

#[test]
fn a_message_delivered_too_often_becomes_a_dead_letter_and_can_be_requeued() {
    run(async {
        let Some((transport, _stream)) = setup("nats_dead", |c| c.with_max_deliver(Some(2))).await
        else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        transport.declare(SHIPPED, "tracking").await.unwrap();
        let original = message("p-1");
        transport.publish(original.clone()).await.unwrap();
        for attempt in 1..=2 {
            let delivery = next(&mut billing).await;
            assert_eq!(delivery.attempt, attempt);
            delivery.nack().await.unwrap();
        }
        // The third delivery is not handed out: it is moved aside.
        eventually("the message is dead-lettered", || {
            let transport = transport.clone();
            async move {
                !transport
                    .dead_letters(SHIPPED, "billing")
                    .await
                    .unwrap()
                    .is_empty()
            }
        })
        .await;
        let mut letters = transport.dead_letters(SHIPPED, "billing").await.unwrap();
        assert_eq!(letters.len(), 1);
        let letter = letters.remove(0);
        assert_eq!(letter.consumer, "billing");
        assert_eq!(letter.attempts, 2);
        assert_eq!(letter.message.id(), original.id());
        assert_eq!(
            letter
                .message
                .to_cloud_event(&event_core::binding::NATS)
                .unwrap(),
            original.to_cloud_event(&event_core::binding::NATS).unwrap()
        );
        eventually("the dead letter is settled", || {
            let transport = transport.clone();
            async move { pending(&transport, "billing").await == (0, 0) }
        })
        .await;
        // The other group still has it.
        assert_eq!(pending(&transport, "tracking").await, (1, 0));
        assert!(
            transport
                .dead_letters(SHIPPED, "tracking")
                .await
                .unwrap()
                .is_empty()
        );

        // An operator requeues it to billing: a new message, attempt 1.
        transport
            .requeue(letter.message.clone(), "billing")
            .await
            .unwrap();
        let again = next(&mut billing).await;
        assert_eq!((again.message.id(), again.attempt), (original.id(), 1));
        assert_eq!(parcel(&again), "p-1");
        again.ack().await.unwrap();
        transport
            .discard_dead_letter(letter.sequence)
            .await
            .unwrap();
        assert!(
            transport
                .dead_letters(SHIPPED, "billing")
                .await
                .unwrap()
                .is_empty()
        );
    });
}

#[test]
fn a_requeued_message_goes_to_one_group_only() {
    run(async {
        let Some((transport, _stream)) = setup("nats_requeue", |c| c).await else {
            return;
        };
        transport.declare(SHIPPED, "billing").await.unwrap();
        transport.declare(SHIPPED, "tracking").await.unwrap();
        let message = message("p-1");
        transport.requeue(message.clone(), "billing").await.unwrap();

        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let delivery = next(&mut billing).await;
        assert_eq!(delivery.message.id(), message.id());
        assert_eq!(delivery.message.payload(), message.payload());
        assert_eq!(delivery.attempt, 1);
        delivery.ack().await.unwrap();

        // Tracking's consumers have nothing: neither its messages' nor its
        // requeued ones'.
        assert_eq!(pending(&transport, "tracking").await, (0, 0));
        let requeued = format!("{}~~requeue", transport.consumer_name(SHIPPED, "tracking"));
        let stream = transport
            .jetstream()
            .get_stream(&transport.config().stream)
            .await
            .unwrap();
        let info = stream.consumer_info(&requeued).await.unwrap();
        assert_eq!((info.num_pending, info.num_ack_pending), (0, 0));

        // A group never declared is declared by the requeue.
        transport.requeue(message, "audit").await.unwrap();
        let mut audit = transport.subscribe(SHIPPED, "audit").await.unwrap();
        let delivery = next(&mut audit).await;
        assert_eq!(delivery.attempt, 1);
        delivery.ack().await.unwrap();
    });
}

#[test]
fn every_group_receives_every_message_and_a_group_shares_them() {
    run(async {
        let Some((transport, _stream)) = setup("nats_groups", |c| c.with_batch(2)).await else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let mut tracking_a = transport.subscribe(SHIPPED, "tracking").await.unwrap();
        let mut tracking_b = transport.subscribe(SHIPPED, "tracking").await.unwrap();
        for n in 1..=6 {
            transport.publish(message(&format!("p-{n}"))).await.unwrap();
        }
        let mut billed = Vec::new();
        for _ in 1..=6 {
            let delivery = next(&mut billing).await;
            billed.push(parcel(&delivery));
            delivery.ack().await.unwrap();
        }
        billed.sort();
        assert_eq!(billed, ["p-1", "p-2", "p-3", "p-4", "p-5", "p-6"]);

        // The two tracking subscriptions compete: together, each message
        // once.
        let mut tracked = Vec::new();
        while tracked.len() < 6 {
            let delivery = tokio::select! {
                d = tracking_a.next() => d,
                d = tracking_b.next() => d,
                () = tokio::time::sleep(BOUND) => panic!("no delivery within the bound"),
            }
            .unwrap()
            .unwrap();
            assert_eq!(delivery.attempt, 1);
            tracked.push(parcel(&delivery));
            delivery.ack().await.unwrap();
        }
        tracked.sort();
        assert_eq!(tracked, billed);
        assert_eq!(pending(&transport, "billing").await, (0, 0));
        assert_eq!(pending(&transport, "tracking").await, (0, 0));
    });
}

#[test]
fn deliveries_in_flight_are_bounded_by_max_ack_pending() {
    run(async {
        let Some((transport, _stream)) = setup("nats_in_flight", |c| {
            c.with_max_ack_pending(2).with_batch(5)
        })
        .await
        else {
            return;
        };
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        for n in 1..=5 {
            transport.publish(message(&format!("p-{n}"))).await.unwrap();
        }
        let held = [next(&mut billing).await, next(&mut billing).await];
        // Two unsettled: the server delivers no more until one is settled.
        eventually("the server holds back the other three", || {
            let transport = transport.clone();
            async move { pending(&transport, "billing").await == (3, 2) }
        })
        .await;
        for delivery in held {
            delivery.ack().await.unwrap();
        }
        for _ in 3..=5 {
            next(&mut billing).await.ack().await.unwrap();
        }
        assert_eq!(pending(&transport, "billing").await, (0, 0));
    });
}

#[test]
fn a_consumer_that_starts_after_declare_misses_nothing() {
    run(async {
        let Some((transport, _stream)) = setup("nats_declare", |c| c).await else {
            return;
        };
        // Before the group: not for it.
        transport.publish(message("p-0")).await.unwrap();
        transport.declare(SHIPPED, "billing").await.unwrap();
        transport.declare(SHIPPED, "billing").await.unwrap();
        for n in 1..=3 {
            transport.publish(message(&format!("p-{n}"))).await.unwrap();
        }
        assert_eq!(pending(&transport, "billing").await, (3, 0));

        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        let mut got = Vec::new();
        for _ in 1..=3 {
            let delivery = next(&mut billing).await;
            got.push(parcel(&delivery));
            delivery.ack().await.unwrap();
        }
        assert_eq!(got, ["p-1", "p-2", "p-3"]);
        assert_eq!(pending(&transport, "billing").await, (0, 0));
    });
}

#[test]
fn bad_input_is_a_typed_error() {
    run(async {
        let Some((transport, _stream)) = setup("nats_bad_input", |c| c).await else {
            return;
        };
        let mut consumer =
            Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();

        // What the transport cannot send is refused, not sent.
        let garbage = Message::new("G-1", SHIPPED, b"not json".to_vec());
        assert!(matches!(
            transport.publish(garbage).await,
            Err(TransportError::Rejected(_))
        ));
        let broken = message("p-1");
        let broken = broken.with_header("x-note", "two\r\nlines");
        assert!(matches!(
            transport.publish(broken).await,
            Err(TransportError::Rejected(_))
        ));
        let anonymous = message("p-1");
        let anonymous = Message::from_parts(
            "",
            anonymous.event_type(),
            anonymous.headers(),
            anonymous.payload().to_vec(),
        );
        assert!(matches!(
            transport.publish(anonymous).await,
            Err(TransportError::Rejected(_))
        ));
        assert_eq!(stored(&transport).await, 0);

        // What another producer put on the subject without headers arrives,
        // and does not decode: handed back unsettled, with a typed error.
        let subject = format!("{}.parcel.shipped.v1._", transport.config().subject_prefix);
        transport
            .jetstream()
            .publish(subject, "{oops".into())
            .await
            .unwrap()
            .await
            .unwrap();
        let outcome = tokio::time::timeout(BOUND, consumer.next())
            .await
            .unwrap()
            .unwrap();
        let Err(ConsumeError::Decode { delivery, .. }) = outcome else {
            panic!("expected a decode error, got {outcome:?}");
        };
        assert_eq!(delivery.message.id(), "");
        assert_eq!(delivery.message.payload(), b"{oops");
        delivery.ack().await.unwrap();
    });
}

#[test]
fn publishing_where_no_stream_captures_the_subject_is_unavailable() {
    run(async {
        let Some((transport, _stream)) = setup("nats_no_stream", |c| c).await else {
            return;
        };
        // Another prefix: no stream captures its subjects (yet). The relay
        // must back off and try again, not count it against the message.
        let elsewhere = NatsConfig::new(
            transport.config().stream.clone(),
            format!("{}_elsewhere", transport.config().subject_prefix),
        );
        let elsewhere = NatsTransport::connect(&services::nats_url(), elsewhere)
            .await
            .unwrap();
        let outcome = elsewhere.publish(message("p-1")).await;
        assert!(
            matches!(outcome, Err(TransportError::Unavailable(_))),
            "{outcome:?}"
        );
        assert_eq!(stored(&transport).await, 0);
    });
}

/// `host:port` of a `nats://host:port` URL.
fn server_address(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let rest = rest.rsplit('@').next().unwrap_or(rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

#[test]
fn publishing_and_subscriptions_recover_after_the_connection_drops() {
    run(async {
        let Some((direct, _stream)) = setup("nats_recover", |c| c).await else {
            return;
        };
        let proxy = Proxy::start(server_address(&services::nats_url())).await;
        let config = direct
            .config()
            .clone()
            .with_request_timeout(Duration::from_secs(2));
        let proxied = NatsTransport::connect(&format!("nats://{}", proxy.address), config)
            .await
            .unwrap();
        let client = proxied.jetstream().client();
        let mut billing = proxied.subscribe(SHIPPED, "billing").await.unwrap();
        proxied.publish(message("p-1")).await.unwrap();
        let first = next(&mut billing).await;
        assert_eq!(parcel(&first), "p-1");
        first.ack().await.unwrap();

        proxy.cut();
        eventually("the client sees the connection drop", || {
            let state = format!("{:?}", client.connection_state());
            async move { state != "Connected" }
        })
        .await;
        // While it is down: the publish fails as unavailable, never hangs.
        let m2 = message("p-2");
        let failed = proxied.publish(m2.clone()).await;
        assert!(
            matches!(failed, Err(TransportError::Unavailable(_))),
            "{failed:?}"
        );
        // Another connection publishes meanwhile.
        direct.publish(message("p-3")).await.unwrap();

        proxy.restore();
        // The relay tries again until the broker takes it.
        let mut tries = 0;
        while let Err(error) = proxied.publish(m2.clone()).await {
            assert!(matches!(error, TransportError::Unavailable(_)), "{error}");
            tries += 1;
            assert!(tries < 30, "the publish never succeeded again");
        }
        // The subscription resumed: both arrive, each once.
        let mut got = Vec::new();
        for _ in 0..2 {
            let delivery = next(&mut billing).await;
            got.push(parcel(&delivery));
            delivery.ack().await.unwrap();
        }
        got.sort();
        assert_eq!(got, ["p-2", "p-3"]);
        assert_eq!(stored(&direct).await, 3);
        eventually("nothing is left for billing", || {
            let direct = direct.clone();
            async move { pending(&direct, "billing").await == (0, 0) }
        })
        .await;
    });
}

/// A NATS server of the test's own, with JetStream storing in a folder of
/// its own, which the test stops and starts again.
struct OwnServer {
    port: u16,
    store: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl OwnServer {
    /// Starts `nats-server` on a free port, or says why it cannot.
    fn start(test: &str) -> Result<OwnServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let store = std::env::temp_dir().join(services::unique_name(test));
        let mut server = OwnServer {
            port,
            store,
            child: None,
        };
        server.restart()?;
        Ok(server)
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again), and waits until it accepts connections.
    fn restart(&mut self) -> Result<(), String> {
        let child = std::process::Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("nats-server could not be started: {e}"))?;
        self.child = Some(child);
        for _ in 0..1200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("nats-server did not start listening".to_owned())
    }

    /// Kills the server, as a crash would.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

#[test]
fn publishing_and_subscriptions_recover_after_the_server_restarts() {
    let mut server = match OwnServer::start("nats_restart") {
        Ok(server) => server,
        Err(error) => {
            let _: Option<()> =
                services::unreachable("nats_restart", "NATS", "a nats-server of its own", error);
            return;
        }
    };
    run(async {
        // A short ack wait: p-1 may come again after it (see below).
        let config = NatsConfig::new("RESTART", "restart")
            .with_ack_wait(Duration::from_secs(5))
            .with_fetch_expiry(Duration::from_secs(1))
            .with_request_timeout(Duration::from_secs(2));
        let transport = NatsTransport::connect(&server.url(), config).await.unwrap();
        // Files: what the server stored survives it.
        transport
            .ensure_stream(&StreamSettings::default())
            .await
            .unwrap();
        let mut billing = transport.subscribe(SHIPPED, "billing").await.unwrap();
        transport.publish(message("p-1")).await.unwrap();
        let first = next(&mut billing).await;
        assert_eq!(parcel(&first), "p-1");
        first.ack().await.unwrap();

        server.kill();
        let down = transport.publish(message("p-2")).await;
        assert!(
            matches!(down, Err(TransportError::Unavailable(_))),
            "{down:?}"
        );
        server.restart().unwrap();

        let m3 = message("p-3");
        let mut tries = 0;
        while let Err(error) = transport.publish(m3.clone()).await {
            assert!(matches!(error, TransportError::Unavailable(_)), "{error}");
            tries += 1;
            assert!(tries < 30, "the publish never succeeded again");
        }
        // The subscription pulls again from the consumer the server kept:
        // p-3, and p-2 if its publish reached the server before it died or
        // was sent once it was back, each once. p-1 may come again: the
        // server confirmed its ack, but a killed server may not have written
        // the consumer's state to disk yet (at least once; the inbox absorbs
        // it).
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + BOUND;
        loop {
            let waiting = pending(&transport, "billing").await;
            if got.contains(&"p-3".to_owned()) && waiting == (0, 0) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "got {got:?}, the server counts {waiting:?} waiting"
            );
            if let Ok(delivery) =
                tokio::time::timeout(Duration::from_millis(200), billing.next()).await
            {
                let delivery = delivery.unwrap().unwrap();
                got.push(parcel(&delivery));
                delivery.ack().await.unwrap();
            }
        }
        got.sort();
        got.retain(|parcel| parcel != "p-1");
        assert!(
            got == ["p-3"] || got == ["p-2", "p-3"],
            "delivered after the restart, p-1 left out: {got:?}"
        );
    });
}
