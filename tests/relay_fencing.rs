//! Relay leases that fence: a relay that stalls past its lease can never
//! write about a row another relay has claimed since, and a relay waiting on
//! a slow broker keeps its rows by renewing their lease.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_core::integration::encode;
use event_core::prelude::*;
use event_core::relay::{Claim, ClaimedRow, OutboxStore, Relay, RelayConfig};
use event_core::sqlite::SqliteOutbox;
use event_core::transport::{InMemoryTransport, Message, Transport, TransportError};
use event_core::{BoxError, Envelope};
use rusqlite::{Connection, params};
use support::{runtime, wait_until};
use tokio::sync::watch;

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

/// A database file of one test, removed at the end.
struct Database(PathBuf);

impl Database {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("event-core-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("outbox.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
        SqliteOutbox::install(&conn).unwrap();
        Database(path)
    }

    fn open(&self) -> Connection {
        Connection::open(&self.0).unwrap()
    }

    /// Who marked each row published, by event id.
    fn published_by(&self) -> HashMap<String, Option<String>> {
        self.open()
            .prepare("SELECT id, published_by FROM event_outbox")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn a_claim_taken_over_after_its_lease_can_no_longer_write() {
    let mut conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    let messages: Vec<Message> = (0..3).map(message).collect();
    append(&mut conn, &messages);
    let rt = runtime();
    let lease = Duration::from_secs(30);

    let stale = rt.block_on(conn.claim("relay-a", 10, lease)).unwrap();
    // Relay A stalls; its lease runs out and relay B claims the rows.
    conn.execute("UPDATE event_outbox SET claimed_until = 0", [])
        .unwrap();
    let fresh = rt.block_on(conn.claim("relay-b", 10, lease)).unwrap();
    assert_eq!(fresh.len(), 3);
    for (old, new) in stale.iter().zip(&fresh) {
        assert_eq!(old.claim.seq, new.claim.seq);
        assert!(new.claim.generation > old.claim.generation);
    }
    let a: Vec<Claim> = stale.iter().map(|row| row.claim).collect();

    // Nothing relay A writes lands.
    assert!(rt.block_on(conn.renew(&a, lease)).unwrap().is_empty());
    assert!(!rt.block_on(conn.mark_published("relay-a", a[0])).unwrap());
    assert!(
        !rt.block_on(conn.retry_later(a[1], 1, "rejected", Duration::ZERO))
            .unwrap()
    );
    assert!(!rt.block_on(conn.bury(a[2], 9, "rejected")).unwrap());
    rt.block_on(conn.release(&a)).unwrap();
    let rows: Vec<(String, String, u32)> = conn
        .prepare("SELECT state, claimed_by, attempts FROM event_outbox ORDER BY seq")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for row in &rows {
        assert_eq!(row, &("in_flight".to_owned(), "relay-b".to_owned(), 0));
    }
    assert!(SqliteOutbox::dead_letters(&conn).unwrap().is_empty());

    // Relay B's writes do.
    for row in &fresh {
        assert!(
            rt.block_on(conn.mark_published("relay-b", row.claim))
                .unwrap()
        );
    }
    assert_eq!(SqliteOutbox::published(&conn).unwrap(), 3);
}

/// Stops every call while closed, as if the process were paused; closes
/// itself after `close_after_marks` marks; counts renewals.
struct Pausable {
    inner: Connection,
    open: watch::Receiver<bool>,
    close: Arc<watch::Sender<bool>>,
    close_after_marks: Option<u32>,
    renewals: Arc<AtomicU32>,
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
        self.inner.claim(relay, batch, lease).await
    }

    async fn renew(&mut self, claims: &[Claim], lease: Duration) -> Result<Vec<Claim>, BoxError> {
        self.gate().await;
        self.renewals.fetch_add(1, Ordering::SeqCst);
        self.inner.renew(claims, lease).await
    }

    async fn mark_published(&mut self, relay: &str, claim: Claim) -> Result<bool, BoxError> {
        self.gate().await;
        let marked = self.inner.mark_published(relay, claim).await;
        if let Some(left) = &mut self.close_after_marks {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.close.send_replace(false);
            }
        }
        marked
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

type Log = Arc<Mutex<Vec<(String, String)>>>;

/// Records which relay published which event; holds each publish while its
/// gate is closed, as a slow broker does.
#[derive(Clone)]
struct Tagged {
    relay: &'static str,
    inner: InMemoryTransport,
    log: Log,
    open: watch::Receiver<bool>,
}

impl Transport for Tagged {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let _ = self.open.clone().wait_for(|open| *open).await;
        self.log
            .lock()
            .unwrap()
            .push((self.relay.to_owned(), message.id().to_owned()));
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

fn gate(open: bool) -> (Arc<watch::Sender<bool>>, watch::Receiver<bool>) {
    let (sender, receiver) = watch::channel(open);
    (Arc::new(sender), receiver)
}

#[test]
fn a_relay_paused_past_its_lease_mid_batch_leaves_its_rows_to_the_next() {
    let database = Database::new("relay-paused");
    let messages: Vec<Message> = (0..3).map(message).collect();
    append(&mut database.open(), &messages);
    let log = Log::default();
    let inner = InMemoryTransport::new();
    let (_always, open) = gate(true);
    let transport = |relay| Tagged {
        relay,
        inner: inner.clone(),
        log: Arc::clone(&log),
        open: open.clone(),
    };

    // Relay A renews before every row and is paused after its first mark,
    // in the renewal before its second row.
    let (pause, paused) = gate(true);
    let renewals = Arc::new(AtomicU32::new(0));
    let relay_a = Relay::new(
        Pausable {
            inner: database.open(),
            open: paused,
            close: Arc::clone(&pause),
            close_after_marks: Some(1),
            renewals: Arc::clone(&renewals),
        },
        transport("relay-a"),
        RelayConfig {
            name: "relay-a".into(),
            lease: Duration::from_millis(200),
            renew_every: Duration::ZERO,
            retention: None,
            ..RelayConfig::default()
        },
    );
    let mut relay_b = Relay::new(
        database.open(),
        transport("relay-b"),
        RelayConfig {
            name: "relay-b".into(),
            retention: None,
            ..RelayConfig::default()
        },
    );

    let (stats_a, stats_b) = runtime().block_on(async {
        let mut relay_a = relay_a;
        let running = tokio::spawn(async move { relay_a.run_once().await });
        wait_until("relay A is paused", || {
            !*pause.borrow() && renewals.load(Ordering::SeqCst) >= 1
        })
        .await;
        // Relay B takes the rest once A's lease has run out.
        let mut stats_b = event_core::relay::RelayStats::default();
        for round in 0.. {
            stats_b += relay_b.run_once().await.unwrap();
            if stats_b.published == 2 {
                break;
            }
            assert!(round < 12_000, "relay B never got the rows");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A wakes up: its claims are gone.
        pause.send_replace(true);
        let stats_a = running.await.unwrap().unwrap();
        (stats_a, stats_b)
    });

    assert_eq!((stats_a.published, stats_a.fenced), (1, 2));
    assert_eq!((stats_b.published, stats_b.fenced), (2, 0));
    // Each row was published by exactly one relay, and marked by it.
    let mut published = log.lock().unwrap().clone();
    published.sort();
    let mut expected = vec![
        ("relay-a".to_owned(), messages[0].id().to_owned()),
        ("relay-b".to_owned(), messages[1].id().to_owned()),
        ("relay-b".to_owned(), messages[2].id().to_owned()),
    ];
    expected.sort();
    assert_eq!(published, expected);
    let marks = database.published_by();
    assert_eq!(marks[messages[0].id()].as_deref(), Some("relay-a"));
    assert_eq!(marks[messages[1].id()].as_deref(), Some("relay-b"));
    assert_eq!(marks[messages[2].id()].as_deref(), Some("relay-b"));
}

#[test]
fn a_relay_waiting_on_a_slow_broker_keeps_its_rows_by_renewing_them() {
    let database = Database::new("relay-slow-broker");
    let messages: Vec<Message> = (0..3).map(message).collect();
    append(&mut database.open(), &messages);
    let log = Log::default();
    let inner = InMemoryTransport::new();
    let (broker, slow) = gate(false);
    let (_always, open) = gate(true);
    let renewals = Arc::new(AtomicU32::new(0));
    let (keep, kept) = gate(true);
    let relay_a = Relay::new(
        Pausable {
            inner: database.open(),
            open: kept,
            close: keep,
            close_after_marks: None,
            renewals: Arc::clone(&renewals),
        },
        Tagged {
            relay: "relay-a",
            inner: inner.clone(),
            log: Arc::clone(&log),
            open: slow,
        },
        RelayConfig {
            name: "relay-a".into(),
            lease: Duration::from_secs(60),
            renew_every: Duration::from_millis(10),
            retention: None,
            ..RelayConfig::default()
        },
    );
    let mut relay_b = Relay::new(
        database.open(),
        Tagged {
            relay: "relay-b",
            inner: inner.clone(),
            log: Arc::clone(&log),
            open,
        },
        RelayConfig {
            name: "relay-b".into(),
            retention: None,
            ..RelayConfig::default()
        },
    );
    let claimed_until = || -> i64 {
        database
            .open()
            .query_row(
                "SELECT MIN(claimed_until) FROM event_outbox",
                params![],
                |row| row.get::<_, Option<i64>>(0),
            )
            .unwrap()
            .unwrap_or(0)
    };

    let (stats_a, stats_b) = runtime().block_on(async {
        let mut relay_a = relay_a;
        let running = tokio::spawn(async move { relay_a.run_once().await });
        wait_until("relay A claimed its batch", || claimed_until() > 0).await;
        let first = claimed_until();
        // While the broker holds A's first publish, A renews the batch's
        // lease, and B finds nothing to claim.
        wait_until("relay A renewed its lease", || {
            renewals.load(Ordering::SeqCst) >= 3 && claimed_until() > first
        })
        .await;
        let stats_b = relay_b.run_once().await.unwrap();
        broker.send_replace(true);
        let stats_a = running.await.unwrap().unwrap();
        (stats_a, stats_b)
    });

    assert_eq!(stats_b.published, 0);
    assert_eq!((stats_a.published, stats_a.fenced), (3, 0));
    let published: Vec<String> = log.lock().unwrap().iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(published, ["relay-a", "relay-a", "relay-a"]);
    assert!(
        database
            .published_by()
            .values()
            .all(|by| by.as_deref() == Some("relay-a"))
    );
}

#[test]
fn a_requeued_dead_letter_carries_its_claim_generation_on() {
    let mut conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    let m = message(1);
    append(&mut conn, std::slice::from_ref(&m));
    let rt = runtime();
    let lease = Duration::from_secs(30);
    // A claims and stalls; B claims after A's lease and buries the row.
    let a = rt.block_on(conn.claim("relay-a", 1, lease)).unwrap()[0].claim;
    conn.execute("UPDATE event_outbox SET claimed_until = 0", [])
        .unwrap();
    let b = rt.block_on(conn.claim("relay-b", 1, lease)).unwrap()[0].claim;
    assert!(rt.block_on(conn.bury(b, 1, "rejected")).unwrap());
    // An operator requeues it and C claims it.
    assert!(SqliteOutbox::requeue(&mut conn, m.id()).unwrap());
    let c = rt.block_on(conn.claim("relay-c", 1, lease)).unwrap()[0].claim;
    assert!(c.generation > b.generation && b.generation > a.generation);
    // Neither earlier holder can write about it any more.
    for stale in [a, b] {
        assert!(rt.block_on(conn.renew(&[stale], lease)).unwrap().is_empty());
        assert!(!rt.block_on(conn.mark_published("stale", stale)).unwrap());
        assert!(!rt.block_on(conn.bury(stale, 1, "rejected")).unwrap());
    }
    assert!(rt.block_on(conn.mark_published("relay-c", c)).unwrap());
}
