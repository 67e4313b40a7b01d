//! What a use case stages belongs to its unit of work alone: over random
//! interleavings of use cases that commit, fail in a handler, or roll back,
//! run concurrently on one SQLite database while a relay publishes, the
//! messages delivered are exactly those staged by the use cases that
//! committed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use event_core::prelude::*;
use event_core::relay::{Relay, RelayConfig};
use event_core::sqlite::{SqliteOutbox, SqliteUnitOfWork};
use event_core::transport::InMemoryTransport;
use event_core::{BoxError, DomainBus};
use proptest::prelude::*;
use rusqlite::{Connection, params};

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    pub blocked: bool,
}

/// An order was placed, for other contexts.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

/// A second public event of the same fact, from a second translator.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderAcceptedIntegrationEvent {
    pub order_id: String,
}

/// How one use case ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Everything succeeds and the unit of work commits.
    Commit,
    /// A handler between the two translators fails; the use case returns the
    /// error and its unit of work is dropped.
    HandlerFails,
    /// The bus succeeds, then the use case rolls back on its own.
    RollBack,
    /// The bus succeeds, then the use case fails before committing (its
    /// unit of work is dropped).
    FailsBeforeCommit,
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        Just(Ending::Commit),
        Just(Ending::HandlerFails),
        Just(Ending::RollBack),
        Just(Ending::FailsBeforeCommit),
    ]
}

/// The service's bus: a translator, a handler that refuses blocked orders,
/// and a second translator.
fn bus() -> DomainBus {
    let mut bus = DomainBus::new();
    bus.translate::<OrderPlaced, OrderPlacedIntegrationEvent>(|_| Ok(()));
    bus.subscribe(|e: &Envelope<OrderPlaced>| -> Result<(), BoxError> {
        if e.data().blocked {
            return Err("the order is blocked".into());
        }
        Ok(())
    });
    bus.translate::<OrderPlaced, OrderAcceptedIntegrationEvent>(|_| Ok(()));
    bus
}

/// One use case: stores the order and publishes `OrderPlaced`, in one unit of
/// work. Returns whether it committed.
fn place_order(
    conn: &mut Connection,
    bus: &DomainBus,
    order_id: &str,
    ending: Ending,
) -> Result<(), BoxError> {
    let mut work = SqliteUnitOfWork::begin(conn)?;
    work.transaction()
        .execute("INSERT INTO orders (id) VALUES (?1)", params![order_id])?;
    let placed = Envelope::new(
        "/shop/ordering",
        OrderPlaced {
            order_id: order_id.to_owned(),
            blocked: ending == Ending::HandlerFails,
        },
    );
    bus.publish(&mut work, &placed)?;
    match ending {
        Ending::Commit => {
            work.commit()?;
            Ok(())
        }
        Ending::RollBack => {
            work.rollback()?;
            Err("rolled back".into())
        }
        Ending::FailsBeforeCommit | Ending::HandlerFails => Err("the use case failed".into()),
    }
}

fn open(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    conn
}

static CASE: AtomicU64 = AtomicU64::new(0);

/// A database of its own for one case.
struct Database(PathBuf);

impl Database {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "event-core-uow-{}-{}",
            std::process::id(),
            CASE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("service.db");
        let conn = open(&path);
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE orders (id TEXT PRIMARY KEY);")
            .unwrap();
        SqliteOutbox::install(&conn).unwrap();
        Database(path)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs the use cases, split over `threads` threads, while a relay publishes;
/// returns the orders committed and the (type, order) pairs delivered.
fn run(use_cases: &[Ending], threads: usize) -> (BTreeSet<String>, Vec<(String, String)>) {
    let database = Database::new();
    let bus = Arc::new(bus());
    let transport = InMemoryTransport::new();
    let relay = Relay::new(
        open(&database.0),
        transport.clone(),
        RelayConfig {
            batch_size: 7,
            idle_wait: Duration::from_millis(1),
            retention: None,
            ..RelayConfig::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let relaying = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(relay.run(async move {
                let _ = stopped.await;
            }))
    });

    let committed: BTreeSet<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let bus = Arc::clone(&bus);
                let path = database.0.clone();
                scope.spawn(move || {
                    let mut conn = open(&path);
                    let mut committed = Vec::new();
                    for (n, ending) in use_cases.iter().enumerate().skip(t).step_by(threads) {
                        let order_id = format!("order-{n}");
                        if place_order(&mut conn, &bus, &order_id, *ending).is_ok() {
                            committed.push(order_id);
                        }
                    }
                    committed
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });

    // Every committed message reaches the transport; wait on the outbox.
    let conn = open(&database.0);
    let mut rounds = 0;
    while SqliteOutbox::pending(&conn).unwrap() > 0 {
        rounds += 1;
        assert!(rounds < 60_000, "the relay did not drain the outbox");
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = stop.send(());
    relaying.join().unwrap();

    let stored: BTreeSet<String> = conn
        .prepare("SELECT id FROM orders")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(stored, committed, "the orders stored are those committed");

    let delivered = transport
        .published()
        .into_iter()
        .map(|message| {
            let order_id = match message.event_type() {
                "order.placed.v1" => {
                    Envelope::<OrderPlacedIntegrationEvent>::from_json(message.payload())
                        .unwrap()
                        .into_data()
                        .order_id
                }
                _ => {
                    Envelope::<OrderAcceptedIntegrationEvent>::from_json(message.payload())
                        .unwrap()
                        .into_data()
                        .order_id
                }
            };
            (message.event_type().to_owned(), order_id)
        })
        .collect();
    (committed, delivered)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn delivered_messages_are_exactly_those_of_committed_use_cases(
        use_cases in proptest::collection::vec(ending(), 1..40),
        threads in 1_usize..4,
    ) {
        let (committed, delivered) = run(&use_cases, threads);
        let expected_committed: BTreeSet<String> = use_cases
            .iter()
            .enumerate()
            .filter(|(_, e)| **e == Ending::Commit)
            .map(|(n, _)| format!("order-{n}"))
            .collect();
        prop_assert_eq!(&committed, &expected_committed);
        let mut expected: Vec<(String, String)> = committed
            .iter()
            .flat_map(|order| {
                [
                    ("order.accepted.v1".to_owned(), order.clone()),
                    ("order.placed.v1".to_owned(), order.clone()),
                ]
            })
            .collect();
        expected.sort();
        let mut delivered = delivered;
        delivered.sort();
        // Each committed use case's two messages, once each, and nothing else.
        prop_assert_eq!(delivered, expected);
    }
}
