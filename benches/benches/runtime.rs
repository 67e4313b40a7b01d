//! The runtime's hot paths, each beside its hand-written baseline.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench runtime`
//!
//! The bus rows: `bus/publish/N` against `bus/direct/N` (N handlers that
//! add to an atomic counter, through the bus and called in a loop), and
//! `bus/publish-reading/N` against `bus/direct-reading/N` (handlers that
//! only read the event, so that the bus's own work is not hidden behind
//! the atomic's latency).
//!
//! Instruction counts of the envelope rows: run the bench binary under
//! valgrind with `EVENT_CORE_BENCH_CASE` set to `encode/generated`,
//! `encode/hand-written`, `encode/to_json`, `encode/message`,
//! `decode/generated`, `decode/hand-written`, `bus/publish/1` or
//! `bus/direct/1` (one handler through the domain bus, and called
//! directly), and
//! `EVENT_CORE_BENCH_CALLS` to N, then 2N; the difference of the two totals
//! over N is one call (see `benches/benches/cloudevents.rs`).

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use event_core::integration::{Consumer, encode};
use event_core::retry::RetryPolicy;
use event_core::sqlite::{Relay, RelayConfig, SqliteInbox, SqliteOutbox};
use event_core::transport::{InMemoryTransport, Message};
use event_core::{BoxError, DomainBus, Envelope, Staged};
use event_core_benches::{
    HandWrittenEnvelope, HandWrittenProductUpdated, ProductPutOnSale,
    ProductUpdatedIntegrationEvent, sale,
};
use rusqlite::{Connection, params};

fn mapping(c: &mut Criterion) {
    let source = sale(1);
    let mut group = c.benchmark_group("mapping");
    group.bench_function("generated", |b| {
        b.iter(|| ProductUpdatedIntegrationEvent::from(black_box(&source)))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| HandWrittenProductUpdated::from(black_box(&source)))
    });
    group.finish();
}

fn envelopes(c: &mut Criterion) {
    let parent = Envelope::new("/catalog", sale(1));
    let envelope =
        Envelope::caused_by(&parent, ProductUpdatedIntegrationEvent::from(parent.data()));
    let bytes = envelope.to_json().unwrap().into_bytes();
    let hand: HandWrittenEnvelope = serde_json::from_slice(&bytes).unwrap();

    let mut group = c.benchmark_group("envelope");
    group.bench_function("encode/generated", |b| {
        b.iter(|| serde_json::to_vec(black_box(&envelope)).unwrap())
    });
    group.bench_function("encode/hand-written", |b| {
        b.iter(|| serde_json::to_vec(black_box(&hand)).unwrap())
    });
    group.bench_function("encode/to_json", |b| {
        b.iter(|| black_box(&envelope).to_json().unwrap())
    });
    group.bench_function("encode/message", |b| {
        b.iter(|| encode(black_box(&envelope)).unwrap())
    });
    group.bench_function("decode/generated", |b| {
        b.iter(|| {
            event_core::decode::decode::<ProductUpdatedIntegrationEvent>(black_box(&bytes)).unwrap()
        })
    });
    group.bench_function("decode/hand-written", |b| {
        b.iter(|| serde_json::from_slice::<HandWrittenEnvelope>(black_box(&bytes)).unwrap())
    });
    group.finish();
}

/// A handler called directly, the bus's baseline.
type DirectHandler = Box<dyn Fn(&Envelope<ProductPutOnSale>) -> Result<(), BoxError>>;

fn bus(c: &mut Criterion) {
    let envelope = Envelope::new("/catalog", sale(1));
    let mut group = c.benchmark_group("bus");
    for handlers in [1usize, 10] {
        let counter = Arc::new(AtomicU64::new(0));
        let mut bus = DomainBus::new();
        for _ in 0..handlers {
            let counter = Arc::clone(&counter);
            bus.subscribe(
                move |e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
                    counter.fetch_add(u64::from(e.data().sale_price_cents), Ordering::Relaxed);
                    Ok(())
                },
            );
        }
        let direct: Vec<DirectHandler> = (0..handlers)
            .map(|_| {
                let counter = Arc::clone(&counter);
                Box::new(
                    move |e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
                        counter.fetch_add(u64::from(e.data().sale_price_cents), Ordering::Relaxed);
                        Ok(())
                    },
                )
                    as Box<dyn Fn(&Envelope<ProductPutOnSale>) -> Result<(), BoxError>>
            })
            .collect();
        // The same with handlers that only read the event: no atomic
        // add, whose latency (several nanoseconds on some processors) hides
        // the bus's own work behind it.
        let mut reading_bus = DomainBus::new();
        for _ in 0..handlers {
            reading_bus.subscribe(|e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
                black_box(e.data().sale_price_cents);
                Ok(())
            });
        }
        let reading: Vec<DirectHandler> = (0..handlers)
            .map(|_| {
                Box::new(|e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
                    black_box(e.data().sale_price_cents);
                    Ok(())
                }) as DirectHandler
            })
            .collect();
        let mut work = Staged::new();
        group.bench_function(format!("publish-reading/{handlers}"), |b| {
            b.iter(|| {
                reading_bus
                    .publish(&mut work, black_box(&envelope))
                    .unwrap()
            })
        });
        group.bench_function(format!("direct-reading/{handlers}"), |b| {
            b.iter(|| {
                for handler in &reading {
                    handler(black_box(&envelope)).unwrap();
                }
            })
        });
        group.bench_function(format!("publish/{handlers}"), |b| {
            b.iter(|| bus.publish(&mut work, black_box(&envelope)).unwrap())
        });
        group.bench_function(format!("direct/{handlers}"), |b| {
            b.iter(|| {
                for handler in &direct {
                    handler(black_box(&envelope)).unwrap();
                }
            })
        });
        // The same synchronous handlers through the async dispatch, and as
        // many async handlers (a boxed future each), polled to completion
        // without a runtime: what the async path costs over the sync one.
        group.bench_function(format!("publish_async-sync-handlers/{handlers}"), |b| {
            b.iter(|| ready(bus.publish_async(&mut work, black_box(&envelope))).unwrap())
        });
        let mut async_bus = DomainBus::new();
        for _ in 0..handlers {
            let counter = Arc::clone(&counter);
            async_bus.subscribe_async(move |e: &Envelope<ProductPutOnSale>, ()| {
                let counter = Arc::clone(&counter);
                Box::pin(async move {
                    counter.fetch_add(u64::from(e.data().sale_price_cents), Ordering::Relaxed);
                    Ok(())
                })
            });
        }
        group.bench_function(format!("publish_async/{handlers}"), |b| {
            b.iter(|| ready(async_bus.publish_async(&mut work, black_box(&envelope))).unwrap())
        });
    }
    group.finish();
}

/// The output of a future that completes on its first poll, as the bus's
/// are when their handlers do not wait.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the handlers do not wait"),
    }
}

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

fn database() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    conn
}

fn outbox(c: &mut Criterion) {
    let mut group = c.benchmark_group("outbox");
    for batch in [1usize, 100, 1000] {
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("append/{batch}"), |b| {
            b.iter_batched(
                || (database(), messages(batch)),
                |(mut conn, messages)| {
                    let tx = conn.transaction().unwrap();
                    SqliteOutbox::append_all(&tx, messages).unwrap();
                    tx.commit().unwrap();
                },
                BatchSize::LargeInput,
            )
        });
        // The same rows into the same table, with plain rusqlite.
        group.bench_function(format!("rusqlite/{batch}"), |b| {
            b.iter_batched(
                || (database(), messages(batch)),
                |(mut conn, messages)| {
                    let tx = conn.transaction().unwrap();
                    {
                        let mut insert = tx
                            .prepare_cached(
                                "INSERT INTO event_outbox (id, event_type, headers, payload, created_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5)",
                            )
                            .unwrap();
                        for m in &messages {
                            let headers = serde_json::to_string(&m.headers()).unwrap();
                            insert
                                .execute(params![m.id(), m.event_type(), headers, m.payload(), 0])
                                .unwrap();
                        }
                    }
                    tx.commit().unwrap();
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// Events per second from the outbox through the in-memory transport to an
/// inbox consumer, measured over whole runs of `count` events.
fn relay(c: &mut Criterion) {
    const COUNT: usize = 1000;
    let mut group = c.benchmark_group("relay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(COUNT as u64));
    group.bench_function("outbox-to-inbox/1000", |b| {
        b.iter_custom(|iterations| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let mut conn = database();
                let tx = conn.transaction().unwrap();
                SqliteOutbox::append_all(&tx, messages(COUNT)).unwrap();
                tx.commit().unwrap();
                let mut inbox = Connection::open_in_memory().unwrap();
                SqliteInbox::install(&inbox).unwrap();
                let transport = InMemoryTransport::new();
                total += runtime.block_on(async {
                    let mut consumer = Consumer::<ProductUpdatedIntegrationEvent, _>::subscribe(
                        &transport,
                        "storefront",
                    )
                    .await
                    .unwrap();
                    let mut relay = Relay::new(
                        conn,
                        transport.clone(),
                        RelayConfig {
                            batch_size: 200,
                            ..RelayConfig::default()
                        },
                    );
                    let start = Instant::now();
                    let mut received = 0;
                    while received < COUNT {
                        relay.run_once().await.unwrap();
                        while received < COUNT {
                            let Some(Ok(item)) = consumer.next().await else {
                                break;
                            };
                            SqliteInbox::deliver(
                                &mut inbox,
                                "storefront",
                                item,
                                &RetryPolicy::default(),
                                |_, _| Ok(()),
                            )
                            .await
                            .unwrap();
                            received += 1;
                            if received % 200 == 0 {
                                break;
                            }
                        }
                    }
                    start.elapsed()
                });
            }
            total
        })
    });
    group.finish();
}

/// The envelope and bus rows alone, for counting their instructions.
fn instruction_counts() -> bool {
    let parent = Envelope::new("/catalog", sale(1));
    let envelope =
        Envelope::caused_by(&parent, ProductUpdatedIntegrationEvent::from(parent.data()));
    let bytes = envelope.to_json().unwrap().into_bytes();
    let hand: HandWrittenEnvelope = serde_json::from_slice(&bytes).unwrap();
    let sale_envelope = Envelope::new("/catalog", sale(1));
    let counter = Arc::new(AtomicU64::new(0));
    let mut bus = DomainBus::new();
    let bus_counter = Arc::clone(&counter);
    bus.subscribe(
        move |e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
            bus_counter.fetch_add(u64::from(e.data().sale_price_cents), Ordering::Relaxed);
            Ok(())
        },
    );
    let direct_counter = Arc::clone(&counter);
    let direct: Vec<DirectHandler> = vec![Box::new(
        move |e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
            direct_counter.fetch_add(u64::from(e.data().sale_price_cents), Ordering::Relaxed);
            Ok(())
        },
    )];
    let mut work = Staged::new();
    event_core_benches::instruction_count_run(&mut [
        ("encode/generated", &mut || {
            black_box(serde_json::to_vec(black_box(&envelope)).unwrap());
        }),
        ("encode/hand-written", &mut || {
            black_box(serde_json::to_vec(black_box(&hand)).unwrap());
        }),
        ("encode/to_json", &mut || {
            black_box(black_box(&envelope).to_json().unwrap());
        }),
        ("encode/message", &mut || {
            black_box(encode(black_box(&envelope)).unwrap());
        }),
        ("decode/generated", &mut || {
            black_box(
                event_core::decode::decode::<ProductUpdatedIntegrationEvent>(black_box(&bytes))
                    .unwrap(),
            );
        }),
        ("decode/hand-written", &mut || {
            black_box(serde_json::from_slice::<HandWrittenEnvelope>(black_box(&bytes)).unwrap());
        }),
        ("bus/publish/1", &mut || {
            bus.publish(&mut work, black_box(&sale_envelope)).unwrap();
        }),
        ("bus/direct/1", &mut || {
            for handler in &direct {
                handler(black_box(&sale_envelope)).unwrap();
            }
        }),
    ])
}

criterion_group!(benches, mapping, envelopes, bus, outbox, relay);

fn main() {
    if instruction_counts() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
