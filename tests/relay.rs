//! The relay survives every fault of its store and its transport: it backs
//! off, says so, and resumes by itself; dead-lettering is idempotent and
//! counters saturate.

mod support;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_core::integration::{Consumer, encode};
use event_core::prelude::*;
use event_core::relay::{Claim, ClaimedRow, OutboxStore, Relay, RelayConfig, RelayState};
use event_core::retry::RetryPolicy;
use event_core::sqlite::{MemoryInbox, SqliteOutbox};
use event_core::transport::{InMemoryTransport, Message, Transport, TransportError};
use event_core::{BoxError, Envelope};
use rusqlite::{Connection, ffi};
use support::{Rng, runtime, wait_until};

/// A payment was captured.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
}

fn message(n: u64) -> Message {
    encode(&Envelope::new(
        "/payments",
        PaymentCapturedIntegrationEvent {
            payment_id: format!("pay-{n}"),
        },
    ))
    .unwrap()
}

fn append(conn: &mut Connection, messages: &[Message]) {
    let tx = conn.transaction().unwrap();
    SqliteOutbox::append_all(&tx, messages.iter().cloned()).unwrap();
    tx.commit().unwrap();
}

fn config() -> RelayConfig {
    RelayConfig {
        fault_backoff: Duration::from_millis(1),
        max_fault_backoff: Duration::from_millis(20),
        idle_wait: Duration::from_millis(1),
        retention: None,
        ..RelayConfig::default()
    }
}

/// A temporary folder for one test, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("event-core-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Rejects every message.
#[derive(Clone)]
struct Rejecting;

impl Transport for Rejecting {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, _: Message) -> Result<(), TransportError> {
        Err(TransportError::Rejected("too large".into()))
    }

    async fn subscribe(&self, _: &str, _: &str) -> Result<Self::Subscription, TransportError> {
        Err(TransportError::Closed)
    }
}

#[test]
fn an_event_id_dead_lettered_twice_keeps_one_dead_letter_and_the_relay_running() {
    let mut conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    let m = message(1);
    append(&mut conn, std::slice::from_ref(&m));
    let mut relay = Relay::new(
        conn,
        Rejecting,
        RelayConfig {
            retry: RetryPolicy::none(),
            ..config()
        },
    );
    let rt = runtime();
    assert_eq!(rt.block_on(relay.run_once()).unwrap().dead, 1);
    // The same event appended again (a retried use case, a replay) and
    // rejected again.
    append(relay.store_mut(), std::slice::from_ref(&m));
    assert_eq!(rt.block_on(relay.run_once()).unwrap().dead, 1);
    let dead = SqliteOutbox::dead_letters(relay.store_mut()).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, m.id());
    assert_eq!(dead[0].payload, m.payload());
    assert_eq!(SqliteOutbox::pending(relay.store_mut()).unwrap(), 0);
}

#[test]
fn attempts_at_their_limit_saturate_instead_of_overflowing() {
    let mut conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    append(&mut conn, &[message(1)]);
    conn.execute("UPDATE event_outbox SET attempts = 4294967295", [])
        .unwrap();
    let mut relay = Relay::new(conn, Rejecting, config());
    let stats = runtime().block_on(relay.run_once()).unwrap();
    assert_eq!(stats.dead, 1);
    let dead = SqliteOutbox::dead_letters(relay.store_mut()).unwrap();
    assert_eq!(dead[0].attempts, u32::MAX);
}

#[test]
fn dead_letters_are_inspected_requeued_and_discarded() {
    let mut conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    let (a, b) = (message(1), message(2));
    append(&mut conn, &[a.clone(), b.clone()]);
    let mut relay = Relay::new(
        conn,
        Rejecting,
        RelayConfig {
            retry: RetryPolicy {
                immediate_retries: 1,
                delayed_retries: 0,
                ..RetryPolicy::default()
            },
            ..config()
        },
    );
    let rt = runtime();
    let first = rt.block_on(relay.run_once()).unwrap();
    assert_eq!((first.retried, first.dead), (2, 0));
    let second = rt.block_on(relay.run_once()).unwrap();
    assert_eq!((second.retried, second.dead), (0, 2));

    let conn = relay.store_mut();
    let letter = SqliteOutbox::dead_letter(conn, a.id()).unwrap().unwrap();
    assert_eq!(letter.attempts, 2);
    assert!(
        letter.last_error.contains("too large"),
        "{}",
        letter.last_error
    );
    assert!(letter.first_failure_ms > 0);
    assert!(letter.first_failure_ms <= letter.last_failure_ms);
    assert_eq!(letter.payload, a.payload());
    assert!(
        letter
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .eq(a.headers())
    );

    assert!(SqliteOutbox::discard(conn, b.id()).unwrap());
    assert!(!SqliteOutbox::discard(conn, b.id()).unwrap());
    assert!(SqliteOutbox::requeue(conn, a.id()).unwrap());
    assert!(SqliteOutbox::dead_letters(conn).unwrap().is_empty());
    assert_eq!(
        SqliteOutbox::state_of(conn, a.id()).unwrap(),
        Some(("pending".to_owned(), 0))
    );
    assert_eq!(SqliteOutbox::state_of(conn, b.id()).unwrap(), None);
}

#[test]
fn a_database_locked_past_the_busy_timeout_is_waited_out() {
    let dir = TempDir::new("relay-locked");
    let path = dir.0.join("outbox.db");
    let mut conn = Connection::open(&path).unwrap();
    SqliteOutbox::install(&conn).unwrap();
    let messages: Vec<Message> = (0..20).map(message).collect();
    append(&mut conn, &messages);

    // Another process holds the database for longer than the relay's busy
    // timeout.
    let locker = Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let relay_conn = Connection::open(&path).unwrap();
    relay_conn.busy_timeout(Duration::from_millis(1)).unwrap();
    let transport = InMemoryTransport::new();
    let relay = Relay::new(relay_conn, transport.clone(), config());
    let monitor = relay.monitor();

    let rt = runtime();
    rt.block_on(async {
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = Arc::clone(&stop);
        let running = tokio::spawn(relay.run(async move { stopped.notified().await }));

        wait_until("the relay backs off", || {
            let health = monitor.health();
            matches!(health.state, RelayState::BackingOff { failures, .. } if failures >= 3)
        })
        .await;
        let health = monitor.health();
        let (_, error) = health.last_error.unwrap();
        assert!(error.contains("locked"), "{error}");
        assert!(transport.published().is_empty());

        locker.execute_batch("COMMIT").unwrap();
        wait_until("every row is published", || {
            transport.published().len() == messages.len()
        })
        .await;
        wait_until("the relay reports itself healthy", || {
            monitor.health().state == RelayState::Healthy
        })
        .await;
        stop.notify_one();
        let stats = running.await.unwrap();
        assert_eq!(stats.published, 20);
    });
    assert_eq!(SqliteOutbox::pending(&conn).unwrap(), 0);
    let ids: Vec<String> = transport
        .published()
        .into_iter()
        .map(|m| m.id().to_owned())
        .collect();
    let expected: Vec<String> = messages.iter().map(|m| m.id().to_owned()).collect();
    assert_eq!(ids, expected, "published once each, in order");
}

/// The SQLite error codes a store sees when the database is locked,
/// read-only, or the disk fails.
fn sqlite_error(code: i32, what: &str) -> BoxError {
    Box::new(rusqlite::Error::SqliteFailure(
        ffi::Error::new(code),
        Some(what.to_owned()),
    ))
}

/// An outbox store that fails on command: each call first takes the next
/// injected fault, if any.
/// Each call takes the next entry: a fault, or `None` to pass.
struct Faulty {
    inner: Connection,
    faults: Arc<Mutex<VecDeque<Option<BoxError>>>>,
}

impl Faulty {
    fn fault(&self) -> Result<(), BoxError> {
        match self.faults.lock().unwrap().pop_front() {
            Some(Some(error)) => Err(error),
            _ => Ok(()),
        }
    }
}

impl OutboxStore for Faulty {
    async fn claim(
        &mut self,
        relay: &str,
        batch: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedRow>, BoxError> {
        self.fault()?;
        self.inner.claim(relay, batch, lease).await
    }

    async fn renew(&mut self, claims: &[Claim], lease: Duration) -> Result<Vec<Claim>, BoxError> {
        self.fault()?;
        self.inner.renew(claims, lease).await
    }

    async fn mark_published(&mut self, relay: &str, claim: Claim) -> Result<bool, BoxError> {
        self.fault()?;
        self.inner.mark_published(relay, claim).await
    }

    async fn retry_later(
        &mut self,
        claim: Claim,
        attempts: u32,
        error: &str,
        delay: Duration,
    ) -> Result<bool, BoxError> {
        self.fault()?;
        self.inner.retry_later(claim, attempts, error, delay).await
    }

    async fn release(&mut self, claims: &[Claim]) -> Result<(), BoxError> {
        self.fault()?;
        self.inner.release(claims).await
    }

    async fn bury(&mut self, claim: Claim, attempts: u32, error: &str) -> Result<bool, BoxError> {
        self.fault()?;
        self.inner.bury(claim, attempts, error).await
    }

    async fn purge_published(&mut self, older_than: Duration) -> Result<(), BoxError> {
        self.fault()?;
        self.inner.purge_published(older_than).await
    }
}

/// A transport that is down while `down` is set.
#[derive(Clone)]
struct Outage {
    down: Arc<AtomicBool>,
    inner: InMemoryTransport,
}

impl Transport for Outage {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        // A broker answers later: the relay's pass yields here, so faults
        // land in every store call, not only in claims.
        tokio::task::yield_now().await;
        if self.down.load(Ordering::SeqCst) {
            return Err(TransportError::Unavailable("connection refused".into()));
        }
        self.inner.publish(message).await
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<Self::Subscription, TransportError> {
        self.inner.subscribe(event_type, consumer).await
    }
}

#[test]
fn store_and_transport_faults_are_backed_off_and_every_event_is_applied_once() {
    const EVENTS: u64 = 300;
    let dir = TempDir::new("relay-faults");
    let path = dir.0.join("outbox.db");
    let mut producer = Connection::open(&path).unwrap();
    producer
        .execute_batch("PRAGMA journal_mode = WAL;")
        .unwrap();
    SqliteOutbox::install(&producer).unwrap();

    let faults: Arc<Mutex<VecDeque<Option<BoxError>>>> = Arc::default();
    let store = Faulty {
        inner: Connection::open(&path).unwrap(),
        faults: Arc::clone(&faults),
    };
    let down = Arc::new(AtomicBool::new(false));
    let transport = Outage {
        down: Arc::clone(&down),
        inner: InMemoryTransport::new(),
    };
    let relay = Relay::new(
        store,
        transport.clone(),
        RelayConfig {
            batch_size: 10,
            // A row whose `mark_published` failed goes out again soon.
            lease: Duration::from_millis(50),
            ..config()
        },
    );
    let monitor = relay.monitor();
    let mut rng = Rng(0x5eed_fa17);

    runtime().block_on(async {
        let mut consumer =
            Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport.inner, "ledger")
                .await
                .unwrap();
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = Arc::clone(&stop);
        let running = tokio::spawn(relay.run(async move { stopped.notified().await }));

        let inbox = MemoryInbox::new();
        let mut applied: BTreeMap<String, u32> = BTreeMap::new();
        let mut next = 0;
        let mut faults_seen = 0;
        let mut published_at_last_fault = 0;
        let mut rounds = 0;
        while next < EVENTS || applied.len() < EVENTS as usize {
            rounds += 1;
            assert!(
                rounds < 200_000,
                "{} of {EVENTS} events applied after {rounds} rounds; relay: {:?}; published {}",
                applied.len(),
                monitor.health(),
                transport.inner.published().len()
            );
            // The producer commits a few events at a time.
            if next < EVENTS {
                let batch: Vec<Message> = (next..(next + 10).min(EVENTS)).map(message).collect();
                next += batch.len() as u64;
                append(&mut producer, &batch);
            }
            // Faults come and go, each after the relay made progress since
            // the last: the store fails a few calls in a row with one of
            // SQLite's errors, or the broker goes down for a while.
            let progress = monitor.health().stats.published;
            let fault = if progress > published_at_last_fault && faults.lock().unwrap().is_empty() {
                published_at_last_fault = progress;
                rng.below(3)
            } else {
                2
            };
            match fault {
                0 => {
                    let mut queue = faults.lock().unwrap();
                    for _ in 0..=rng.below(3) {
                        queue.push_back(Some(match rng.below(3) {
                            0 => sqlite_error(ffi::SQLITE_BUSY, "database is locked"),
                            1 => sqlite_error(
                                ffi::SQLITE_READONLY,
                                "attempt to write a readonly database",
                            ),
                            _ => sqlite_error(ffi::SQLITE_IOERR, "disk I/O error"),
                        }));
                    }
                }
                1 => {
                    down.store(true, Ordering::SeqCst);
                    let before = monitor.health().faults;
                    wait_until("the relay meets the outage", || {
                        monitor.health().faults > before
                    })
                    .await;
                    down.store(false, Ordering::SeqCst);
                }
                _ => {}
            }
            // The consumer takes what arrived, through its inbox.
            while let Ok(Some(received)) =
                tokio::time::timeout(Duration::from_millis(2), consumer.next()).await
            {
                let received = received.unwrap();
                let id = received.envelope.data().payment_id.clone();
                inbox
                    .handle("ledger", &received.envelope, |_| {
                        *applied.entry(id).or_default() += 1;
                        Ok(())
                    })
                    .unwrap();
                received.ack().await.unwrap();
            }
            faults_seen = monitor.health().faults;
        }
        stop.notify_one();
        running.await.unwrap();
        assert!(faults_seen >= 8, "only {faults_seen} faults were injected");
        assert_eq!(applied.len(), EVENTS as usize);
        assert!(applied.values().all(|&n| n == 1), "an event applied twice");
    });
    let conn = Connection::open(&path).unwrap();
    assert_eq!(SqliteOutbox::pending(&conn).unwrap(), 0);
    assert!(SqliteOutbox::dead_letters(&conn).unwrap().is_empty());
    assert_eq!(monitor.health().state, RelayState::Healthy);
}

/// Never answers.
#[derive(Clone)]
struct Silent;

impl Transport for Silent {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, _: Message) -> Result<(), TransportError> {
        std::future::pending().await
    }

    async fn subscribe(&self, _: &str, _: &str) -> Result<Self::Subscription, TransportError> {
        Err(TransportError::Closed)
    }
}

#[test]
fn a_broker_that_never_answers_is_a_fault_and_the_batch_goes_back() {
    let mut conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    let messages: Vec<Message> = (0..3).map(message).collect();
    append(&mut conn, &messages);
    let mut relay = Relay::new(
        conn,
        Silent,
        RelayConfig {
            publish_timeout: Duration::from_secs(30),
            ..config()
        },
    );
    // The paused clock moves on by itself while everything waits.
    let error = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(relay.run_once())
        .unwrap_err();
    assert!(error.to_string().contains("no answer"), "{error}");
    let conn = relay.store_mut();
    for m in &messages {
        assert_eq!(
            SqliteOutbox::state_of(conn, m.id()).unwrap(),
            Some(("pending".to_owned(), 0)),
            "given back untouched"
        );
    }
    assert!(matches!(
        relay.monitor().health().state,
        RelayState::BackingOff { failures: 1, .. }
    ));
}

#[test]
fn a_store_failure_mid_batch_gives_the_rest_of_the_batch_back() {
    let mut producer = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&producer).unwrap();
    let messages: Vec<Message> = (0..4).map(message).collect();
    append(&mut producer, &messages);
    let faults: Arc<Mutex<VecDeque<Option<BoxError>>>> = Arc::default();
    let transport = InMemoryTransport::new();
    let mut relay = Relay::new(
        Faulty {
            inner: producer,
            faults: Arc::clone(&faults),
        },
        transport.clone(),
        RelayConfig {
            // A renewal before every row.
            renew_every: Duration::ZERO,
            ..config()
        },
    );
    // Claim, renew, mark row 1: fine; the renewal before row 2 fails.
    *faults.lock().unwrap() = VecDeque::from([
        None,
        None,
        None,
        Some(sqlite_error(ffi::SQLITE_IOERR, "disk I/O error")),
    ]);
    assert!(runtime().block_on(relay.run_once()).is_err());
    let states: Vec<String> = messages
        .iter()
        .map(|m| {
            SqliteOutbox::state_of(&relay.store_mut().inner, m.id())
                .unwrap()
                .unwrap()
                .0
        })
        .collect();
    // Nothing waits for the lease: the rest of the batch is due again now,
    // in order.
    assert_eq!(states, ["published", "pending", "pending", "pending"]);
    assert_eq!(transport.published().len(), 1);
}
