//! The hosted consumer runtime on every transport (in memory, SQLite, NATS
//! JetStream, RabbitMQ) with the SQLite inbox: handlers receive, the inbox
//! skips redeliveries, older versions arrive upcast; a host stopped under
//! load and started again gives every message its effect exactly once
//! (counted in rows); failures are retried then dead-lettered, undecodable
//! messages (a CloudEvent whose data does not fit) too, and the counters
//! match; the lag each transport reports reaches zero once a backlog is
//! handled.
//!
//! Each test has a transport of its own (a new in-memory one, a SQLite file
//! in a fresh folder, a NATS stream with its own subject prefix, a RabbitMQ
//! exchange with its own queues), removed at the end, also when the case
//! fails. Without a reachable NATS server or RabbitMQ broker their tests
//! print a notice and pass, unless `EVENT_CORE_REQUIRE_SERVICES=1`.

#[path = "support/services.rs"]
mod services;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use event_core::host::{Host, Metrics, MetricsSnapshot};
use event_core::integration::{IntegrationPublisher, encode};
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
use event_core::prelude::*;
use event_core::rabbitmq::RabbitMqTransport;
use event_core::retry::RetryPolicy;
use event_core::sqlite::{InboxConnection, SqliteInbox, SqliteTransport};
use event_core::transport::{InMemoryTransport, Transport};
use tokio::sync::Notify;

/// A book was lent (first version).
#[integration_event(version = 1)]
pub struct BookLentIntegrationEvent {
    pub book_id: String,
}

/// A book was lent, to a member.
#[integration_event(version = 2, upcast_from = BookLentIntegrationEvent)]
pub struct BookLentIntegrationEventV2 {
    pub book_id: String,
    #[serde(default)]
    pub member_id: Option<String>,
}

/// A book came back.
#[integration_event(version = 1)]
pub struct BookReturnedIntegrationEvent {
    pub seq: u32,
}

/// The bound on every wait: far above what a loaded machine needs.
const BOUND: Duration = Duration::from_secs(120);

type Cleanup = Box<dyn FnOnce(Vec<(String, String)>) -> Pin<Box<dyn Future<Output = ()>>>>;

/// What a transport's factory makes for one case.
struct Made<T> {
    transport: T,
    /// Removes what the transport left behind, given the (event type,
    /// group) pairs the case declared.
    cleanup: Cleanup,
}

/// What a case works with.
struct Fixture<T> {
    transport: T,
    groups: Arc<Mutex<Vec<(String, String)>>>,
}

impl<T: Transport> Fixture<T> {
    /// A consumer group name unique to this case, remembered with the event
    /// types it consumes for the clean-up.
    fn group(&self, role: &str, event_types: &[&str]) -> String {
        let name = services::unique_name(role);
        let mut groups = self.groups.lock().unwrap();
        for event_type in event_types {
            groups.push(((*event_type).to_owned(), name.clone()));
        }
        name
    }
}

/// Runs the clean-up when the case ends, passed or failed.
struct CleanUp<'a> {
    runtime: &'a tokio::runtime::Runtime,
    cleanup: Option<Cleanup>,
    groups: Arc<Mutex<Vec<(String, String)>>>,
}

impl Drop for CleanUp<'_> {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            let groups =
                std::mem::take(&mut *self.groups.lock().unwrap_or_else(|e| e.into_inner()));
            self.runtime.block_on(cleanup(groups));
        }
    }
}

fn run<T, MF, CF>(make: impl FnOnce() -> MF, case: impl FnOnce(Fixture<T>) -> CF)
where
    T: Transport,
    MF: Future<Output = Option<Made<T>>>,
    CF: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(made) = runtime.block_on(make()) else {
        return;
    };
    let groups = Arc::default();
    let _guard = CleanUp {
        runtime: &runtime,
        cleanup: Some(made.cleanup),
        groups: Arc::clone(&groups),
    };
    runtime.block_on(case(Fixture {
        transport: made.transport,
        groups,
    }));
}

async fn in_memory(_test: &str) -> Option<Made<InMemoryTransport>> {
    Some(Made {
        transport: InMemoryTransport::new(),
        cleanup: Box::new(|_| Box::pin(async {})),
    })
}

/// A broker file in a new folder, with a short lease: a delivery dropped
/// unsettled comes again within seconds.
async fn sqlite(_test: &str) -> Option<Made<SqliteTransport>> {
    let dir = std::env::temp_dir().join(services::unique_name("event_core_host"));
    std::fs::create_dir_all(&dir).unwrap();
    let transport = SqliteTransport::open(dir.join("broker.db"))
        .unwrap()
        .with_poll_interval(Duration::from_millis(5))
        .with_lease(Duration::from_secs(2));
    Some(Made {
        transport,
        cleanup: Box::new(move |_| {
            Box::pin(async move {
                let _ = std::fs::remove_dir_all(&dir);
            })
        }),
    })
}

/// A stream of its own (in memory, own subject prefix), deleted at the end;
/// a short ack wait, so a delivery the first host dropped comes again soon.
async fn nats(test: &str) -> Option<Made<NatsTransport>> {
    let url = services::nats_url();
    let name = services::unique_name("host");
    let config = NatsConfig::new(name.to_uppercase(), format!("h_{name}"))
        .with_fetch_expiry(Duration::from_secs(1))
        .with_request_timeout(Duration::from_secs(5))
        .with_ack_wait(Duration::from_secs(3));
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
        cleanup: Box::new(move |_| {
            Box::pin(async move {
                let _ = owner.delete_stream().await;
            })
        }),
    })
}

/// An exchange of its own; it and the groups' queues are deleted at the end.
async fn rabbitmq(test: &str) -> Option<Made<RabbitMqTransport>> {
    let url = services::amqp_url();
    let transport = RabbitMqTransport::new(&url).with_exchange(services::unique_name("evc_host"));
    if let Err(error) = transport.connect().await {
        return services::unreachable(test, "RabbitMQ", &url, error);
    }
    let owner = transport.clone();
    Some(Made {
        transport,
        cleanup: Box::new(move |groups| {
            Box::pin(async move {
                // Subscriptions close in the background once dropped; a
                // queue is deleted once they did.
                for (event_type, group) in &groups {
                    while owner
                        .consumers(event_type, group)
                        .await
                        .is_ok_and(|consumers| consumers > 0)
                    {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                for (event_type, group) in &groups {
                    let _ = owner.delete_group(event_type, group).await;
                }
                let _ = owner.delete_exchange().await;
                owner.close().await;
            })
        }),
    })
}

/// Resolves once `done` holds for the counters.
async fn until(metrics: Metrics, done: impl Fn(&MetricsSnapshot) -> bool) {
    let start = Instant::now();
    while !done(&metrics.snapshot()) {
        assert!(
            start.elapsed() < BOUND,
            "gave up waiting: {:?}",
            metrics.snapshot()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// An inbox in a fresh in-memory database, with the consumer's table.
fn inbox(table: &str) -> InboxConnection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(table).unwrap();
    InboxConnection::new(conn).unwrap()
}

async fn rows(inbox: &InboxConnection, sql: &str) -> i64 {
    inbox
        .lock()
        .await
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

async fn receives_once_and_upcasts<T: Transport + Clone>(fixture: Fixture<T>) {
    let group = fixture.group(
        "lending",
        &[
            BookLentIntegrationEventV2::FULL_TYPE,
            BookLentIntegrationEvent::FULL_TYPE,
        ],
    );
    let inbox = inbox("CREATE TABLE lent (book_id TEXT NOT NULL, member_id TEXT)");
    let host = Host::new(fixture.transport.clone())
        .consumer(group.as_str(), inbox.clone())
        .concurrency(4)
        .handle::<BookLentIntegrationEventV2>(async |tx, envelope| {
            let data = envelope.data();
            tx.execute(
                "INSERT INTO lent (book_id, member_id) VALUES (?1, ?2)",
                (&data.book_id, &data.member_id),
            )?;
            Ok(())
        });
    let metrics = host.metrics();
    host.declare().await.unwrap();

    let publisher = IntegrationPublisher::new(fixture.transport.clone());
    let first = Envelope::new(
        "/library",
        BookLentIntegrationEventV2 {
            book_id: "b-1".into(),
            member_id: Some("m-1".into()),
        },
    );
    publisher.publish(&first).await.unwrap();
    let old = Envelope::new(
        "/library",
        BookLentIntegrationEvent {
            book_id: "b-2".into(),
        },
    );
    publisher.publish(&old).await.unwrap();
    // The first one comes again.
    fixture
        .transport
        .requeue(encode(&first).unwrap(), &group)
        .await
        .unwrap();

    let summary = host
        .run(until(metrics, |m| m.handled == 2 && m.duplicates == 1))
        .await
        .unwrap();

    let conn = inbox.lock().await;
    let mut lent: Vec<(String, Option<String>)> = conn
        .prepare("SELECT book_id, member_id FROM lent ORDER BY book_id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    lent.sort();
    assert_eq!(
        lent,
        [
            ("b-1".to_owned(), Some("m-1".to_owned())),
            ("b-2".to_owned(), None)
        ]
    );
    assert_eq!(SqliteInbox::processed(&conn, &group).unwrap(), 2);
    let m = summary.consumers[0].metrics;
    assert_eq!((m.handled, m.duplicates, m.retried), (2, 1, 0), "{m:?}");
}

async fn restart_under_load_has_every_effect_once<T: Transport + Clone>(fixture: Fixture<T>) {
    const N: u32 = 500;
    let group = fixture.group("returns", &[BookReturnedIntegrationEvent::FULL_TYPE]);
    let inbox = inbox("CREATE TABLE returned (seq INTEGER NOT NULL)");
    // The first host is asked to stop by its 100th handler.
    let host = |stop_after: u32, stop: Rc<Notify>| {
        let calls = Cell::new(0);
        Host::new(fixture.transport.clone())
            .shutdown_deadline(Duration::from_millis(20))
            .consumer(group.as_str(), inbox.clone())
            .concurrency(16)
            .handle::<BookReturnedIntegrationEvent>(async move |tx, envelope| {
                tx.execute(
                    "INSERT INTO returned (seq) VALUES (?1)",
                    [envelope.data().seq],
                )?;
                calls.set(calls.get() + 1);
                if calls.get() == stop_after {
                    stop.notify_one();
                }
                tokio::task::yield_now().await;
                Ok(())
            })
    };
    let stop = Rc::new(Notify::new());
    let first = host(N / 5, Rc::clone(&stop));
    first.declare().await.unwrap();
    let publisher = IntegrationPublisher::new(fixture.transport.clone());
    for seq in 0..N {
        let envelope = Envelope::new("/library", BookReturnedIntegrationEvent { seq });
        publisher.publish(&envelope).await.unwrap();
    }

    let stopped = first.run(stop.notified()).await.unwrap().consumers[0].metrics;
    assert!(stopped.handled < u64::from(N), "{stopped:?}");
    assert_eq!(stopped.in_flight, 0);

    // A new host, as after a restart, runs until every message had its
    // effect.
    let second = host(0, Rc::default());
    let all = async {
        let start = Instant::now();
        while rows(&inbox, "SELECT COUNT(DISTINCT seq) FROM returned").await < i64::from(N) {
            assert!(start.elapsed() < BOUND, "gave up waiting for every effect");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let restarted = second.run(all).await.unwrap().consumers[0].metrics;

    assert_eq!(
        rows(&inbox, "SELECT COUNT(*) FROM returned").await,
        i64::from(N),
        "an effect happened twice (first {stopped:?}, then {restarted:?})"
    );
    let conn = inbox.lock().await;
    assert_eq!(SqliteInbox::processed(&conn, &group).unwrap(), u64::from(N));
}

async fn failures_retry_then_dead_letter<T: Transport + Clone>(fixture: Fixture<T>) {
    let group = fixture.group("poison", &[BookReturnedIntegrationEvent::FULL_TYPE]);
    let inbox = inbox("CREATE TABLE returned (seq INTEGER NOT NULL)");
    let policy = RetryPolicy {
        immediate_retries: 1,
        delayed_retries: 1,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    };
    let tries = Rc::new(Cell::new(0));
    let poisoned = Rc::clone(&tries);
    let host = Host::new(fixture.transport.clone())
        .consumer(group.as_str(), inbox.clone())
        .retry(policy)
        .handle::<BookReturnedIntegrationEvent>(async move |tx, envelope| {
            tx.execute(
                "INSERT INTO returned (seq) VALUES (?1)",
                [envelope.data().seq],
            )?;
            if envelope.data().seq == 13 {
                poisoned.set(poisoned.get() + 1);
                return Err("unlucky".into());
            }
            Ok(())
        });
    let metrics = host.metrics();
    host.declare().await.unwrap();
    let publisher = IntegrationPublisher::new(fixture.transport.clone());
    let poison = Envelope::new("/library", BookReturnedIntegrationEvent { seq: 13 });
    publisher.publish(&poison).await.unwrap();
    publisher
        .publish(&Envelope::new(
            "/library",
            BookReturnedIntegrationEvent { seq: 1 },
        ))
        .await
        .unwrap();
    // A CloudEvent of the handler's type whose data does not fit it (from
    // a producer with another idea of the contract).
    let misfit = encode(&Envelope::new(
        "/library",
        BookReturnedIntegrationEvent { seq: 2 },
    ))
    .unwrap();
    let mut event: serde_json::Value = serde_json::from_slice(misfit.payload()).unwrap();
    event["data"] = serde_json::json!({ "sequence": "two" });
    let misfit = misfit.with_payload(serde_json::to_vec(&event).unwrap());
    fixture.transport.publish(misfit.clone()).await.unwrap();
    let buried = 2;

    let summary = host
        .run(until(metrics, |m| {
            m.dead_lettered == buried && m.handled == 1
        }))
        .await
        .unwrap();

    assert_eq!(tries.get(), 3, "the first attempt and two retries");
    let m = summary.consumers[0].metrics;
    assert_eq!(
        (m.handled, m.retried, m.dead_lettered, m.duplicates),
        (1, 2, buried, 0),
        "{m:?}"
    );
    // The failed attempts rolled back.
    assert_eq!(rows(&inbox, "SELECT COUNT(*) FROM returned").await, 1);
    let conn = inbox.lock().await;
    let dead = SqliteInbox::dead_letters(&conn, &group).unwrap();
    assert_eq!(dead.len() as u64, buried);
    let letter = dead
        .iter()
        .find(|d| d.event_id == poison.id().as_str())
        .unwrap();
    assert_eq!(letter.last_error, "unlucky");
    assert_eq!(letter.attempts, 3);
    let letter = dead.iter().find(|d| d.event_id == misfit.id()).unwrap();
    assert!(
        letter.last_error.contains("could not be decoded"),
        "{}",
        letter.last_error
    );
}

/// The snapshot's lag: unknown before the host subscribes, known once it
/// has, and zero once the backlog published before it started is handled.
async fn lag_is_reported_and_reaches_zero<T: Transport + Clone>(fixture: Fixture<T>) {
    const N: u32 = 40;
    let group = fixture.group("returns", &[BookReturnedIntegrationEvent::FULL_TYPE]);
    let inbox = inbox("CREATE TABLE returned (seq INTEGER NOT NULL)");
    let host = Host::new(fixture.transport.clone())
        .consumer(group.as_str(), inbox.clone())
        .concurrency(4)
        .handle::<BookReturnedIntegrationEvent>(async |tx, envelope| {
            tx.execute(
                "INSERT INTO returned (seq) VALUES (?1)",
                [envelope.data().seq],
            )?;
            Ok(())
        });
    let metrics = host.metrics();
    host.declare().await.unwrap();
    let publisher = IntegrationPublisher::new(fixture.transport.clone());
    for seq in 0..N {
        let returned = Envelope::new("/library", BookReturnedIntegrationEvent { seq });
        publisher.publish(&returned).await.unwrap();
    }
    assert_eq!(metrics.snapshot().lag, None);

    let summary = host
        .run(until(metrics, |m| {
            m.handled == u64::from(N) && m.lag == Some(0)
        }))
        .await
        .unwrap();

    let m = summary.consumers[0].metrics;
    assert_eq!((m.handled, m.lag), (u64::from(N), Some(0)), "{m:?}");
    assert_eq!(
        rows(&inbox, "SELECT COUNT(*) FROM returned").await,
        i64::from(N)
    );
}

/// One test: `case` against the transport `factory` makes.
macro_rules! case {
    ($factory:ident, $case:ident) => {
        #[test]
        fn $case() {
            crate::run(
                || super::$factory(concat!(module_path!(), "::", stringify!($case))),
                crate::$case,
            );
        }
    };
}

macro_rules! suite {
    ($module:ident, $factory:ident) => {
        mod $module {
            case!($factory, receives_once_and_upcasts);
            case!($factory, restart_under_load_has_every_effect_once);
            case!($factory, failures_retry_then_dead_letter);
            case!($factory, lag_is_reported_and_reaches_zero);
        }
    };
}

suite!(in_memory_transport, in_memory);
suite!(sqlite_transport, sqlite);
suite!(nats_transport, nats);
suite!(rabbitmq_transport, rabbitmq);
