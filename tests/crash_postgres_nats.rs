//! Crash safety on PostgreSQL and NATS JetStream: the multi-process crash
//! test of `support/crash.rs` (producers, relays and consumers killed with
//! SIGKILL again and again; every committed order applied exactly once, no
//! rolled-back one at all) with the relays publishing to a JetStream stream
//! of the run's own, in memory, and the consumers reading a durable consumer
//! group of it.

#[path = "support/crash.rs"]
mod crash;
#[path = "support/services.rs"]
mod services;
mod support;

use std::time::Duration;

use crash::{Broker, EVENT_TYPE, GROUP};
use event_core::BoxError;
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};

struct Nats;

fn config(name: &str) -> NatsConfig {
    NatsConfig::new(name.to_uppercase(), format!("t_{name}"))
        .with_batch(16)
        // Deliveries a killed consumer held come again soon.
        .with_ack_wait(Duration::from_secs(3))
        .with_fetch_expiry(Duration::from_secs(1))
        .with_request_timeout(Duration::from_secs(10))
}

impl Broker for Nats {
    const TEST: &'static str = "crash_postgres_nats";
    const SERVICE: &'static str = "NATS JetStream";
    type Transport = NatsTransport;

    fn url() -> String {
        services::nats_url()
    }

    async fn connect(name: &str) -> Result<NatsTransport, BoxError> {
        Ok(NatsTransport::connect(&services::nats_url(), config(name)).await?)
    }

    async fn prepare(transport: &NatsTransport) -> Result<(), BoxError> {
        Ok(transport
            .ensure_stream(&StreamSettings::default().with_memory(true))
            .await?)
    }

    async fn held(transport: &NatsTransport) -> u64 {
        group(transport).await.0
    }

    async fn figures(transport: &NatsTransport) -> String {
        let stored = transport
            .jetstream()
            .get_stream(&transport.config().stream)
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .state
            .messages;
        // Deliveries to the group, redeliveries of what killed consumers
        // held included.
        let delivered = group(transport).await.1;
        format!("{stored} messages stored in the stream, {delivered} deliveries to the group")
    }

    async fn remove(transport: &NatsTransport) {
        let _ = transport.delete_stream().await;
    }
}

/// What JetStream says of the group's consumer: the messages it holds
/// (not delivered yet, or not acknowledged yet) and its deliveries.
async fn group(transport: &NatsTransport) -> (u64, u64) {
    let name = transport.consumer_name(EVENT_TYPE, GROUP);
    let consumer = transport
        .jetstream()
        .get_stream(&transport.config().stream)
        .await
        .unwrap()
        .consumer_info(&name)
        .await
        .unwrap();
    (
        consumer.num_pending + consumer.num_ack_pending as u64,
        consumer.delivered.consumer_sequence,
    )
}

/// One of the crash test's processes; does nothing unless started by it.
#[test]
fn child() {
    crash::child::<Nats>();
}

#[cfg(unix)]
#[test]
fn killed_producers_relays_and_consumers_lose_nothing_and_apply_each_order_once() {
    crash::run::<Nats>();
}
