//! The SQLite outbox, relay and inbox.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use event_core::integration::{Consumer, encode};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::sqlite::{
    InboxOutcome, MemoryInbox, Relay, RelayConfig, SqliteInbox, SqliteOutbox,
};
use event_core::transport::{InMemoryTransport, Message, Transport, TransportError};
use event_core::{BoxError, Envelope};
use rusqlite::{Connection, params};
use support::{Rng, block_on};

/// A payment was captured.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub amount_cents: u64,
}

fn message(n: u64) -> Message {
    encode(&Envelope::new(
        "/payments",
        PaymentCapturedIntegrationEvent {
            payment_id: format!("pay-{n}"),
            amount_cents: n,
        },
    ))
    .unwrap()
}

fn database() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    SqliteInbox::install(&conn).unwrap();
    conn.execute_batch("CREATE TABLE payments (id TEXT PRIMARY KEY, amount INTEGER NOT NULL);")
        .unwrap();
    conn
}

fn config() -> RelayConfig {
    RelayConfig {
        retention: None,
        ..RelayConfig::default()
    }
}

#[test]
fn the_outbox_commits_and_rolls_back_with_the_use_case() {
    let mut conn = database();
    {
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO payments VALUES ('pay-1', 10)", [])
            .unwrap();
        SqliteOutbox::append(&tx, &message(1)).unwrap();
        tx.rollback().unwrap();
    }
    assert_eq!(SqliteOutbox::pending(&conn).unwrap(), 0);

    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO payments VALUES ('pay-2', 20)", [])
        .unwrap();
    let appended = SqliteOutbox::append_all(&tx, [message(2), message(3)]).unwrap();
    tx.commit().unwrap();
    assert_eq!(appended, 2);
    assert_eq!(SqliteOutbox::pending(&conn).unwrap(), 2);
    let payments: i64 = conn
        .query_row("SELECT COUNT(*) FROM payments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(payments, 1);
}

fn fill(conn: &mut Connection, messages: &[Message]) {
    let tx = conn.transaction().unwrap();
    SqliteOutbox::append_all(&tx, messages.iter().cloned()).unwrap();
    tx.commit().unwrap();
}

#[test]
fn the_relay_publishes_in_order_and_marks_rows_published() {
    let mut conn = database();
    let messages: Vec<Message> = (0..5).map(message).collect();
    fill(&mut conn, &messages);
    let transport = InMemoryTransport::new();
    let mut relay = Relay::new(conn, transport.clone(), config());
    let stats = block_on(relay.run_once()).unwrap();
    assert_eq!(stats.published, 5);
    let ids: Vec<String> = transport
        .published()
        .into_iter()
        .map(|m| m.id().to_owned())
        .collect();
    let expected: Vec<String> = messages.iter().map(|m| m.id().to_owned()).collect();
    assert_eq!(ids, expected);
    let conn = relay.store_mut();
    assert_eq!(SqliteOutbox::pending(conn).unwrap(), 0);
    assert_eq!(SqliteOutbox::published(conn).unwrap(), 5);
    // Nothing is published twice.
    assert_eq!(block_on(relay.run_once()).unwrap().published, 0);
}

/// Rejects the first `failures` publishes, then delivers.
#[derive(Clone)]
struct Flaky {
    failures: Arc<AtomicU32>,
    inner: InMemoryTransport,
}

impl Transport for Flaky {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(TransportError::Rejected("broker restarting".into()));
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

fn flaky(failures: u32) -> Flaky {
    Flaky {
        failures: Arc::new(AtomicU32::new(failures)),
        inner: InMemoryTransport::new(),
    }
}

#[test]
fn failures_wait_for_their_backoff_then_succeed() {
    let mut conn = database();
    let m = message(1);
    fill(&mut conn, std::slice::from_ref(&m));
    let transport = flaky(1);
    let mut relay = Relay::new(
        conn,
        transport.clone(),
        RelayConfig {
            retry: RetryPolicy {
                immediate_retries: 0,
                delayed_retries: 5,
                base_delay: Duration::from_secs(3600),
                max_delay: Duration::from_secs(3600),
            },
            ..config()
        },
    );
    let stats = block_on(relay.run_once()).unwrap();
    assert_eq!((stats.published, stats.retried), (0, 1));
    assert_eq!(
        SqliteOutbox::state_of(relay.store_mut(), m.id()).unwrap(),
        Some(("pending".to_owned(), 1))
    );
    // Not due yet: the backoff holds it back.
    assert_eq!(block_on(relay.run_once()).unwrap(), Default::default());
    // Once due, it goes out.
    relay
        .store_mut()
        .execute("UPDATE event_outbox SET next_attempt_at = 0", [])
        .unwrap();
    assert_eq!(block_on(relay.run_once()).unwrap().published, 1);
    assert_eq!(transport.inner.published().len(), 1);
}

#[test]
fn rows_are_dead_lettered_after_max_attempts_and_can_be_requeued() {
    let mut conn = database();
    let m = message(1);
    fill(&mut conn, std::slice::from_ref(&m));
    let transport = flaky(3);
    let mut relay = Relay::new(
        conn,
        transport.clone(),
        RelayConfig {
            retry: RetryPolicy {
                immediate_retries: 2,
                delayed_retries: 0,
                ..RetryPolicy::default()
            },
            ..config()
        },
    );
    let mut total = event_core::sqlite::RelayStats::default();
    for _ in 0..3 {
        total += block_on(relay.run_once()).unwrap();
    }
    assert_eq!((total.retried, total.dead, total.published), (2, 1, 0));
    let dead = SqliteOutbox::dead_letters(relay.store_mut()).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, m.id());
    assert_eq!(dead[0].attempts, 3);
    assert!(
        dead[0].last_error.contains("broker restarting"),
        "{}",
        dead[0].last_error
    );
    assert_eq!(SqliteOutbox::pending(relay.store_mut()).unwrap(), 0);

    assert!(SqliteOutbox::requeue(relay.store_mut(), m.id()).unwrap());
    assert!(!SqliteOutbox::requeue(relay.store_mut(), "no-such-id").unwrap());
    assert!(
        SqliteOutbox::dead_letters(relay.store_mut())
            .unwrap()
            .is_empty()
    );
    assert_eq!(block_on(relay.run_once()).unwrap().published, 1);
}

#[test]
fn corrupt_rows_are_dead_lettered_not_skipped() {
    let mut conn = database();
    let good = message(2);
    conn.execute(
        "INSERT INTO event_outbox (id, event_type, headers, payload, created_at)
         VALUES ('bad-1', 'payment.captured.v1', '[]', X'7B6E6F74', 0)",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO event_outbox (id, event_type, headers, payload, created_at)
         VALUES ('bad-2', 'payment.captured.v1', 'not json', '{}', 0)",
        [],
    )
    .unwrap();
    fill(&mut conn, std::slice::from_ref(&good));
    let transport = InMemoryTransport::new();
    let mut relay = Relay::new(conn, transport.clone(), config());
    let stats = block_on(relay.run_once()).unwrap();
    assert_eq!((stats.dead, stats.published), (2, 1));
    let dead = SqliteOutbox::dead_letters(relay.store_mut()).unwrap();
    assert_eq!(
        dead.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["bad-1", "bad-2"]
    );
    assert!(dead.iter().all(|d| d.last_error.starts_with("corrupt row")));
    assert_eq!(transport.published()[0].id(), good.id());
}

#[test]
fn old_published_rows_are_purged() {
    let mut conn = database();
    fill(&mut conn, &[message(1), message(2)]);
    let mut relay = Relay::new(conn, InMemoryTransport::new(), config());
    block_on(relay.run_once()).unwrap();
    let conn = relay.store_mut();
    conn.execute(
        "UPDATE event_outbox SET published_at = 0 WHERE seq = (SELECT MIN(seq) FROM event_outbox)",
        [],
    )
    .unwrap();
    assert_eq!(SqliteOutbox::purge_published(conn, 3_600_000).unwrap(), 1);
    assert_eq!(SqliteOutbox::published(conn).unwrap(), 1);
}

#[test]
fn two_relays_on_one_database_publish_each_row_once() {
    let dir = std::env::temp_dir().join(format!("event-core-relays-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("outbox.db");
    let mut conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    SqliteOutbox::install(&conn).unwrap();
    let messages: Vec<Message> = (0..400).map(message).collect();
    fill(&mut conn, &messages);

    let transport = InMemoryTransport::new();
    let relays: Vec<_> = (0..2)
        .map(|i| {
            let path = path.clone();
            let transport = transport.clone();
            std::thread::spawn(move || {
                let mut relay = Relay::new(
                    Connection::open(path).unwrap(),
                    transport,
                    RelayConfig {
                        name: format!("relay-{i}"),
                        batch_size: 7,
                        ..config()
                    },
                );
                let mut published = 0;
                loop {
                    let stats = block_on(relay.run_once()).unwrap();
                    if stats.published == 0 {
                        return published;
                    }
                    published += stats.published;
                }
            })
        })
        .collect();
    let counts: Vec<u64> = relays.into_iter().map(|r| r.join().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), 400);
    let ids: Vec<String> = transport
        .published()
        .into_iter()
        .map(|m| m.id().to_owned())
        .collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), distinct.len()),
        (400, 400),
        "no row published twice"
    );
    assert_eq!(SqliteOutbox::pending(&conn).unwrap(), 0);
    drop(conn);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn apply(
    tx: &rusqlite::Transaction<'_>,
    e: &Envelope<PaymentCapturedIntegrationEvent>,
) -> Result<(), BoxError> {
    tx.execute(
        "INSERT INTO payments (id, amount) VALUES (?1, ?2)",
        params![e.data().payment_id, i64::try_from(e.data().amount_cents)?],
    )?;
    Ok(())
}

#[test]
fn duplicates_and_reorderings_apply_each_event_once() {
    for seed in 0..20 {
        let mut rng = Rng(seed);
        let events: Vec<_> = (0..30)
            .map(|n| {
                Envelope::new(
                    "/payments",
                    PaymentCapturedIntegrationEvent {
                        payment_id: format!("pay-{n}"),
                        amount_cents: rng.next() % 1000,
                    },
                )
            })
            .collect();
        // Every event at least once, some up to four times, shuffled.
        let mut stream: Vec<usize> = (0..events.len())
            .flat_map(|i| std::iter::repeat_n(i, 1 + rng.below(4)))
            .collect();
        for i in (1..stream.len()).rev() {
            stream.swap(i, rng.below(i + 1));
        }

        let mut conn = database();
        let memory = MemoryInbox::new();
        let mut memory_state: BTreeMap<String, u64> = BTreeMap::new();
        let mut outcomes = (0, 0);
        for &i in &stream {
            match SqliteInbox::handle(&mut conn, "ledger", &events[i], apply).unwrap() {
                InboxOutcome::Processed => outcomes.0 += 1,
                InboxOutcome::Duplicate => outcomes.1 += 1,
                InboxOutcome::DeadLettered => unreachable!(),
            }
            memory
                .handle("ledger", &events[i], |e| {
                    *memory_state.entry(e.data().payment_id.clone()).or_default() +=
                        e.data().amount_cents;
                    Ok(())
                })
                .unwrap();
        }
        assert_eq!(
            outcomes,
            (events.len(), stream.len() - events.len()),
            "seed {seed}"
        );

        let expected: BTreeMap<String, u64> = events
            .iter()
            .map(|e| (e.data().payment_id.clone(), e.data().amount_cents))
            .collect();
        let mut statement = conn.prepare("SELECT id, amount FROM payments").unwrap();
        let stored: BTreeMap<String, u64> = statement
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, expected, "seed {seed}");
        assert_eq!(memory_state, expected, "seed {seed}");
        assert_eq!(
            SqliteInbox::processed(&conn, "ledger").unwrap(),
            events.len() as u64
        );
    }
}

#[test]
fn a_failed_handler_leaves_no_trace_and_a_poison_message_is_dead_lettered() {
    let mut conn = database();
    let transport = InMemoryTransport::new();
    block_on(async {
        let mut consumer =
            Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "ledger")
                .await
                .unwrap();
        let poison = Envelope::new(
            "/payments",
            PaymentCapturedIntegrationEvent {
                payment_id: "pay-poison".into(),
                amount_cents: 1,
            },
        );
        transport.publish(encode(&poison).unwrap()).await.unwrap();
        let failing = |tx: &rusqlite::Transaction<'_>,
                       e: &Envelope<PaymentCapturedIntegrationEvent>| {
            apply(tx, e)?;
            Err::<(), BoxError>("ledger closed".into())
        };
        // Three attempts, retried at once: attempts 1 and 2 fail and are
        // redelivered; attempt 3 is buried.
        let policy = RetryPolicy {
            immediate_retries: 2,
            delayed_retries: 0,
            ..RetryPolicy::default()
        };
        for attempt in 1..=3 {
            let received = consumer.next().await.unwrap().unwrap();
            assert_eq!(received.delivery.attempt, attempt);
            let outcome =
                SqliteInbox::deliver(&mut conn, "ledger", received, &policy, failing).await;
            if attempt < 3 {
                assert!(outcome.is_err());
            } else {
                assert_eq!(outcome.unwrap(), InboxOutcome::DeadLettered);
            }
        }
        let payments: i64 = conn
            .query_row("SELECT COUNT(*) FROM payments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(payments, 0, "failed handlers rolled back");
        let dead: Vec<(String, String)> = SqliteInbox::dead_letters(&conn, "ledger")
            .unwrap()
            .into_iter()
            .map(|d| (d.event_id, d.last_error))
            .collect();
        assert_eq!(
            dead,
            [(poison.id().to_string(), "ledger closed".to_owned())]
        );
    });
}

#[test]
fn random_rows_and_bytes_never_panic_and_are_dead_lettered() {
    let mut rng = Rng(7);
    let conn = database();
    for n in 0..300 {
        // Garbage in every column the relay reads, of every SQLite type.
        let payload: rusqlite::types::Value = match rng.below(4) {
            0 => rusqlite::types::Value::Blob(rng.bytes(64)),
            1 => rusqlite::types::Value::Text(String::from_utf8_lossy(&rng.bytes(64)).into_owned()),
            2 => rusqlite::types::Value::Integer(rng.next() as i64),
            _ => rusqlite::types::Value::Real(0.5),
        };
        let headers: rusqlite::types::Value = if rng.below(2) == 0 {
            rusqlite::types::Value::Text("[]".into())
        } else {
            rusqlite::types::Value::Blob(rng.bytes(64))
        };
        conn.execute(
            "INSERT INTO event_outbox (id, event_type, headers, payload, attempts, created_at)
             VALUES (?1, 'payment.captured.v1', ?2, ?3, ?4, 0)",
            params![format!("junk-{n}"), headers, payload, rng.below(3) as i64],
        )
        .unwrap();
    }
    let transport = InMemoryTransport::new();
    let mut relay = Relay::new(
        conn,
        transport.clone(),
        RelayConfig {
            batch_size: 1000,
            ..config()
        },
    );
    let stats = block_on(relay.run_once()).unwrap();
    assert_eq!((stats.dead, stats.published), (300, 0));
    assert_eq!(
        SqliteOutbox::dead_letters(relay.store_mut()).unwrap().len(),
        300
    );
    assert!(transport.published().is_empty());

    // Random bytes reaching a consumer: a typed error, the delivery handed
    // back, and the inbox's dead letters keep it.
    let inbox = database();
    block_on(async {
        let mut consumer =
            Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "ledger")
                .await
                .unwrap();
        for n in 0..200 {
            transport
                .publish(Message::new(
                    &format!("noise-{n}"),
                    "payment.captured.v1",
                    rng.bytes(64),
                ))
                .await
                .unwrap();
            match consumer.next().await.unwrap() {
                Err(event_core::integration::ConsumeError::Decode { error, delivery }) => {
                    SqliteInbox::bury(&inbox, "ledger", &delivery, &error.to_string()).unwrap();
                    delivery.ack().await.unwrap();
                }
                Ok(received) => panic!("random bytes decoded: {:?}", received.envelope),
                Err(other) => panic!("{other}"),
            }
        }
    });
    assert_eq!(
        SqliteInbox::dead_letters(&inbox, "ledger").unwrap().len(),
        200
    );
}
