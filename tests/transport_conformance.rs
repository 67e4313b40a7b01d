//! The transport conformance suite (`support/conformance.rs`) run against
//! every transport: in memory, SQLite, NATS JetStream and RabbitMQ, one test
//! per transport and case.
//!
//! Each test has a transport of its own: a new in-memory one, a SQLite file
//! in a fresh temporary folder, a NATS stream with its own name and subject
//! prefix, a RabbitMQ exchange with its own queues; all removed at the end,
//! also when the case fails. Without a reachable NATS server or RabbitMQ
//! broker their tests print a notice and pass, unless
//! `EVENT_CORE_REQUIRE_SERVICES=1`.

#[path = "support/conformance.rs"]
mod conformance;
#[path = "support/services.rs"]
mod services;

use std::time::Duration;

use conformance::{Duplicates, Lag, Made, Requeue};
use event_core::binding;
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
use event_core::rabbitmq::RabbitMqTransport;
use event_core::sqlite::SqliteTransport;
use event_core::transport::InMemoryTransport;

/// A new in-memory transport.
async fn in_memory(_test: &str) -> Option<Made<InMemoryTransport>> {
    Some(Made {
        transport: InMemoryTransport::new(),
        binding: &binding::HTTP,
        cleanup: Box::new(|_, _| Box::pin(async {})),
    })
}

/// A SQLite broker file in a new temporary folder, removed at the end. The
/// lease is short, so that a delivery dropped unsettled comes again within
/// seconds rather than the default half minute.
async fn sqlite(_test: &str) -> Option<Made<SqliteTransport>> {
    let dir = std::env::temp_dir().join(services::unique_name("event_core_conformance"));
    std::fs::create_dir_all(&dir).unwrap();
    let opened = SqliteTransport::open(dir.join("broker.db"));
    let cleanup_dir = dir.clone();
    let cleanup: conformance::Cleanup = Box::new(move |_, _| {
        Box::pin(async move {
            let _ = std::fs::remove_dir_all(&cleanup_dir);
        })
    });
    let transport = match opened {
        Ok(transport) => transport,
        Err(error) => {
            cleanup(Vec::new(), String::new()).await;
            panic!("cannot open a broker file in {}: {error}", dir.display());
        }
    };
    Some(Made {
        transport: transport
            .with_poll_interval(Duration::from_millis(5))
            .with_lease(Duration::from_secs(5)),
        binding: &binding::HTTP,
        cleanup,
    })
}

/// A NATS transport on a stream of its own (in memory, with its own subject
/// prefix), deleted at the end.
async fn nats(test: &str) -> Option<Made<NatsTransport>> {
    nats_acking(test, true).await
}

/// As [`nats`], with acks sent without waiting for the server's
/// confirmation.
async fn nats_unconfirmed(test: &str) -> Option<Made<NatsTransport>> {
    nats_acking(test, false).await
}

async fn nats_acking(test: &str, confirm_acks: bool) -> Option<Made<NatsTransport>> {
    let url = services::nats_url();
    let name = services::unique_name("conformance");
    let config = NatsConfig::new(name.to_uppercase(), format!("t_{name}"))
        .with_fetch_expiry(Duration::from_secs(1))
        .with_request_timeout(Duration::from_secs(5))
        .with_confirm_acks(confirm_acks);
    let transport = match NatsTransport::connect(&url, config).await {
        Ok(transport) => transport,
        Err(error) => return services::unreachable(test, "NATS", &url, error),
    };
    if let Err(error) = transport
        .ensure_stream(&StreamSettings::default().with_memory(true))
        .await
    {
        return services::unreachable(test, "NATS JetStream", &url, error);
    }
    let owner = transport.clone();
    Some(Made {
        transport,
        binding: &binding::NATS,
        cleanup: Box::new(move |_, _| {
            Box::pin(async move {
                let _ = owner.delete_stream().await;
            })
        }),
    })
}

/// A RabbitMQ transport on an exchange of its own; the exchange and the
/// groups' queues are deleted at the end.
async fn rabbitmq(test: &str) -> Option<Made<RabbitMqTransport>> {
    let url = services::amqp_url();
    let transport =
        RabbitMqTransport::new(&url).with_exchange(services::unique_name("evc_conformance"));
    if let Err(error) = transport.connect().await {
        return services::unreachable(test, "RabbitMQ", &url, error);
    }
    let owner = transport.clone();
    Some(Made {
        transport,
        binding: &binding::AMQP,
        cleanup: Box::new(move |groups, event_type| {
            Box::pin(async move {
                // The case's subscriptions close in the background once
                // dropped; a queue is deleted once they did.
                for group in &groups {
                    while owner
                        .consumers(&event_type, group)
                        .await
                        .is_ok_and(|consumers| consumers > 0)
                    {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                for group in &groups {
                    let _ = owner.delete_group(&event_type, group).await;
                }
                let _ = owner.delete_exchange().await;
                owner.close().await;
            })
        }),
    })
}

/// One test: `case` of the suite against the transport `factory` makes,
/// with the case's extra arguments.
macro_rules! case {
    ($factory:ident, $case:ident $(, $argument:expr)*) => {
        #[test]
        fn $case() {
            crate::conformance::run(
                || super::$factory(concat!(module_path!(), "::", stringify!($case))),
                |fixture| crate::conformance::$case(fixture $(, $argument)*),
            );
        }
    };
}

/// A module of tests, one per case, for the transport `factory` makes; with
/// what the transport does, by design, with a message published twice,
/// with a requeue, and how exact its lag is.
macro_rules! conformance {
    ($module:ident, $factory:ident, duplicates: $duplicates:expr, requeue: $requeue:expr, lag: $lag:expr) => {
        mod $module {
            use super::*;

            case!($factory, round_trip);
            case!($factory, declared_group_keeps_messages_while_unsubscribed);
            case!($factory, messages_before_declare_are_not_delivered);
            case!($factory, every_group_gets_every_message);
            case!($factory, subscriptions_of_a_group_share_its_messages);
            case!($factory, nack_redelivers_as_attempt_2);
            case!($factory, delayed_nack_redelivers_not_before_its_delay);
            case!($factory, dropped_delivery_is_delivered_again);
            case!($factory, acked_delivery_is_not_delivered_again);
            case!($factory, requeue_reaches_one_group, $requeue);
            case!($factory, same_id_published_twice, $duplicates);
            case!($factory, lag_counts_waiting_messages, $lag);
        }
    };
}

// Neither keeps a record of event ids: a message published twice is two
// messages. Both count their own queues exactly.
conformance!(in_memory_transport, in_memory, duplicates: Duplicates::Delivered, requeue: Requeue::ToOneGroup, lag: Lag::Exact);
conformance!(sqlite_transport, sqlite, duplicates: Duplicates::Delivered, requeue: Requeue::ToOneGroup, lag: Lag::Exact);
// JetStream de-duplicates on `Nats-Msg-Id`, the event id, within the
// stream's duplicate window; each message carries the consumer's exact
// pending count.
conformance!(nats_transport, nats, duplicates: Duplicates::Dropped, requeue: Requeue::ToOneGroup, lag: Lag::Exact);
conformance!(nats_transport_unconfirmed_acks, nats_unconfirmed, duplicates: Duplicates::Dropped, requeue: Requeue::ToOneGroup, lag: Lag::Exact);
// RabbitMQ keeps no record of message ids; its ready count leaves out what
// it already sent to the subscription.
conformance!(rabbitmq_transport, rabbitmq, duplicates: Duplicates::Delivered, requeue: Requeue::ToOneGroup, lag: Lag::AtMostUnacknowledged);
