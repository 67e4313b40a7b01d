//! Relays on a PostgreSQL outbox: several at once without double publishing
//! or reordering within a key, fencing of a relay that stalled past its
//! lease, recovery after the database ends its connections, and wake-ups by
//! `LISTEN`/`NOTIFY`.
//!
//! Each test works in a schema of its own, dropped at its end; without a
//! server at `DATABASE_URL` the tests are skipped with a notice (they fail
//! instead with `EVENT_CORE_REQUIRE_SERVICES=1`). Waits observe the
//! database or the transport, with bounds far above what they need.

#[path = "support/postgres.rs"]
mod pg;
#[path = "support/proxy.rs"]
mod proxy;
#[path = "support/services.rs"]
mod services;

use proxy::Proxy;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_core::integration::encode;
use event_core::postgres::{PgOutbox, sqlx};
use event_core::prelude::*;
use event_core::relay::{Claim, ClaimedRow, OutboxStore, Relay, RelayConfig, RelayStats};
use event_core::transport::{InMemoryTransport, Message, Transport, TransportError};
use event_core::{BoxError, Envelope};
use tokio::sync::watch;

/// A line of an order changed.
#[integration_event(version = 1)]
pub struct OrderLineChangedIntegrationEvent {
    pub order_id: String,
    pub line: u64,
}

/// The `line`-th change of order `key`, partitioned by the order.
fn keyed(key: &str, line: u64) -> Message {
    encode(
        &Envelope::new(
            "/orders",
            OrderLineChangedIntegrationEvent {
                order_id: key.to_owned(),
                line,
            },
        )
        .with_partition_key(key),
    )
    .unwrap()
}

fn unkeyed(line: u64) -> Message {
    encode(&Envelope::new(
        "/orders",
        OrderLineChangedIntegrationEvent {
            order_id: "none".to_owned(),
            line,
        },
    ))
    .unwrap()
}

async fn append(outbox: &PgOutbox, messages: &[Message]) {
    let mut tx = outbox.pool().begin().await.unwrap();
    outbox
        .append_all(&mut tx, messages.iter().cloned())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn config(name: &str) -> RelayConfig {
    RelayConfig {
        name: name.to_owned(),
        batch_size: 7,
        fault_backoff: Duration::from_millis(20),
        max_fault_backoff: Duration::from_millis(200),
        ..RelayConfig::default()
    }
}

/// Waits, polling, until `done` holds; fails after two minutes.
async fn wait_for<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..12_000 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("gave up waiting until {what}");
}

/// Runs a relay until the returned sender says stop.
fn spawn<S, T>(relay: Relay<S, T>) -> (watch::Sender<bool>, tokio::task::JoinHandle<RelayStats>)
where
    S: OutboxStore + 'static,
    T: Transport,
{
    let (stop, mut stopped) = watch::channel(false);
    let handle = tokio::spawn(async move {
        relay
            .run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    (stop, handle)
}

/// Records which relay published what, in the order the broker stored it;
/// takes a little time per publish, so that relays interleave.
#[derive(Clone)]
struct Recording {
    relay: &'static str,
    log: Arc<Mutex<Vec<(&'static str, Message)>>>,
}

impl Transport for Recording {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        tokio::time::sleep(Duration::from_micros(200)).await;
        self.log.lock().unwrap().push((self.relay, message));
        Ok(())
    }

    async fn subscribe(&self, _: &str, _: &str) -> Result<Self::Subscription, TransportError> {
        Err(TransportError::Closed)
    }
}

#[test]
fn two_relays_on_one_outbox_publish_each_row_once_and_each_key_in_order() {
    pg::run("two_relays", |db| async move {
        let outbox = db.outbox();
        // 24 keys, 20 changes each, appended in transactions that mix keys,
        // and rows without a key among them.
        let keys: Vec<String> = (0..24).map(|k| format!("order-{k}")).collect();
        let mut appended: Vec<Message> = Vec::new();
        for round in 0..20 {
            let mut batch: Vec<Message> = keys.iter().map(|k| keyed(k, round)).collect();
            batch.push(unkeyed(round));
            append(&outbox, &batch).await;
            appended.extend(batch);
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop_a, a) = spawn(Relay::new(
            outbox.clone(),
            Recording {
                relay: "a",
                log: log.clone(),
            },
            config("a"),
        ));
        let (stop_b, b) = spawn(Relay::new(
            outbox.clone(),
            Recording {
                relay: "b",
                log: log.clone(),
            },
            config("b"),
        ));
        wait_for("every row is published", || {
            let outbox = outbox.clone();
            async move { outbox.pending().await.unwrap() == 0 }
        })
        .await;
        stop_a.send_replace(true);
        stop_b.send_replace(true);
        let (a, b) = (a.await.unwrap(), b.await.unwrap());

        let log = log.lock().unwrap().clone();
        // No double publishing: each row once, by one relay.
        assert_eq!(log.len(), appended.len());
        assert_eq!(a.published + b.published, appended.len() as u64);
        assert_eq!(a.fenced + b.fenced, 0);
        let ids: HashSet<&str> = log.iter().map(|(_, m)| m.id()).collect();
        assert_eq!(ids.len(), appended.len());
        // No reordering within a key: each key's changes reach the broker
        // in the order they were appended.
        let mut lines: HashMap<String, Vec<u64>> = HashMap::new();
        for (_, message) in &log {
            if let Some(key) = message.partition_key() {
                let event: serde_json::Value = serde_json::from_slice(message.payload()).unwrap();
                lines
                    .entry(key.into_owned())
                    .or_default()
                    .push(event["data"]["line"].as_u64().unwrap());
            }
        }
        assert_eq!(lines.len(), keys.len());
        for (key, lines) in &lines {
            assert_eq!(*lines, (0..20).collect::<Vec<u64>>(), "key {key}");
        }
        // Who published what is recorded.
        let by: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT id, published_by FROM {}",
            db.table("event_outbox")
        ))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let relays: HashMap<&str, &str> = log.iter().map(|(r, m)| (m.id(), *r)).collect();
        for (id, published_by) in &by {
            assert_eq!(relays[id.as_str()], published_by);
        }
    });
}

#[test]
fn a_rejected_message_holds_its_key_back_until_it_is_published() {
    pg::run("key_held_back", |db| async move {
        let mut outbox = db.outbox();
        let first = keyed("order-1", 1);
        let second = keyed("order-1", 2);
        let other = keyed("order-2", 1);
        append(&outbox, &[first.clone(), second.clone(), other.clone()]).await;
        let lease = Duration::from_secs(30);

        // The head of each key, and nothing behind a head.
        let heads = outbox.claim("a", 10, lease).await.unwrap();
        let ids: Vec<&str> = heads
            .iter()
            .map(|r| r.message.as_ref().unwrap().id())
            .collect();
        assert_eq!(ids, [first.id(), other.id()]);
        // Another relay finds nothing: the second row waits for the first.
        let mut b = db.outbox();
        assert!(b.claim("b", 10, lease).await.unwrap().is_empty());
        // Rejected, to be retried at once: still ahead of its key.
        assert!(
            outbox
                .retry_later(heads[0].claim, 1, "rejected", Duration::ZERO)
                .await
                .unwrap()
        );
        assert!(outbox.mark_published("a", heads[1].claim).await.unwrap());
        let again = b.claim("b", 10, lease).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].message.as_ref().unwrap().id(), first.id());
        assert_eq!(again[0].attempts, 1);
        assert!(b.mark_published("b", again[0].claim).await.unwrap());
        // Now the second.
        let last = outbox.claim("a", 10, lease).await.unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].message.as_ref().unwrap().id(), second.id());

        // A buried row lets its key go on.
        let third = keyed("order-1", 3);
        append(&outbox, std::slice::from_ref(&third)).await;
        assert!(outbox.bury(last[0].claim, 9, "poison").await.unwrap());
        let next = outbox.claim("a", 10, lease).await.unwrap();
        assert_eq!(next[0].message.as_ref().unwrap().id(), third.id());
    });
}

/// Stops every call while closed, as if the process were paused; closes
/// itself once it has claimed rows.
struct Pausable {
    inner: PgOutbox,
    open: watch::Receiver<bool>,
    close: Arc<watch::Sender<bool>>,
}

impl Pausable {
    async fn gate(&mut self) {
        let _ = self.open.wait_for(|open| *open).await;
    }
}

impl OutboxStore for Pausable {
    async fn claim(
        &mut self,
        relay: &str,
        batch: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedRow>, BoxError> {
        self.gate().await;
        let rows = self.inner.claim(relay, batch, lease).await?;
        if !rows.is_empty() {
            self.close.send_replace(false);
        }
        Ok(rows)
    }

    async fn renew(&mut self, claims: &[Claim], lease: Duration) -> Result<Vec<Claim>, BoxError> {
        self.gate().await;
        self.inner.renew(claims, lease).await
    }

    async fn mark_published(&mut self, relay: &str, claim: Claim) -> Result<bool, BoxError> {
        self.gate().await;
        self.inner.mark_published(relay, claim).await
    }

    async fn retry_later(
        &mut self,
        claim: Claim,
        attempts: u32,
        error: &str,
        delay: Duration,
    ) -> Result<bool, BoxError> {
        self.gate().await;
        self.inner.retry_later(claim, attempts, error, delay).await
    }

    async fn release(&mut self, claims: &[Claim]) -> Result<(), BoxError> {
        self.gate().await;
        self.inner.release(claims).await
    }

    async fn bury(&mut self, claim: Claim, attempts: u32, error: &str) -> Result<bool, BoxError> {
        self.gate().await;
        self.inner.bury(claim, attempts, error).await
    }

    async fn purge_published(&mut self, older_than: Duration) -> Result<(), BoxError> {
        self.gate().await;
        self.inner.purge_published(older_than).await
    }
}

#[test]
fn a_relay_paused_past_its_lease_writes_nothing_about_the_rows_taken_over() {
    pg::run("fenced_relay", |db| async move {
        let outbox = db.outbox();
        let messages: Vec<Message> = (0..5).map(|n| keyed("order-1", n)).collect();
        append(&outbox, &messages).await;
        let log = Arc::new(Mutex::new(Vec::new()));

        // Relay A claims the head of the key, publishes it, and pauses
        // before it can mark it published, for longer than its lease.
        let (close, open) = watch::channel(true);
        let close = Arc::new(close);
        let paused = Pausable {
            inner: outbox.clone(),
            open,
            close: close.clone(),
        };
        let lease = Duration::from_secs(1);
        let (stop_a, a) = spawn(Relay::new(
            paused,
            Recording {
                relay: "a",
                log: log.clone(),
            },
            RelayConfig {
                lease,
                renew_every: Duration::from_millis(900),
                ..config("a")
            },
        ));
        wait_for("relay A has published and paused", || {
            let log = log.clone();
            async move { !log.lock().unwrap().is_empty() }
        })
        .await;

        // Relay B takes the row over once A's lease ran out, and publishes
        // the whole key.
        let (stop_b, b) = spawn(Relay::new(
            outbox.clone(),
            Recording {
                relay: "b",
                log: log.clone(),
            },
            config("b"),
        ));
        wait_for("relay B has published every row", || {
            let outbox = outbox.clone();
            async move { outbox.pending().await.unwrap() == 0 }
        })
        .await;

        // A wakes up: its write about the row is refused. (A finishes the
        // pass it is in before it looks at its stop signal.)
        close.send_replace(true);
        stop_a.send_replace(true);
        stop_b.send_replace(true);
        let a = a.await.unwrap();
        let b = b.await.unwrap();
        assert_eq!(a.published, 0, "{a:?}");
        assert_eq!(a.fenced, 1, "{a:?}");
        assert_eq!(b.published, 5);
        let by: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT id, published_by FROM {} ORDER BY seq",
            db.table("event_outbox")
        ))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert!(by.iter().all(|(_, relay)| relay == "b"), "{by:?}");
        // The broker saw the first row twice (A's publish before its pause,
        // and B's), and the key in order after it.
        let log = log.lock().unwrap();
        let ids: Vec<&str> = log.iter().map(|(_, m)| m.id()).collect();
        let mut expected = vec![messages[0].id()];
        expected.extend(messages.iter().map(|m| m.id()));
        assert_eq!(ids, expected);
    });
}

#[test]
fn a_relay_recovers_after_the_database_ends_its_connections() {
    pg::run("reconnect", |db| async move {
        let name = services::unique_name("relay");
        let outbox = db.outbox_named(&name).await;
        let transport = InMemoryTransport::new();
        let relay = Relay::new(
            outbox.clone(),
            transport.clone(),
            RelayConfig {
                // Woken by notifications, not by polling.
                idle_wait: Duration::from_secs(3600),
                // Rows of a pass cut short by a lost connection go back
                // soon.
                lease: Duration::from_secs(2),
                renew_every: Duration::from_millis(500),
                ..config("relay")
            },
        );
        let monitor = relay.monitor();
        let (stop, handle) = spawn(relay);
        let first: Vec<Message> = (0..30).map(|n| keyed(&format!("k{}", n % 3), n)).collect();
        append(&db.outbox(), &first).await;
        let expected = first.len();
        wait_for("the first rows are published", || {
            let transport = transport.clone();
            async move { transport.published().len() >= expected }
        })
        .await;

        // The database ends every connection of the relay's pool, its
        // `LISTEN` connection included, several times.
        let terminate = format!(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = '{name}'"
        );
        let mut ended = 0;
        let mut second = Vec::new();
        for round in 0..3 {
            ended += db.scalar(&terminate).await;
            let more: Vec<Message> = (0..10)
                .map(|n| keyed(&format!("k{}", n % 3), 100 * (round + 1) + n))
                .collect();
            append(&db.outbox(), &more).await;
            second.extend(more);
            let expected = first.len() + second.len();
            wait_for("the rows appended since are published", || {
                let transport = transport.clone();
                async move { transport.published().len() >= expected }
            })
            .await;
        }
        assert!(
            ended >= 3,
            "the relay's connections were ended {ended} times"
        );
        wait_for("nothing is left in the outbox", || {
            let outbox = db.outbox();
            async move { outbox.pending().await.unwrap() == 0 }
        })
        .await;
        stop.send_replace(true);
        let stats = handle.await.unwrap();
        // Every row reached the broker (at least once: a pass whose
        // connection was ended after a publish publishes it again).
        let published: HashSet<String> = transport
            .published()
            .into_iter()
            .map(|m| m.id().to_owned())
            .collect();
        for message in first.iter().chain(&second) {
            assert!(published.contains(message.id()));
        }
        assert!(stats.published >= published.len() as u64);
        let health = monitor.health();
        assert!(
            !matches!(
                health.state,
                event_core::relay::RelayState::BackingOff { .. }
            ),
            "{health:?}"
        );
    });
}

#[test]
fn an_idle_relay_is_woken_by_a_commit_and_not_by_a_rollback() {
    pg::run("notify", |db| async move {
        let outbox = db.outbox();
        let transport = InMemoryTransport::new();
        let relay = Relay::new(
            outbox.clone(),
            transport.clone(),
            RelayConfig {
                // Without a notification, the relay would look again in
                // an hour.
                idle_wait: Duration::from_secs(3600),
                ..config("relay")
            },
        );
        let (stop, handle) = spawn(relay);
        // Rolled back: nothing to publish.
        let mut tx = db.pool.begin().await.unwrap();
        outbox.append(&mut tx, &unkeyed(0)).await.unwrap();
        tx.rollback().await.unwrap();
        for round in 1..=3 {
            let message = unkeyed(round);
            append(&outbox, std::slice::from_ref(&message)).await;
            wait_for("the relay is woken and publishes", || {
                let transport = transport.clone();
                let id = message.id().to_owned();
                async move { transport.published().iter().any(|m| m.id() == id) }
            })
            .await;
        }
        stop.send_replace(true);
        assert_eq!(handle.await.unwrap().published, 3);
        assert_eq!(transport.published().len(), 3);
    });
}

#[test]
fn a_delayed_retry_is_published_when_it_falls_due_without_a_notification() {
    pg::run("delayed_retry", |db| async move {
        let outbox = db.outbox();
        let failures = Arc::new(Mutex::new(1));
        let transport = InMemoryTransport::new();

        /// Rejects the first publish.
        #[derive(Clone)]
        struct RejectOnce(Arc<Mutex<u32>>, InMemoryTransport);
        impl Transport for RejectOnce {
            type Subscription = <InMemoryTransport as Transport>::Subscription;
            async fn publish(&self, message: Message) -> Result<(), TransportError> {
                {
                    let mut left = self.0.lock().unwrap();
                    if *left > 0 {
                        *left -= 1;
                        return Err(TransportError::Rejected("not yet".into()));
                    }
                }
                self.1.publish(message).await
            }
            async fn subscribe(
                &self,
                _: &str,
                _: &str,
            ) -> Result<Self::Subscription, TransportError> {
                Err(TransportError::Closed)
            }
        }

        let relay = Relay::new(
            outbox.clone(),
            RejectOnce(failures.clone(), transport.clone()),
            RelayConfig {
                idle_wait: Duration::from_secs(3600),
                retry: event_core::retry::RetryPolicy {
                    immediate_retries: 0,
                    delayed_retries: 1,
                    base_delay: Duration::from_millis(300),
                    max_delay: Duration::from_millis(300),
                },
                ..config("relay")
            },
        );
        let (stop, handle) = spawn(relay);
        let message = unkeyed(1);
        append(&outbox, std::slice::from_ref(&message)).await;
        wait_for("the retry is published", || {
            let transport = transport.clone();
            async move { !transport.published().is_empty() }
        })
        .await;
        stop.send_replace(true);
        let stats = handle.await.unwrap();
        assert_eq!((stats.retried, stats.published), (1, 1));
        assert_eq!(transport.published(), [message]);
    });
}

#[test]
fn a_relay_rides_out_a_database_that_is_unreachable_for_a_while() {
    pg::run("outage", |db| async move {
        let options: sqlx::postgres::PgConnectOptions = services::database_url().parse().unwrap();
        let proxy = Proxy::start(format!("{}:{}", options.get_host(), options.get_port())).await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(options.host("127.0.0.1").port(proxy.port()))
            .await
            .unwrap();
        let outbox = PgOutbox::new(pool, &db.config).unwrap();
        let transport = InMemoryTransport::new();
        let relay = Relay::new(
            outbox,
            transport.clone(),
            RelayConfig {
                idle_wait: Duration::from_secs(3600),
                lease: Duration::from_secs(2),
                renew_every: Duration::from_millis(500),
                ..config("relay")
            },
        );
        let monitor = relay.monitor();
        let (stop, handle) = spawn(relay);
        let direct = db.outbox();
        let before: Vec<Message> = (0..20).map(|n| keyed(&format!("k{}", n % 4), n)).collect();
        append(&direct, &before).await;
        wait_for("the rows before the outage are published", || {
            let transport = transport.clone();
            async move { transport.published().len() >= 20 }
        })
        .await;

        // The database is unreachable for the relay; rows keep coming.
        proxy.cut();
        let during: Vec<Message> = (20..40).map(|n| keyed(&format!("k{}", n % 4), n)).collect();
        append(&direct, &during).await;
        wait_for("the relay has met the outage", || {
            let monitor = monitor.clone();
            async move { monitor.health().faults > 0 }
        })
        .await;
        assert!(matches!(
            monitor.health().state,
            event_core::relay::RelayState::BackingOff { .. }
        ));

        // Back: the relay publishes everything, each key in order.
        proxy.restore();
        wait_for("every row is published", || {
            let direct = direct.clone();
            async move { direct.pending().await.unwrap() == 0 }
        })
        .await;
        stop.send_replace(true);
        handle.await.unwrap();
        let mut lines: HashMap<String, Vec<u64>> = HashMap::new();
        let mut seen = HashSet::new();
        for message in transport.published() {
            if !seen.insert(message.id().to_owned()) {
                continue;
            }
            let event: serde_json::Value = serde_json::from_slice(message.payload()).unwrap();
            lines
                .entry(message.partition_key().unwrap().into_owned())
                .or_default()
                .push(event["data"]["line"].as_u64().unwrap());
        }
        assert_eq!(seen.len(), 40);
        for (key, lines) in &lines {
            let mut sorted = lines.clone();
            sorted.sort_unstable();
            assert_eq!(lines, &sorted, "key {key}");
        }
        assert_eq!(
            monitor.health().state,
            event_core::relay::RelayState::Healthy
        );
    });
}
