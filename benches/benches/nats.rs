//! Relay-style publishing through the NATS JetStream transport, beside the
//! client's own publish-with-ack at the same batch size and concurrency.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench nats`
//!
//! Needs a NATS server with JetStream at `NATS_URL` (the local server by
//! default); without one it prints a notice and measures nothing. It makes
//! a stream of its own (in memory, so that the disk of a shared machine
//! does not blur the comparison) and deletes it at the end.
//!
//! Each iteration publishes a batch of fresh encoded envelopes (new ids,
//! so the server's de-duplication never short-cuts a store), waiting for
//! every publish ack as the relay does: one publisher in turn
//! (`concurrency 1`, a relay), or several at once (`concurrency 16`,
//! several relays on one connection).

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use event_core::Envelope;
use event_core::binding;
use event_core::integration::encode;
use event_core::nats::{Mode, NatsConfig, NatsTransport, StreamSettings};
use event_core::transport::{Message, Transport};
use event_core_benches::{ProductUpdatedIntegrationEvent, sale};

const BATCH: usize = 100;

fn url() -> String {
    std::env::var("NATS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned())
}

fn batch(offset: u64) -> Vec<Message> {
    (0..BATCH as u64)
        .map(|n| {
            let parent = Envelope::new("/catalog", sale(offset + n));
            encode(&Envelope::caused_by(
                &parent,
                ProductUpdatedIntegrationEvent::from(parent.data()),
            ))
            .unwrap()
        })
        .collect()
}

/// Publishes `messages` from `concurrency` publishers at once, each in
/// turn, every publish awaited until the server's ack.
async fn through_transport(transport: &NatsTransport, messages: Vec<Message>, concurrency: usize) {
    let mut shares: Vec<Vec<Message>> = (0..concurrency).map(|_| Vec::new()).collect();
    for (n, message) in messages.into_iter().enumerate() {
        shares[n % concurrency].push(message);
    }
    futures_util::future::join_all(shares.into_iter().map(|share| async move {
        for message in share {
            transport.publish(message).await.unwrap();
        }
    }))
    .await;
}

/// The same with the client alone: the encoded payload on the same
/// subject, the event id as `Nats-Msg-Id`, the message's own headers (none
/// for the structured payload; the CloudEvents attributes for a message in
/// binary mode), each ack awaited.
async fn raw(
    jetstream: &async_nats::jetstream::Context,
    subjects: Vec<(String, Message)>,
    concurrency: usize,
) {
    let mut shares: Vec<Vec<(String, Message)>> = (0..concurrency).map(|_| Vec::new()).collect();
    for (n, item) in subjects.into_iter().enumerate() {
        shares[n % concurrency].push(item);
    }
    futures_util::future::join_all(shares.into_iter().map(|share| async move {
        for (subject, message) in share {
            let mut publish = async_nats::jetstream::message::PublishMessage::build()
                .payload(message.payload().to_vec().into())
                .message_id(message.id());
            if message.headers().len() > 0 {
                let mut headers = async_nats::HeaderMap::new();
                for (name, value) in message.headers() {
                    headers.insert(name, value);
                }
                headers.insert("Nats-Msg-Id", message.id());
                publish = publish.headers(headers);
            }
            jetstream
                .send_publish(subject, publish)
                .await
                .unwrap()
                .await
                .unwrap();
        }
    }))
    .await;
}

fn publish(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = url();
    let name = format!("BENCH_{}", std::process::id());
    let prefix = format!("bench_{}", std::process::id());
    let connect = |mode| {
        let config = NatsConfig::new(name.clone(), prefix.clone()).with_mode(mode);
        runtime.block_on(NatsTransport::connect(&url, config))
    };
    let binary = match connect(Mode::Binary) {
        Ok(transport) => transport,
        Err(error) => {
            eprintln!(
                "\nNOTICE: the nats bench skipped: NATS at {url} cannot be reached ({error}). Set NATS_URL or start the server.\n"
            );
            return;
        }
    };
    if let Err(error) =
        runtime.block_on(binary.ensure_stream(&StreamSettings::default().with_memory(true)))
    {
        eprintln!("\nNOTICE: the nats bench skipped: no JetStream at {url} ({error}).\n");
        return;
    }
    let structured = connect(Mode::Structured).unwrap();
    let jetstream = binary.jetstream().clone();

    let mut offset = 0_u64;
    let mut fresh = || {
        offset += BATCH as u64;
        batch(offset)
    };
    let mut group = c.benchmark_group("nats-publish");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    for concurrency in [1_usize, 16] {
        group.bench_function(format!("transport-binary/{BATCH}/c{concurrency}"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let messages = fresh();
                    let start = Instant::now();
                    runtime.block_on(through_transport(&binary, messages, concurrency));
                    total += start.elapsed();
                }
                total
            })
        });
        group.bench_function(
            format!("transport-structured/{BATCH}/c{concurrency}"),
            |b| {
                b.iter_custom(|iterations| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        let messages = fresh();
                        let start = Instant::now();
                        runtime.block_on(through_transport(&structured, messages, concurrency));
                        total += start.elapsed();
                    }
                    total
                })
            },
        );
        group.bench_function(format!("async-nats/{BATCH}/c{concurrency}"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let subjects: Vec<(String, Message)> = fresh()
                        .into_iter()
                        .map(|message| (binary.subject(&message), bare(message)))
                        .collect();
                    let start = Instant::now();
                    runtime.block_on(raw(&jetstream, subjects, concurrency));
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();

    // Paired rounds: each round times one batch of every kind back to back,
    // so that the load of a shared machine, which moves between criterion's
    // groups, weighs on all of them alike; the median of the per-round
    // ratios is printed.
    for concurrency in [1_usize, 16] {
        let mut binary_ratios = Vec::new();
        let mut binary_wire_ratios = Vec::new();
        let mut structured_ratios = Vec::new();
        for round in 0..ROUNDS {
            let binary_batch = fresh();
            let structured_batch = fresh();
            let raw_batch: Vec<(String, Message)> = fresh()
                .into_iter()
                .map(|message| (binary.subject(&message), bare(message)))
                .collect();
            // The client alone sending what binary mode sends: the same
            // headers and data, converted before the clock starts.
            let raw_binary_batch: Vec<(String, Message)> = fresh()
                .into_iter()
                .map(|message| {
                    let event = message.to_cloud_event(&binding::NATS).unwrap();
                    (
                        binary.subject(&message),
                        Message::binary(&event, &binding::NATS),
                    )
                })
                .collect();
            let start = Instant::now();
            runtime.block_on(raw(&jetstream, raw_binary_batch, concurrency));
            let raw_binary_time = start.elapsed().as_secs_f64();
            let mut raw_time = 0.0;
            let mut timed_raw = |raw_batch| {
                let start = Instant::now();
                runtime.block_on(raw(&jetstream, raw_batch, concurrency));
                raw_time = start.elapsed().as_secs_f64();
            };
            // The baseline goes first in even rounds, last in odd ones.
            let mut raw_batch = Some(raw_batch);
            if round % 2 == 0 {
                timed_raw(raw_batch.take().unwrap());
            }
            let start = Instant::now();
            runtime.block_on(through_transport(&binary, binary_batch, concurrency));
            let binary_time = start.elapsed().as_secs_f64();
            let start = Instant::now();
            runtime.block_on(through_transport(
                &structured,
                structured_batch,
                concurrency,
            ));
            let structured_time = start.elapsed().as_secs_f64();
            if let Some(raw_batch) = raw_batch {
                timed_raw(raw_batch);
            }
            // Throughput ratios: the baseline's time over the transport's.
            binary_ratios.push(raw_time / binary_time);
            binary_wire_ratios.push(raw_binary_time / binary_time);
            structured_ratios.push(raw_time / structured_time);
        }
        eprintln!(
            "nats-publish paired, {BATCH} per batch, concurrency {concurrency}, median of {ROUNDS} rounds: \
             throughput of the transport / async-nats = {:.2} (binary mode), {:.2} (structured mode)",
            median(&mut binary_ratios),
            median(&mut structured_ratios)
        );
        eprintln!(
            "nats-publish paired, {BATCH} per batch, concurrency {concurrency}, median of {ROUNDS} rounds: \
             throughput of the transport in binary mode / async-nats sending the same headers and data = {:.2}",
            median(&mut binary_wire_ratios)
        );
    }
    let _ = runtime.block_on(binary.delete_stream());
}

/// Paired rounds of the comparison printed after criterion's.
const ROUNDS: usize = 200;

/// The structured payload alone, as a client without CloudEvents headers
/// sends it.
fn bare(message: Message) -> Message {
    Message::new(
        message.id(),
        message.event_type(),
        message.payload().to_vec(),
    )
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

criterion_group!(benches, publish);
criterion_main!(benches);
