//! The multi-process crash test of the PostgreSQL outbox and inbox over a
//! broker, for any transport ([`Broker`]): two producers, two relays and
//! two consumers run as child processes (the test binary re-executed) and
//! are killed (SIGKILL) again and again while orders flow from the
//! producers' outbox through the broker into the consumers' inbox.
//! Producers commit most use cases and roll back the others (the order row
//! and the outbox row in one transaction either way). At the end every
//! committed order has exactly one effect, no rolled-back one has any, none
//! is lost.
//!
//! Kills follow observed progress, never the clock: each kill waits until
//! the measure of its target's stage, read from the database (orders
//! committed, rows marked published, effects recorded), reaches a point of
//! a seeded plan. Producers keep at most a window of orders ahead of the
//! effects, so every stage still has work when its processes are killed.
//!
//! A run works in a schema and a broker topology (stream, or exchange and
//! queues) of its own, removed at the end (after a failure too); without
//! the servers it is skipped with a notice (it fails instead with
//! `EVENT_CORE_REQUIRE_SERVICES=1`).
//!
//! A test file includes it with `mod support;`, `#[path =
//! "support/services.rs"] mod services;` and `#[path = "support/crash.rs"]
//! mod crash;`, implements [`Broker`] and has two tests: one named `child`
//! that calls [`child`] (the children run it), and one that calls [`run`].

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use event_core::integration::Consumer;
use event_core::postgres::sqlx::postgres::PgPoolOptions;
use event_core::postgres::sqlx::{self, PgConnection, PgPool};
use event_core::postgres::{InboxOutcome, PgConfig, PgInbox, PgOutbox, migrate};
use event_core::prelude::*;
use event_core::relay::{Relay, RelayConfig};
use event_core::retry::RetryPolicy;
use event_core::transport::Transport;
use event_core::{BoxError, Envelope, UnitOfWork};

use crate::services;
use crate::support::Rng;

/// An order was placed.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    pub amount_cents: u64,
}

/// The event type the orders travel as.
pub const EVENT_TYPE: &str = OrderPlacedIntegrationEvent::FULL_TYPE;
/// The consumer group.
pub const GROUP: &str = "shipping";

/// Use cases, numbered from 0; the producers share them out.
pub const USE_CASES: u64 = 2_000;
const PRODUCERS: u64 = 2;
const RELAYS: usize = 2;
const CONSUMERS: usize = 2;
pub const KILLS: usize = 20;
/// How many committed orders a producer lets run ahead of the effects.
pub const WINDOW: i64 = 120;
/// The bound on every wait: far above what any step needs.
const PATIENCE: Duration = Duration::from_secs(240);

/// The child's role: `producer`, `relay` or `consumer`.
const ROLE: &str = "EVENT_CORE_CRASH_PG_ROLE";
/// The child's number among its role's.
const INDEX: &str = "EVENT_CORE_CRASH_PG_INDEX";
const SCHEMA: &str = "EVENT_CORE_CRASH_PG_SCHEMA";
/// The name of the run's topology on the broker.
const TOPOLOGY: &str = "EVENT_CORE_CRASH_PG_TOPOLOGY";

/// The broker a crash test runs on.
pub trait Broker {
    /// The test's name, in notices and messages.
    const TEST: &'static str;
    /// The server, as notices name it (`NATS`, `RabbitMQ`).
    const SERVICE: &'static str;
    type Transport: Transport;

    /// The server's URL.
    fn url() -> String;

    /// A transport of the run whose topology (stream, exchange) is named
    /// `name`, connected.
    async fn connect(name: &str) -> Result<Self::Transport, BoxError>;

    /// Creates what the run needs on the broker before its consumer group
    /// is declared (a stream); in the test's process only.
    async fn prepare(transport: &Self::Transport) -> Result<(), BoxError>;

    /// How many messages the consumer group still holds: not delivered
    /// yet, and delivered but not acknowledged where the broker tells.
    async fn held(transport: &Self::Transport) -> u64;

    /// What the broker tells of the run once it drained (the consumers
    /// still up), for the summary line.
    async fn figures(transport: &Self::Transport) -> String;

    /// Removes the run's topology from the broker.
    async fn remove(transport: &Self::Transport);
}

/// Use case `n` is rolled back rather than committed.
fn rolled_back(n: u64) -> bool {
    n % 5 == 3
}

pub fn committed_use_cases() -> i64 {
    (0..USE_CASES).filter(|&n| !rolled_back(n)).count() as i64
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A pool on the test server; a server that is not there is given up on
/// after `patience`.
async fn pool_within(connections: u32, patience: Duration) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(patience)
        .connect(&services::database_url())
        .await
}

async fn pool(connections: u32) -> Result<PgPool, sqlx::Error> {
    pool_within(connections, Duration::from_secs(30)).await
}

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// The body of the test named `child`: one of the processes, which runs
/// until it is killed (a producer until its use cases are done). Does
/// nothing unless started by [`run`].
pub fn child<B: Broker>() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let index: u64 = std::env::var(INDEX).unwrap().parse().unwrap();
    let schema = std::env::var(SCHEMA).unwrap();
    let topology = std::env::var(TOPOLOGY).unwrap();
    runtime().block_on(async move {
        let config = PgConfig::new(schema.clone());
        match role.as_str() {
            "producer" => produce(index, &config).await,
            "relay" => relay::<B>(index, &config, &topology).await,
            _ => consume::<B>(&config, &topology).await,
        }
    });
}

/// Places this producer's orders; a committed order already there (from
/// before a kill) is skipped.
async fn produce(index: u64, config: &PgConfig) {
    let outbox = PgOutbox::new(pool(2).await.unwrap(), config).unwrap();
    let orders = format!("\"{}\".orders", config.schema);
    let effects = format!("\"{}\".effects", config.schema);
    for n in (index..USE_CASES).step_by(PRODUCERS as usize) {
        // Back pressure, read from the database: at most a window of
        // committed orders ahead of the effects.
        loop {
            let ahead = scalar(
                outbox.pool(),
                &format!(
                    "SELECT (SELECT COUNT(*) FROM {orders}) - (SELECT COUNT(*) FROM {effects})"
                ),
            )
            .await;
            if ahead < WINDOW {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let order_id = format!("order-{n}");
        let envelope = Envelope::new(
            "/ordering",
            OrderPlacedIntegrationEvent {
                order_id: order_id.clone(),
                amount_cents: n,
            },
        );
        let mut work = outbox.begin().await.unwrap();
        let inserted = sqlx::query(&format!(
            "INSERT INTO {orders} (id, amount) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        ))
        .bind(&order_id)
        .bind(i64::try_from(n).unwrap())
        .execute(work.connection())
        .await
        .unwrap()
        .rows_affected();
        if inserted == 0 {
            work.rollback().await.unwrap();
            continue;
        }
        if rolled_back(n) {
            // The outbox row is written, then the use case fails.
            let message = event_core::integration::encode(&envelope).unwrap();
            outbox.append(work.connection(), &message).await.unwrap();
            work.rollback().await.unwrap();
        } else {
            work.staged().stage(&envelope).unwrap();
            work.commit().await.unwrap();
        }
    }
}

async fn relay<B: Broker>(index: u64, config: &PgConfig, topology: &str) {
    let outbox = PgOutbox::new(pool(4).await.unwrap(), config).unwrap();
    let transport = B::connect(topology).await.unwrap();
    let relay = Relay::new(
        outbox,
        transport,
        RelayConfig {
            name: format!("relay-{index}-{}", std::process::id()),
            batch_size: 20,
            // Rows a killed relay held go out again soon.
            lease: Duration::from_secs(1),
            idle_wait: Duration::from_millis(20),
            retention: None,
            ..RelayConfig::default()
        },
    );
    relay.run(std::future::pending()).await;
}

/// The effect: a row in `effects`, in the inbox's transaction.
async fn ship(
    effects: &str,
    tx: &mut PgConnection,
    e: &Envelope<OrderPlacedIntegrationEvent>,
) -> Result<(), BoxError> {
    sqlx::query(&format!(
        "INSERT INTO {effects} (order_id, amount, event_id) VALUES ($1, $2, $3)"
    ))
    .bind(&e.data().order_id)
    .bind(i64::try_from(e.data().amount_cents)?)
    .bind(e.id().to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn consume<B: Broker>(config: &PgConfig, topology: &str) {
    let inbox = PgInbox::new(pool(2).await.unwrap(), config).unwrap();
    let effects = format!("\"{}\".effects", config.schema);
    let deliveries = format!("\"{}\".deliveries", config.schema);
    let transport = B::connect(topology).await.unwrap();
    let mut orders = Consumer::<OrderPlacedIntegrationEvent, _>::subscribe(&transport, GROUP)
        .await
        .unwrap();
    let policy = RetryPolicy::default();
    while let Some(received) = orders.next().await {
        let received = received.unwrap();
        // Every delivery, counted outside the inbox's transaction: the
        // duplicates the inbox absorbs too.
        sqlx::query(&format!(
            "INSERT INTO {deliveries} (event_id, attempt) VALUES ($1, $2)"
        ))
        .bind(received.envelope.id().to_string())
        .bind(i64::from(received.delivery.attempt))
        .execute(inbox.pool())
        .await
        .unwrap();
        let outcome = inbox
            .deliver(GROUP, received, &policy, async |tx, e| {
                ship(&effects, tx, e).await
            })
            .await
            .unwrap();
        assert_ne!(
            outcome,
            InboxOutcome::DeadLettered,
            "nothing here is poison"
        );
    }
}

/// The processes, the schema and the broker's topology: the processes are
/// killed and the schema and the topology removed when this is dropped,
/// after a failed assertion too.
struct Run<B: Broker> {
    schema: String,
    topology: String,
    children: Vec<(&'static str, u64, Child)>,
    broker: std::marker::PhantomData<B>,
}

impl<B: Broker> Run<B> {
    fn spawn(&self, role: &'static str, index: u64) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child", "--nocapture", "--test-threads=1"])
            .env(ROLE, role)
            .env(INDEX, index.to_string())
            .env(SCHEMA, &self.schema)
            .env(TOPOLOGY, &self.topology)
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }
}

impl<B: Broker> Drop for Run<B> {
    fn drop(&mut self) {
        for (_, _, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let schema = self.schema.clone();
        let topology = self.topology.clone();
        // A thread of its own: this may run while the test's runtime
        // unwinds from a failed assertion.
        let _ = std::thread::spawn(move || {
            runtime().block_on(async move {
                if let Ok(pool) = pool(1).await {
                    let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
                if let Ok(transport) = B::connect(&topology).await {
                    B::remove(&transport).await;
                }
            });
        })
        .join();
    }
}

/// The stage a process works in, as read from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Orders committed.
    Produce,
    /// Outbox rows marked published.
    Relay,
    /// Effects recorded.
    Consume,
}

struct Measures {
    pool: PgPool,
    outbox: PgOutbox,
    orders: String,
    effects: String,
}

impl Measures {
    async fn of(&self, stage: Stage) -> i64 {
        match stage {
            Stage::Produce => {
                scalar(&self.pool, &format!("SELECT COUNT(*) FROM {}", self.orders)).await
            }
            Stage::Relay => i64::try_from(self.outbox.published().await.unwrap()).unwrap(),
            Stage::Consume => {
                scalar(
                    &self.pool,
                    &format!("SELECT COUNT(*) FROM {}", self.effects),
                )
                .await
            }
        }
    }

    /// Waits, reading the database, until `stage`'s measure reaches `target`.
    async fn reach(&self, stage: Stage, target: i64) -> i64 {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let now = self.of(stage).await;
            if now >= target {
                return now;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no progress: waited {PATIENCE:?} for {stage:?} to reach {target} (at {now})"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The body of the crash test on `B`: skipped with a notice when a server
/// cannot be reached.
pub fn run<B: Broker>() {
    let started = std::time::Instant::now();
    let runtime = runtime();
    let pool = match runtime.block_on(pool_within(4, Duration::from_secs(5))) {
        Ok(pool) => pool,
        Err(error) => {
            let url = services::database_url();
            return services::unreachable(B::TEST, "PostgreSQL", &url, error).unwrap_or_default();
        }
    };
    let topology = services::unique_name("crash_pg");
    let transport = match runtime.block_on(B::connect(&topology)) {
        Ok(transport) => transport,
        Err(error) => {
            return services::unreachable(B::TEST, B::SERVICE, &B::url(), error)
                .unwrap_or_default();
        }
    };
    let mut run = Run::<B> {
        schema: services::unique_name("event_core_crash"),
        topology,
        children: Vec::new(),
        broker: std::marker::PhantomData,
    };
    if let Err(error) = runtime.block_on(B::prepare(&transport)) {
        return services::unreachable(B::TEST, B::SERVICE, &B::url(), error).unwrap_or_default();
    }
    let config = PgConfig::new(run.schema.clone());
    let orders = format!("\"{}\".orders", run.schema);
    let effects = format!("\"{}\".effects", run.schema);
    let deliveries = format!("\"{}\".deliveries", run.schema);
    runtime.block_on(async {
        migrate(&pool, &config).await.unwrap();
        sqlx::raw_sql(&format!(
            "CREATE TABLE {orders} (id TEXT PRIMARY KEY, amount BIGINT NOT NULL);
             CREATE TABLE {effects} (order_id TEXT NOT NULL, amount BIGINT NOT NULL, event_id TEXT NOT NULL);
             CREATE TABLE {deliveries} (event_id TEXT NOT NULL, attempt BIGINT NOT NULL);"
        ))
        .execute(&pool)
        .await
        .unwrap();
        // The group exists before anything is published: a broker keeps
        // for a group only what is published once it is there.
        transport.declare(EVENT_TYPE, GROUP).await.unwrap();
    });
    let measures = Measures {
        pool: pool.clone(),
        outbox: PgOutbox::new(pool.clone(), &config).unwrap(),
        orders: orders.clone(),
        effects: effects.clone(),
    };
    let committed = committed_use_cases();

    for (role, count) in [
        ("consumer", CONSUMERS as u64),
        ("relay", RELAYS as u64),
        ("producer", PRODUCERS),
    ] {
        for index in 0..count {
            let child = run.spawn(role, index);
            run.children.push((role, index, child));
        }
    }

    // The plan: kill k at the point (k + 1) / (KILLS + 2) of its stage's
    // work, the stage and the process drawn by a seeded generator.
    let mut rng = Rng(0xc4a5_4e55);
    let plan: Vec<(Stage, usize, i64)> = (0..KILLS)
        .map(|k| {
            let stage = [Stage::Produce, Stage::Relay, Stage::Consume][rng.below(3)];
            let target = committed * (k as i64 + 1) / (KILLS as i64 + 2);
            (stage, rng.below(2), target)
        })
        .collect();
    let mut left_at_kills = Vec::new();
    for &(stage, which, target) in &plan {
        let reached = runtime.block_on(measures.reach(stage, target));
        let role = match stage {
            Stage::Produce => "producer",
            Stage::Relay => "relay",
            Stage::Consume => "consumer",
        };
        let slot = run
            .children
            .iter()
            .position(|(r, index, _)| *r == role && *index == which as u64)
            .unwrap();
        let child = &mut run.children[slot].2;
        child.kill().unwrap();
        child.wait().unwrap();
        left_at_kills.push((stage, committed - reached));
        let child = run.spawn(role, which as u64);
        run.children[slot].2 = child;
    }

    // The producers finish; the relays and consumers drain what is left,
    // and the group is left with nothing to deliver (the duplicates of
    // killed relays and the redeliveries of killed consumers included).
    let figures = runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        for (role, index, child) in &mut run.children {
            if *role != "producer" {
                continue;
            }
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    assert!(status.success(), "producer {index}: {status}");
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "producer {index} never finished"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        measures.reach(Stage::Produce, committed).await;
        measures.reach(Stage::Relay, committed).await;
        measures.reach(Stage::Consume, committed).await;
        loop {
            let held = B::held(&transport).await;
            if held == 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the group still holds {held} messages"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        B::figures(&transport).await
    });
    // No relay or consumer ended on its own (a panic in a child).
    for (role, index, child) in &mut run.children {
        if *role != "producer" {
            assert_eq!(child.try_wait().unwrap(), None, "{role} {index} ended");
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    runtime.block_on(async {
        let inbox = PgInbox::new(pool.clone(), &config).unwrap();
        let total = scalar(&pool, &format!("SELECT COUNT(*) FROM {effects}")).await;
        let distinct = scalar(
            &pool,
            &format!("SELECT COUNT(DISTINCT order_id) FROM {effects}"),
        )
        .await;
        let unmatched = scalar(
            &pool,
            &format!(
                "SELECT COUNT(*) FROM {orders} o FULL JOIN {effects} e ON e.order_id = o.id
                 WHERE o.id IS NULL OR e.order_id IS NULL OR e.amount <> o.amount"
            ),
        )
        .await;
        let order_ids: Vec<String> = sqlx::query_scalar(&format!("SELECT id FROM {orders}"))
            .fetch_all(&pool)
            .await
            .unwrap();
        let from_rolled_back = order_ids
            .iter()
            .filter(|id| rolled_back(id.trim_start_matches("order-").parse().unwrap()))
            .count();
        let delivered = scalar(&pool, &format!("SELECT COUNT(*) FROM {deliveries}")).await;
        let redelivered = scalar(
            &pool,
            &format!("SELECT COUNT(*) FROM {deliveries} WHERE attempt > 1"),
        )
        .await;
        eprintln!(
            "{}: {USE_CASES} use cases, {committed} committed; {KILLS} kills (stage, orders \
             not yet through it): {left_at_kills:?}; {delivered} deliveries recorded by the \
             consumers, {redelivered} of them redeliveries; {figures}; {:?}",
            B::TEST,
            started.elapsed()
        );
        assert_eq!(
            order_ids.len() as i64,
            committed,
            "each committed use case once"
        );
        assert_eq!(from_rolled_back, 0, "no order of a rolled-back use case");
        assert_eq!(total, committed, "one effect per committed order");
        assert_eq!(distinct, committed, "no order applied twice");
        assert_eq!(
            unmatched, 0,
            "every effect is a committed order's, with its amount"
        );
        assert_eq!(
            measures.outbox.pending().await.unwrap(),
            0,
            "the outbox ran dry"
        );
        assert!(measures.outbox.dead_letters().await.unwrap().is_empty());
        assert_eq!(inbox.processed(GROUP).await.unwrap(), committed as u64);
        assert!(inbox.dead_letters(GROUP).await.unwrap().is_empty());
        assert!(
            left_at_kills.iter().all(|&(_, left)| left > 0),
            "every kill left work behind"
        );
        assert!(
            delivered >= committed,
            "every committed order was delivered"
        );
    });
    runtime.block_on(pool.close());
    drop(run);
}
