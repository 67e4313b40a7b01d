//! The PostgreSQL adapter beside plain sqlx: the outbox append against an
//! insert of the same bytes in the same transaction (with
//! `synchronous_commit` off, see `outbox`), and the inbox consumer in
//! messages per second (with the server's settings).
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
    url: String,
}

impl Bench {
    fn table(&self, name: &str) -> String {
        format!("\"{}\".{name}", self.config.schema)
    }
}

/// The append beside plain sqlx, on connections with `synchronous_commit`
/// off: both pay the same flush of the write-ahead log at commit, which on
/// a shared machine varies by milliseconds from one commit to the next and
/// would hide what is compared.
fn outbox(c: &mut Criterion, runtime: &tokio::runtime::Runtime, bench: &Bench) {
    let bench = &Bench {
        pool: async_commit_pool(runtime, bench),
        config: bench.config.clone(),
        url: bench.url.clone(),
    };
    let outbox = PgOutbox::new(bench.pool.clone(), &bench.config).unwrap();
    let raw = bench.table("raw_messages");
    let products = bench.table("products");
    let insert_raw =
        format!("INSERT INTO {raw} (id, event_type, headers, payload) VALUES ($1, $2, $3, $4)");
    let insert_outbox = format!(
        "INSERT INTO {} (id, event_type, headers, payload) VALUES ($1, $2, $3, $4)",
        bench.table("event_outbox")
    );
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
                |messages| runtime.block_on(unit_of_work(&outbox, &insert_product, messages)),
                BatchSize::SmallInput,
            )
        });
        // The same state change and the same rows into the same table,
        // with plain sqlx, one statement per message (as the SQLite
        // benchmark does): what the adapter adds.
        group.bench_function(format!("sqlx/{batch}"), |b| {
            b.iter_batched(
                || messages(batch),
                |messages| {
                    runtime.block_on(raw_insert(
                        &bench.pool,
                        &insert_product,
                        &insert_outbox,
                        &messages,
                    ))
                },
                BatchSize::SmallInput,
            )
        });
        if batch == 1 {
            // The same bytes into a table with a primary key alone, without
            // the outbox's other indexes and its trigger: what the outbox
            // table adds.
            group.bench_function("sqlx-bare-table/1", |b| {
                b.iter_batched(
                    || messages(1),
                    |messages| {
                        runtime.block_on(raw_insert(
                            &bench.pool,
                            &insert_product,
                            &insert_raw,
                            &messages,
                        ))
                    },
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();

    // Paired: one transaction of each kind after the other, in alternating
    // order, many times, so that the machine's load weighs on both alike;
    // the medians and the ratio of throughputs.
    const ROUNDS: usize = 400;
    for (baseline, insert) in [
        ("sqlx/1", &insert_outbox),
        ("sqlx-bare-table/1", &insert_raw),
    ] {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        runtime.block_on(async {
            for round in 0..ROUNDS {
                for append_first in [round % 2 == 0, round % 2 == 1] {
                    let start = Instant::now();
                    if append_first {
                        unit_of_work(&outbox, &insert_product, messages(1)).await;
                        ours.push(start.elapsed());
                    } else {
                        raw_insert(&bench.pool, &insert_product, insert, &messages(1)).await;
                        theirs.push(start.elapsed());
                    }
                }
            }
        });
        ours.sort_unstable();
        theirs.sort_unstable();
        let (ours, theirs) = (ours[ROUNDS / 2], theirs[ROUNDS / 2]);
        println!(
            "postgres-outbox paired ({ROUNDS} rounds): append/1 median {ours:?}, {baseline} \
             median {theirs:?}, throughput ratio {:.2}",
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
}

/// A pool whose connections commit without waiting for the flush of the
/// write-ahead log (`synchronous_commit` off).
fn async_commit_pool(runtime: &tokio::runtime::Runtime, bench: &Bench) -> PgPool {
    let options = bench
        .url
        .parse::<sqlx::postgres::PgConnectOptions>()
        .unwrap()
        .options([("synchronous_commit", "off")]);
    runtime
        .block_on(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect_with(options),
        )
        .unwrap()
}

/// A use case's transaction: its state change, and `messages` staged in a
/// unit of work that stores them in the outbox when it commits.
async fn unit_of_work(outbox: &PgOutbox, state_change: &str, messages: Vec<Message>) {
    let mut work = outbox.begin().await.unwrap();
    sqlx::query(state_change)
        .bind("p-1")
        .execute(work.connection())
        .await
        .unwrap();
    for message in messages {
        work.staged().stage_message(message);
    }
    work.commit().await.unwrap();
}

/// A transaction with the state change and `messages`, inserted by `insert`
/// with plain sqlx.
async fn raw_insert(pool: &PgPool, state_change: &str, insert: &str, messages: &[Message]) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(state_change)
        .bind("p-1")
        .execute(&mut *tx)
        .await
        .unwrap();
    for m in messages {
        let headers = serde_json::to_string(&m.headers()).unwrap();
        sqlx::query(insert)
            .bind(m.id())
            .bind(m.event_type())
            .bind(headers)
            .bind(m.payload())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
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
    let async_commit = PgInbox::new(async_commit_pool(runtime, bench), &bench.config).unwrap();
    let consume =
        async |inbox: &PgInbox, consumer: &mut Consumer<ProductUpdatedIntegrationEvent, _>| {
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
    // With the server's settings (a flush of the write-ahead log per
    // delivery), and with `synchronous_commit` off.
    for (name, inbox) in [("deliver", &inbox), ("deliver-async-commit", &async_commit)] {
        group.bench_function(format!("{name}/{COUNT}"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    total += runtime.block_on(async {
                        let transport = InMemoryTransport::new();
                        let mut consumer =
                            Consumer::<ProductUpdatedIntegrationEvent, _>::subscribe(
                                &transport,
                                "storefront",
                            )
                            .await
                            .unwrap();
                        for message in messages(COUNT) {
                            transport.publish(message).await.unwrap();
                        }
                        let start = Instant::now();
                        consume(inbox, &mut consumer).await;
                        start.elapsed()
                    });
                }
                total
            })
        });
    }
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
                    consume(&inbox, &mut consumer).await;
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
        url,
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
    // Tables that already hold rows, analysed: a fresh table is analysed
    // again and again while it is small, which would weigh on whichever
    // benchmark runs first.
    runtime.block_on(async {
        for table in ["event_outbox", "raw_messages"] {
            let state = if table == "event_outbox" {
                ", state, published_at) SELECT 'fill-' || g, 't', '[]', '\\x00', 'published', now()"
            } else {
                ") SELECT 'fill-' || g, 't', '[]', '\\x00'"
            };
            sqlx::raw_sql(&format!(
                "INSERT INTO {} (id, event_type, headers, payload{state}
                 FROM generate_series(1, 20000) AS g",
                bench.table(table)
            ))
            .execute(&bench.pool)
            .await
            .unwrap();
            sqlx::raw_sql(&format!("VACUUM ANALYZE {}", bench.table(table)))
                .execute(&bench.pool)
                .await
                .unwrap();
        }
    });
    // The filling's dirty pages written now rather than during the first
    // benchmark (this needs the server's superuser or `pg_checkpoint`
    // rights; without them the figures are just noisier at first).
    let _ = runtime.block_on(sqlx::raw_sql("CHECKPOINT").execute(&bench.pool));
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
