//! Crash safety on PostgreSQL and RabbitMQ: the multi-process crash test of
//! `support/crash.rs` (producers, relays and consumers killed with SIGKILL
//! again and again; every committed order applied exactly once, no
//! rolled-back one at all) with the relays publishing, with confirms, to a
//! topic exchange of the run's own, and the consumers reading the consumer
//! group's quorum queue (a killed consumer's unacknowledged deliveries go
//! back to it when its connection drops).

#[path = "support/crash.rs"]
mod crash;
#[path = "support/services.rs"]
mod services;
mod support;

use crash::{Broker, EVENT_TYPE, GROUP};
use event_core::BoxError;
use event_core::rabbitmq::RabbitMqTransport;

struct RabbitMq;

impl Broker for RabbitMq {
    const TEST: &'static str = "crash_postgres_rabbitmq";
    const SERVICE: &'static str = "RabbitMQ";
    type Transport = RabbitMqTransport;

    fn url() -> String {
        services::amqp_url()
    }

    async fn connect(name: &str) -> Result<RabbitMqTransport, BoxError> {
        let transport = RabbitMqTransport::new(services::amqp_url())
            .with_exchange(name)
            .with_prefetch(16);
        transport.connect().await?;
        Ok(transport)
    }

    async fn prepare(_: &RabbitMqTransport) -> Result<(), BoxError> {
        // The exchange is declared on connecting, the group's queue by the
        // test.
        Ok(())
    }

    /// The messages ready in the group's queue: AMQP does not tell how
    /// many are delivered and not yet acknowledged.
    async fn held(transport: &RabbitMqTransport) -> u64 {
        transport.ready(EVENT_TYPE, GROUP).await.unwrap().into()
    }

    async fn figures(transport: &RabbitMqTransport) -> String {
        let consumers = transport.consumers(EVENT_TYPE, GROUP).await.unwrap();
        format!("{consumers} consumers on the group's queue")
    }

    async fn remove(transport: &RabbitMqTransport) {
        let _ = transport.delete_group(EVENT_TYPE, GROUP).await;
        let _ = transport.delete_exchange().await;
        transport.close().await;
    }
}

/// One of the crash test's processes; does nothing unless started by it.
#[test]
fn child() {
    crash::child::<RabbitMq>();
}

#[cfg(unix)]
#[test]
fn killed_producers_relays_and_consumers_lose_nothing_and_apply_each_order_once() {
    crash::run::<RabbitMq>();
}
