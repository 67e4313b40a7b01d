//! Crash safety: a relay in a child process is killed (SIGKILL) at random
//! points, again and again, while events flow from the outbox through a
//! durable transport to an inbox consumer. At the end every event was applied
//! exactly once: none lost, duplicates absorbed.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use event_core::integration::{Consumer, encode};
use event_core::prelude::*;
use event_core::sqlite::{
    InboxOutcome, Relay, RelayConfig, SqliteInbox, SqliteOutbox, SqliteSubscription,
    SqliteTransport,
};
use event_core::transport::{Message, Transport, TransportError};
use event_core::{BoxError, Envelope};
use rusqlite::{Connection, params};
use support::Rng;

/// A payment was captured.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub amount_cents: u64,
}

const EVENTS: u64 = 3_000;
const KILLS: u32 = 24;
const CHILD: &str = "EVENT_CORE_CRASH_RELAY_DIR";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

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

/// A transport that pauses after the broker stored each message: the window
/// between publishing and marking the row published, where a kill makes the
/// next relay publish the row again.
struct Slow(SqliteTransport);

impl Transport for Slow {
    type Subscription = SqliteSubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        self.0.publish(message).await?;
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok(())
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<SqliteSubscription, TransportError> {
        self.0.subscribe(event_type, consumer).await
    }
}

/// The relay process: runs until killed. Only when started by the test below.
#[test]
fn relay_child() {
    let Some(dir) = std::env::var_os(CHILD).map(PathBuf::from) else {
        return;
    };
    let name = format!("relay-{}", std::process::id());
    let relay = Relay::new(
        Connection::open(dir.join("outbox.db")).unwrap(),
        Slow(SqliteTransport::open(dir.join("broker.db")).unwrap()),
        relay_config(&name),
    );
    runtime().block_on(relay.run(std::future::pending()));
}

fn spawn_relay(dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "relay_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir)
        .spawn()
        .unwrap()
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

    // The consumer's database: its ledger and its inbox.
    let mut ledger = Connection::open(dir.join("ledger.db")).unwrap();
    SqliteInbox::install(&ledger).unwrap();
    ledger
        .execute_batch(
            "CREATE TABLE ledger (payment_id TEXT PRIMARY KEY, amount INTEGER NOT NULL);",
        )
        .unwrap();
    let broker = SqliteTransport::open(dir.join("broker.db"))
        .unwrap()
        .with_lease(Duration::from_secs(5));

    let runtime = runtime();
    let mut consumer = runtime
        .block_on(Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(
            &broker, "ledger",
        ))
        .unwrap();

    let mut rng = Rng(0x5eed);
    let (mut processed, mut duplicates) = (0u64, 0u64);
    let mut consume = |runtime: &tokio::runtime::Runtime, for_ms: u64| {
        runtime.block_on(async {
            let until = tokio::time::Instant::now() + Duration::from_millis(for_ms);
            while let Ok(Some(received)) = tokio::time::timeout_at(until, consumer.next()).await {
                let received = received.unwrap();
                match SqliteInbox::deliver(&mut ledger, "ledger", received, 5, apply)
                    .await
                    .unwrap()
                {
                    InboxOutcome::Processed => processed += 1,
                    InboxOutcome::Duplicate => duplicates += 1,
                    InboxOutcome::DeadLettered => panic!("nothing here is poison"),
                }
            }
        });
    };

    // Kill the relay at random points while the consumer keeps consuming.
    for _ in 0..KILLS {
        let mut child = spawn_relay(&dir);
        consume(&runtime, 20 + rng.below(120) as u64);
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let pending_after_kills = SqliteOutbox::pending(&outbox).unwrap();

    // One last relay runs the outbox dry; the consumer drains the broker.
    let mut child = spawn_relay(&dir);
    for _ in 0..600 {
        consume(&runtime, 100);
        if SqliteOutbox::pending(&outbox).unwrap() == 0 && broker.waiting("ledger").unwrap() == 0 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let applied: i64 = ledger
        .query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get(0))
        .unwrap();
    let total: i64 = ledger
        .query_row("SELECT SUM(amount) FROM ledger", [], |r| r.get(0))
        .unwrap();
    eprintln!(
        "{KILLS} kills; {pending_after_kills} rows still pending after them; \
         {processed} processed, {duplicates} duplicates absorbed"
    );
    // At 2 ms a message, the kills all landed while work remained.
    assert!(pending_after_kills > 0, "the kills happened mid-flow");
    assert_eq!(
        SqliteOutbox::pending(&outbox).unwrap(),
        0,
        "the outbox ran dry"
    );
    assert!(SqliteOutbox::dead_letters(&outbox).unwrap().is_empty());
    assert_eq!(processed, EVENTS, "every event applied once");
    assert_eq!(applied, i64::try_from(EVENTS).unwrap());
    let n = i64::try_from(EVENTS).unwrap();
    assert_eq!(total, n * (n - 1) / 2, "each amount counted once");
    assert_eq!(SqliteInbox::processed(&ledger, "ledger").unwrap(), EVENTS);
    drop((outbox, ledger));
    std::fs::remove_dir_all(&dir).unwrap();
}
