//! Crash safety on PostgreSQL and NATS JetStream: two producers, two relays
//! and two consumers run as child processes (this test binary re-executed)
//! and are killed (SIGKILL) again and again while orders flow from the
//! producers' outbox through JetStream into the consumers' inbox. Producers
//! commit most use cases and roll back the others (the order row and the
//! outbox row in one transaction either way). At the end every committed
//! order has exactly one effect, no rolled-back one has any, none is lost.
//!
//! Kills follow observed progress, never the clock: each kill waits until
//! the measure of its target's stage, read from the database (orders
//! committed, rows marked published, effects recorded), reaches a point of
//! a seeded plan. Producers keep at most a window of orders ahead of the
//! effects, so every stage still has work when its processes are killed.
//!
//! The test works in a schema and a stream of its own, removed at the end
//! (after a failure too); without the servers it is skipped with a notice
//! (it fails instead with `EVENT_CORE_REQUIRE_SERVICES=1`).

#[path = "support/services.rs"]
mod services;
mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use event_core::integration::Consumer;
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
use event_core::postgres::sqlx::postgres::PgPoolOptions;
use event_core::postgres::sqlx::{self, PgConnection, PgPool};
use event_core::postgres::{InboxOutcome, PgConfig, PgInbox, PgOutbox, migrate};
use event_core::prelude::*;
use event_core::relay::{Relay, RelayConfig};
use event_core::retry::RetryPolicy;
use event_core::{BoxError, Envelope, UnitOfWork};
use support::Rng;

/// An order was placed.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    pub amount_cents: u64,
}

/// Use cases, numbered from 0; the producers share them out.
const USE_CASES: u64 = 2_000;
const PRODUCERS: u64 = 2;
const RELAYS: usize = 2;
const CONSUMERS: usize = 2;
const KILLS: usize = 20;
/// How many committed orders a producer lets run ahead of the effects.
const WINDOW: i64 = 120;
/// The consumer group.
const GROUP: &str = "shipping";
/// The bound on every wait: far above what any step needs.
const PATIENCE: Duration = Duration::from_secs(240);

/// The child's role: `producer`, `relay` or `consumer`.
const ROLE: &str = "EVENT_CORE_CRASH_PG_ROLE";
/// The child's number among its role's.
const INDEX: &str = "EVENT_CORE_CRASH_PG_INDEX";
const SCHEMA: &str = "EVENT_CORE_CRASH_PG_SCHEMA";
const STREAM: &str = "EVENT_CORE_CRASH_PG_STREAM";

/// Use case `n` is rolled back rather than committed.
fn rolled_back(n: u64) -> bool {
    n % 5 == 3
}

fn committed_use_cases() -> i64 {
    (0..USE_CASES).filter(|&n| !rolled_back(n)).count() as i64
}

fn nats_config(stream: &str) -> NatsConfig {
    NatsConfig::new(stream.to_uppercase(), format!("t_{stream}"))
        .with_batch(16)
        // Deliveries a killed consumer held come again soon.
        .with_ack_wait(Duration::from_secs(3))
        .with_fetch_expiry(Duration::from_secs(1))
        .with_request_timeout(Duration::from_secs(10))
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

/// One of the processes: runs until it is killed (a producer until its use
/// cases are done). Only when started by the test below.
#[test]
fn child() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let index: u64 = std::env::var(INDEX).unwrap().parse().unwrap();
    let schema = std::env::var(SCHEMA).unwrap();
    let stream = std::env::var(STREAM).unwrap();
    runtime().block_on(async move {
        let config = PgConfig::new(schema.clone());
        match role.as_str() {
            "producer" => produce(index, &config).await,
            "relay" => relay(index, &config, &stream).await,
            _ => consume(&config, &stream).await,
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

async fn relay(index: u64, config: &PgConfig, stream: &str) {
    let outbox = PgOutbox::new(pool(4).await.unwrap(), config).unwrap();
    let transport = NatsTransport::connect(&services::nats_url(), nats_config(stream))
        .await
        .unwrap();
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

async fn consume(config: &PgConfig, stream: &str) {
    let inbox = PgInbox::new(pool(2).await.unwrap(), config).unwrap();
    let effects = format!("\"{}\".effects", config.schema);
    let transport = NatsTransport::connect(&services::nats_url(), nats_config(stream))
        .await
        .unwrap();
    let mut orders = Consumer::<OrderPlacedIntegrationEvent, _>::subscribe(&transport, GROUP)
        .await
        .unwrap();
    let policy = RetryPolicy::default();
    while let Some(received) = orders.next().await {
        let outcome = inbox
            .deliver(GROUP, received.unwrap(), &policy, async |tx, e| {
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

/// The processes, the schema and the stream: the processes are killed and
/// the schema and the stream removed when this is dropped, after a failed
/// assertion too.
struct Run {
    schema: String,
    stream: String,
    children: Vec<(&'static str, u64, Child)>,
}

impl Run {
    fn spawn(&self, role: &'static str, index: u64) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child", "--nocapture", "--test-threads=1"])
            .env(ROLE, role)
            .env(INDEX, index.to_string())
            .env(SCHEMA, &self.schema)
            .env(STREAM, &self.stream)
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        for (_, _, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let schema = self.schema.clone();
        let stream = self.stream.clone();
        let _ = std::thread::spawn(move || {
            runtime().block_on(async move {
                if let Ok(pool) = pool(1).await {
                    let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
                if let Ok(transport) =
                    NatsTransport::connect(&services::nats_url(), nats_config(&stream)).await
                {
                    let _ = transport.delete_stream().await;
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

#[cfg(unix)]
#[test]
fn killed_producers_relays_and_consumers_lose_nothing_and_apply_each_order_once() {
    const TEST: &str = "crash_postgres_nats";
    let started = std::time::Instant::now();
    let runtime = runtime();
    let pool = match runtime.block_on(pool_within(4, Duration::from_secs(5))) {
        Ok(pool) => pool,
        Err(error) => {
            let url = services::database_url();
            return services::unreachable(TEST, "PostgreSQL", &url, error).unwrap_or_default();
        }
    };
    let stream = services::unique_name("crash_pg");
    let nats_url = services::nats_url();
    let transport = match runtime.block_on(NatsTransport::connect(&nats_url, nats_config(&stream)))
    {
        Ok(transport) => transport,
        Err(error) => {
            return services::unreachable(TEST, "NATS", &nats_url, error).unwrap_or_default();
        }
    };
    let mut run = Run {
        schema: services::unique_name("event_core_crash"),
        stream,
        children: Vec::new(),
    };
    if let Err(error) =
        runtime.block_on(transport.ensure_stream(&StreamSettings::default().with_memory(true)))
    {
        return services::unreachable(TEST, "NATS JetStream", &nats_url, error).unwrap_or_default();
    }
    let config = PgConfig::new(run.schema.clone());
    let orders = format!("\"{}\".orders", run.schema);
    let effects = format!("\"{}\".effects", run.schema);
    runtime.block_on(async {
        migrate(&pool, &config).await.unwrap();
        sqlx::raw_sql(&format!(
            "CREATE TABLE {orders} (id TEXT PRIMARY KEY, amount BIGINT NOT NULL);
             CREATE TABLE {effects} (order_id TEXT NOT NULL, amount BIGINT NOT NULL, event_id TEXT NOT NULL);"
        ))
        .execute(&pool)
        .await
        .unwrap();
    });
    let measures = Measures {
        pool: pool.clone(),
        outbox: PgOutbox::new(pool.clone(), &config).unwrap(),
        orders: orders.clone(),
        effects: effects.clone(),
    };
    let committed = committed_use_cases();

    // Consumers first (their subscriptions create the consumer group before
    // anything is published), then relays and producers.
    for index in 0..CONSUMERS as u64 {
        let child = run.spawn("consumer", index);
        run.children.push(("consumer", index, child));
    }
    for index in 0..RELAYS as u64 {
        let child = run.spawn("relay", index);
        run.children.push(("relay", index, child));
    }
    runtime.block_on(async {
        let name = transport.consumer_name(OrderPlacedIntegrationEvent::FULL_TYPE, GROUP);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let stream = transport
                .jetstream()
                .get_stream(&transport.config().stream)
                .await
                .unwrap();
            if stream.consumer_info(&name).await.is_ok() {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no consumer group");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    for index in 0..PRODUCERS {
        let child = run.spawn("producer", index);
        run.children.push(("producer", index, child));
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

    // The producers finish; the relays and consumers drain what is left.
    runtime.block_on(async {
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
        let stored = {
            let mut stream = transport
                .jetstream()
                .get_stream(&transport.config().stream)
                .await
                .unwrap();
            stream.info().await.unwrap().state.messages
        };
        // Deliveries to the group, redeliveries of what killed consumers
        // held included.
        let delivered = {
            let name = transport.consumer_name(OrderPlacedIntegrationEvent::FULL_TYPE, GROUP);
            let stream = transport
                .jetstream()
                .get_stream(&transport.config().stream)
                .await
                .unwrap();
            stream
                .consumer_info(&name)
                .await
                .unwrap()
                .delivered
                .consumer_sequence
        };
        eprintln!(
            "{USE_CASES} use cases, {committed} committed; {KILLS} kills (stage, orders not \
             yet through it): {left_at_kills:?}; {stored} messages stored in the stream, \
             {delivered} deliveries to the consumers; {:?}",
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
            stored >= committed as u64,
            "every committed order went through the stream"
        );
    });
    runtime.block_on(pool.close());
    drop(run);
}
