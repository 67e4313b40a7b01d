//! Crash safety: a relay in a child process is killed (SIGKILL) again and
//! again while events flow from the outbox through a durable transport to an
//! inbox consumer. At the end every event was applied exactly once: none
//! lost, duplicates absorbed.
//!
//! Kills follow observed progress, never the clock. Each relay may hand the
//! broker only so many messages before it stops for good (its gate), which
//! leaves work behind however fast or slow the machine is; it is killed
//! either once it has marked a chosen number of rows published (wherever it
//! is then) or once it waits at its gate, with the message stored in the
//! broker but its row not yet marked, or with a batch claimed and the message
//! not yet stored. The plan comes from a seeded generator.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use event_core::integration::{Consumer, encode};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::sqlite::{
    InboxOutcome, Relay, RelayConfig, SqliteInbox, SqliteOutbox, SqliteSubscription,
    SqliteTransport,
};
use event_core::transport::{Message, Transport, TransportError};
use event_core::{BoxError, Envelope};
use rusqlite::{Connection, params};
use support::{Rng, now, runtime};

/// A payment was captured.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub amount_cents: u64,
}

const EVENTS: u64 = 3_000;
const KILLS: usize = 24;
/// The folder of the databases, for the relay process.
const CHILD: &str = "EVENT_CORE_CRASH_RELAY_DIR";
/// How many messages the relay process may hand the broker; unlimited if
/// absent.
const LIMIT: &str = "EVENT_CORE_CRASH_RELAY_LIMIT";
/// `stored` to stop after the broker stored the last message, `claimed` to
/// stop before storing it.
const GATE: &str = "EVENT_CORE_CRASH_RELAY_GATE";
/// The file a relay process creates once it waits at its gate.
const AT_GATE: &str = "at-gate";
/// The longest wait for progress before the test gives up: generous, since
/// nothing here depends on how fast the machine is.
const PATIENCE: Duration = Duration::from_secs(120);

fn relay_config(name: &str) -> RelayConfig {
    RelayConfig {
        name: name.to_owned(),
        batch_size: 25,
        // Rows a killed relay held go out again soon.
        lease: Duration::from_millis(300),
        idle_wait: Duration::from_millis(5),
        retention: None,
        ..RelayConfig::default()
    }
}

/// The relay process's transport: pauses a little after the broker stored
/// each message (the window between publishing and marking the row
/// published, where a kill makes the next relay publish the row again), and
/// stops for good at its limit, saying so with a file.
struct Gated {
    broker: SqliteTransport,
    handed: AtomicU64,
    limit: u64,
    stop_after_storing: bool,
    at_gate: PathBuf,
}

impl Gated {
    async fn stop(&self) {
        std::fs::write(&self.at_gate, b"").unwrap();
        std::future::pending::<()>().await;
    }
}

impl Transport for Gated {
    type Subscription = SqliteSubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let n = self.handed.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.limit && !self.stop_after_storing {
            self.stop().await;
        }
        self.broker.publish(message).await?;
        if n == self.limit {
            self.stop().await;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(())
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<SqliteSubscription, TransportError> {
        self.broker.subscribe(event_type, consumer).await
    }
}

/// The relay process: runs until killed. Only when started by the test below.
#[test]
fn relay_child() {
    let Some(dir) = std::env::var_os(CHILD).map(PathBuf::from) else {
        return;
    };
    let limit = std::env::var(LIMIT).map_or(u64::MAX, |limit| limit.parse().unwrap());
    let name = format!("relay-{}", std::process::id());
    let relay = Relay::new(
        Connection::open(dir.join("outbox.db")).unwrap(),
        Gated {
            broker: SqliteTransport::open(dir.join("broker.db")).unwrap(),
            handed: AtomicU64::new(0),
            limit,
            stop_after_storing: std::env::var(GATE).as_deref() == Ok("stored"),
            at_gate: dir.join(AT_GATE),
        },
        relay_config(&name),
    );
    runtime().block_on(relay.run(std::future::pending()));
}

/// Where a relay process is killed.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// Once it marked this many rows published, wherever it is then.
    AfterMarking(u64),
    /// Once it waits at its gate, its last message stored in the broker but
    /// its row not marked.
    AtGateStored,
    /// Once it waits at its gate, its batch claimed, the last message not
    /// stored.
    AtGateClaimed,
}

fn spawn_relay(dir: &Path, limit: Option<u64>, kill: Option<Kill>) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "relay_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir);
    if let Some(limit) = limit {
        command.env(LIMIT, limit.to_string());
    }
    let gate = match kill {
        Some(Kill::AtGateClaimed) => "claimed",
        _ => "stored",
    };
    command.env(GATE, gate).spawn().unwrap()
}

fn apply(
    tx: &rusqlite::Transaction<'_>,
    e: &Envelope<PaymentCapturedIntegrationEvent>,
) -> Result<(), BoxError> {
    tx.execute(
        "INSERT INTO ledger (payment_id, amount) VALUES (?1, ?2)",
        params![e.data().payment_id, i64::try_from(e.data().amount_cents)?],
    )?;
    Ok(())
}

/// The consumer side: its subscription, its database, and what it saw.
struct Ledger {
    consumer: Consumer<PaymentCapturedIntegrationEvent, SqliteSubscription>,
    conn: Connection,
    processed: u64,
    duplicates: u64,
}

impl Ledger {
    /// Handles every delivery that is visible now.
    async fn consume(&mut self) {
        while let Some(Some(next)) = now(self.consumer.next()).await {
            let received = next.unwrap();
            let outcome = SqliteInbox::deliver(
                &mut self.conn,
                "ledger",
                received,
                &RetryPolicy::default(),
                apply,
            )
            .await
            .unwrap();
            match outcome {
                InboxOutcome::Processed => self.processed += 1,
                InboxOutcome::Duplicate => self.duplicates += 1,
                InboxOutcome::DeadLettered => panic!("nothing here is poison"),
            }
        }
    }

    /// Consumes until `done` holds, looking again every few milliseconds.
    async fn consume_until(&mut self, what: &str, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        loop {
            self.consume().await;
            if done() {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no progress: waited {PATIENCE:?} for {what}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

fn published(outbox: &Connection) -> u64 {
    SqliteOutbox::published(outbox).unwrap()
}

#[cfg(unix)]
#[test]
fn killed_relays_lose_nothing_and_duplicates_are_absorbed() {
    let dir = std::env::temp_dir().join(format!("event-core-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The producer's database: the outbox, filled in a few transactions.
    let mut outbox = Connection::open(dir.join("outbox.db")).unwrap();
    outbox.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    outbox.busy_timeout(Duration::from_secs(10)).unwrap();
    SqliteOutbox::install(&outbox).unwrap();
    for chunk in 0..10 {
        let tx = outbox.transaction().unwrap();
        for n in (chunk * EVENTS / 10)..((chunk + 1) * EVENTS / 10) {
            let envelope = Envelope::new(
                "/payments",
                PaymentCapturedIntegrationEvent {
                    payment_id: format!("pay-{n}"),
                    amount_cents: n,
                },
            );
            SqliteOutbox::append(&tx, &encode(&envelope).unwrap()).unwrap();
        }
        tx.commit().unwrap();
    }

    // The consumer's database: its ledger and its inbox. The consumer is
    // not killed, so commits need not wait for the disk.
    let conn = Connection::open(dir.join("ledger.db")).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .unwrap();
    SqliteInbox::install(&conn).unwrap();
    conn.execute_batch(
        "CREATE TABLE ledger (payment_id TEXT PRIMARY KEY, amount INTEGER NOT NULL);",
    )
    .unwrap();
    let broker = SqliteTransport::open(dir.join("broker.db"))
        .unwrap()
        .with_lease(Duration::from_secs(5));

    let runtime = runtime();
    let mut ledger = Ledger {
        consumer: runtime
            .block_on(Consumer::subscribe(&broker, "ledger"))
            .unwrap(),
        conn,
        processed: 0,
        duplicates: 0,
    };

    // The plan: where each relay is killed, and how many messages it may
    // hand the broker. Each relay marks at most its limit, so rows remain
    // at every kill: at most 24 * 100 of the 3,000.
    let mut rng = Rng(0x5eed);
    let plan: Vec<(Kill, u64)> = (0..KILLS)
        .map(|_| {
            let marked = 10 + rng.below(50) as u64;
            let limit = marked + 1 + rng.below(40) as u64;
            let kill = match rng.below(3) {
                0 => Kill::AfterMarking(marked),
                1 => Kill::AtGateStored,
                _ => Kill::AtGateClaimed,
            };
            (kill, limit)
        })
        .collect();
    assert!(plan.iter().map(|(_, limit)| limit).sum::<u64>() < EVENTS);

    let gate = dir.join(AT_GATE);
    let mut pending_after_kills = Vec::new();
    for &(kill, limit) in &plan {
        let before = published(&outbox);
        let mut child = spawn_relay(&dir, Some(limit), Some(kill));
        match kill {
            Kill::AfterMarking(marked) => runtime.block_on(ledger.consume_until(
                &format!("{marked} rows marked published by relay {}", child.id()),
                || published(&outbox) >= before + marked,
            )),
            Kill::AtGateStored | Kill::AtGateClaimed => runtime.block_on(
                ledger.consume_until(&format!("relay {} to reach its gate", child.id()), || {
                    gate.exists()
                }),
            ),
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let _ = std::fs::remove_file(&gate);
        pending_after_kills.push(SqliteOutbox::pending(&outbox).unwrap());
    }

    // One last relay runs the outbox dry; the consumer drains the broker.
    let mut child = spawn_relay(&dir, None, None);
    runtime.block_on(
        ledger.consume_until("the outbox and the broker to drain", || {
            SqliteOutbox::pending(&outbox).unwrap() == 0 && broker.waiting("ledger").unwrap() == 0
        }),
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let applied: i64 = ledger
        .conn
        .query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get(0))
        .unwrap();
    let total: i64 = ledger
        .conn
        .query_row("SELECT SUM(amount) FROM ledger", [], |r| r.get(0))
        .unwrap();
    let stored_at_gate = plan
        .iter()
        .filter(|(kill, _)| matches!(kill, Kill::AtGateStored))
        .count() as u64;
    eprintln!(
        "{KILLS} kills ({stored_at_gate} with a message stored but not marked); rows pending \
         after them: {pending_after_kills:?}; {} processed, {} duplicates absorbed",
        ledger.processed, ledger.duplicates
    );
    assert_eq!(pending_after_kills.len(), KILLS);
    assert!(
        pending_after_kills.iter().all(|&pending| pending > 0),
        "every kill left work behind"
    );
    assert_eq!(
        SqliteOutbox::pending(&outbox).unwrap(),
        0,
        "the outbox ran dry"
    );
    assert!(SqliteOutbox::dead_letters(&outbox).unwrap().is_empty());
    assert_eq!(ledger.processed, EVENTS, "every event applied once");
    // Each relay killed with a stored message whose row was not marked left
    // that row to be published again.
    assert!(
        ledger.duplicates >= stored_at_gate,
        "{} duplicates, {stored_at_gate} expected at least",
        ledger.duplicates
    );
    assert_eq!(applied, i64::try_from(EVENTS).unwrap());
    let n = i64::try_from(EVENTS).unwrap();
    assert_eq!(total, n * (n - 1) / 2, "each amount counted once");
    assert_eq!(
        SqliteInbox::processed(&ledger.conn, "ledger").unwrap(),
        EVENTS
    );
    assert!(
        SqliteInbox::dead_letters(&ledger.conn, "ledger")
            .unwrap()
            .is_empty()
    );
    drop((outbox, ledger));
    std::fs::remove_dir_all(&dir).unwrap();
}
