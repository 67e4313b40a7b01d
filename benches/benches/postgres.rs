//! The PostgreSQL adapter beside plain sqlx: the outbox append against an
//! insert of the same bytes in the same transaction, and the inbox consumer
//! in messages per second.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench postgres`
//!
//! It runs against `DATABASE_URL` (the local server's database `test`
//! otherwise), in a schema of its own that it drops at the end; without a
//! server it prints a notice and measures nothing.

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use event_core::integration::{Consumer, encode};
use event_core::postgres::sqlx::{self, PgPool};
use event_core::postgres::{PgConfig, PgInbox, PgOutbox, migrate};
use event_core::relay::{Relay, RelayConfig};
use event_core::retry::RetryPolicy;
use event_core::transport::{InMemoryTransport, Message, Transport};
use event_core::{Envelope, UnitOfWork};
use event_core_benches::{ProductUpdatedIntegrationEvent, sale};

fn messages(count: usize) -> Vec<Message> {
    (0..count)
        .map(|n| {
            let parent = Envelope::new("/catalog", sale(n as u64));
            encode(&Envelope::caused_by(
                &parent,
                ProductUpdatedIntegrationEvent::from(parent.data()),
            ))
            .unwrap()
        })
        .collect()
}

/// The schema the benchmarks work in, and its tables.
struct Bench {
    pool: PgPool,
    config: PgConfig,
}

impl Bench {
    fn table(&self, name: &str) -> String {
        format!("\"{}\".{name}", self.config.schema)
    }
}

fn outbox(c: &mut Criterion, runtime: &tokio::runtime::Runtime, bench: &Bench) {
    let outbox = PgOutbox::new(bench.pool.clone(), &bench.config).unwrap();
    let raw = bench.table("raw_messages");
    let products = bench.table("products");
    let insert_raw =
        format!("INSERT INTO {raw} (id, event_type, headers, payload) VALUES ($1, $2, $3, $4)");
    let insert_product = format!(
        "INSERT INTO {products} (id, price) VALUES ($1, 100)
         ON CONFLICT (id) DO UPDATE SET price = {products}.price + 1"
    );
    let mut group = c.benchmark_group("postgres-outbox");
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for batch in [1usize, 100] {
        group.throughput(Throughput::Elements(batch as u64));
        // A use case: its state change and its messages, in one unit of
        // work that stores them in the outbox when it commits.
        group.bench_function(format!("append/{batch}"), |b| {
            b.iter_batched(
                || messages(batch),
                |messages| {
                    runtime.block_on(async {
                        let mut work = outbox.begin().await.unwrap();
                        sqlx::query(&insert_product)
                            .bind("p-1")
                            .execute(work.connection())
                            .await
                            .unwrap();
                        for message in messages {
                            work.staged().stage_message(message);
                        }
                        work.commit().await.unwrap();
                    })
                },
                BatchSize::SmallInput,
            )
        });
        // The same state change and the same bytes, inserted with plain
        // sqlx, one statement per message, into a table without the
        // outbox's indexes and trigger.
        group.bench_function(format!("sqlx/{batch}"), |b| {
            b.iter_batched(
                || messages(batch),
                |messages| {
                    runtime.block_on(async {
                        let mut tx = bench.pool.begin().await.unwrap();
                        sqlx::query(&insert_product)
                            .bind("p-1")
                            .execute(&mut *tx)
                            .await
                            .unwrap();
                        for m in &messages {
                            let headers = serde_json::to_string(&m.headers).unwrap();
                            sqlx::query(&insert_raw)
                                .bind(&m.id)
                                .bind(&m.event_type)
                                .bind(headers)
                                .bind(&m.payload)
                                .execute(&mut *tx)
                                .await
                                .unwrap();
                        }
                        tx.commit().await.unwrap();
                    })
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// Events per second through a consumer with the PostgreSQL inbox (each
/// one a transaction with its effect and the inbox row), and from the
/// outbox through a relay and the in-memory transport to that consumer;
/// measured over whole runs of `COUNT` events.
fn inbox(c: &mut Criterion, runtime: &tokio::runtime::Runtime, bench: &Bench) {
    const COUNT: usize = 1000;
    let inbox = PgInbox::new(bench.pool.clone(), &bench.config).unwrap();
    let effects = bench.table("storefront");
    let insert_effect = format!(
        "INSERT INTO {effects} (product_id, price) VALUES ($1, $2)
         ON CONFLICT (product_id) DO UPDATE SET price = EXCLUDED.price"
    );
    let mut group = c.benchmark_group("postgres-inbox");
    group.sample_size(10);
    group.throughput(Throughput::Elements(COUNT as u64));
    let consume = async |consumer: &mut Consumer<ProductUpdatedIntegrationEvent, _>| {
        for _ in 0..COUNT {
            let item = consumer.next().await.unwrap().unwrap();
            inbox
                .deliver(
                    "storefront",
                    item,
                    &RetryPolicy::default(),
                    async |tx, e| {
                        sqlx::query(&insert_effect)
                            .bind(&e.data().product_id)
                            .bind(i64::try_from(e.data().price_cents)?)
                            .execute(&mut *tx)
                            .await?;
                        Ok(())
                    },
                )
                .await
                .unwrap();
        }
    };
    group.bench_function(format!("deliver/{COUNT}"), |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                total += runtime.block_on(async {
                    let transport = InMemoryTransport::new();
                    let mut consumer = Consumer::<ProductUpdatedIntegrationEvent, _>::subscribe(
                        &transport,
                        "storefront",
                    )
                    .await
                    .unwrap();
                    for message in messages(COUNT) {
                        transport.publish(message).await.unwrap();
                    }
                    let start = Instant::now();
                    consume(&mut consumer).await;
                    start.elapsed()
                });
            }
            total
        })
    });
    group.bench_function(format!("outbox-relay-inbox/{COUNT}"), |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                total += runtime.block_on(async {
                    let outbox = PgOutbox::new(bench.pool.clone(), &bench.config).unwrap();
                    let mut tx = bench.pool.begin().await.unwrap();
                    outbox.append_all(&mut tx, messages(COUNT)).await.unwrap();
                    tx.commit().await.unwrap();
                    let transport = InMemoryTransport::new();
                    let mut consumer = Consumer::<ProductUpdatedIntegrationEvent, _>::subscribe(
                        &transport,
                        "storefront",
                    )
                    .await
                    .unwrap();
                    let mut relay = Relay::new(
                        outbox,
                        transport.clone(),
                        RelayConfig {
                            batch_size: 200,
                            ..RelayConfig::default()
                        },
                    );
                    let start = Instant::now();
                    let mut relayed = 0;
                    while relayed < COUNT as u64 {
                        relayed += relay.run_once().await.unwrap().published;
                    }
                    consume(&mut consumer).await;
                    start.elapsed()
                });
            }
            total
        })
    });
    group.finish();
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let pool = match runtime.block_on(
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url),
    ) {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!(
                "\nNOTICE: the PostgreSQL benchmarks are skipped: PostgreSQL at {url} cannot be \
                 reached ({error}). Set DATABASE_URL or start the server.\n"
            );
            return;
        }
    };
    let bench = Bench {
        pool,
        config: PgConfig::new(format!("event_core_bench_{}", std::process::id())),
    };
    runtime.block_on(async {
        migrate(&bench.pool, &bench.config).await.unwrap();
        sqlx::raw_sql(&format!(
            "CREATE TABLE {} (id TEXT PRIMARY KEY, event_type TEXT NOT NULL,
                 headers TEXT NOT NULL, payload BYTEA NOT NULL);
             CREATE TABLE {} (id TEXT PRIMARY KEY, price BIGINT NOT NULL);
             CREATE TABLE {} (product_id TEXT PRIMARY KEY, price BIGINT NOT NULL);",
            bench.table("raw_messages"),
            bench.table("products"),
            bench.table("storefront"),
        ))
        .execute(&bench.pool)
        .await
        .unwrap();
    });
    let mut criterion = Criterion::default().configure_from_args();
    outbox(&mut criterion, &runtime, &bench);
    inbox(&mut criterion, &runtime, &bench);
    criterion.final_summary();
    runtime.block_on(async {
        sqlx::raw_sql(&format!("DROP SCHEMA \"{}\" CASCADE", bench.config.schema))
            .execute(&bench.pool)
            .await
            .unwrap();
    });
}
