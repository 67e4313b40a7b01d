//! The RabbitMQ transport beside plain `lapin` on the same broker, queue and
//! messages: publishing with publisher confirms, a batch of messages in
//! flight at a time, and consuming with an acknowledgement per message at
//! the same prefetch.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench rabbitmq`
//!
//! The broker is `AMQP_URL` (by default the local one with the guest user);
//! when it cannot be reached the benchmark prints a notice and measures
//! nothing.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use event_core::integration::encode;
use event_core::rabbitmq::{ContentMode, RabbitMqSubscription, RabbitMqTransport};
use event_core::transport::{Message, Subscription, Transport};
use event_core::{Envelope, Event, binding};
use event_core_benches::{ProductUpdatedIntegrationEvent, sale};
use futures_util::StreamExt;
use futures_util::future::join_all;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};

/// Messages in flight per publishing batch.
const BATCH: usize = 100;
/// Unacknowledged deliveries a consumer may hold, on both sides.
const PREFETCH: u16 = 64;
const TYPE: &str = ProductUpdatedIntegrationEvent::FULL_TYPE;

fn url() -> String {
    std::env::var("AMQP_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn message(n: u64) -> Message {
    let envelope = Envelope::new("/catalog", ProductUpdatedIntegrationEvent::from(&sale(n)));
    encode(&envelope).unwrap()
}

/// What plain lapin sends for a message: the same body, id, type and
/// headers as the transport in structured mode, persistent.
fn raw_properties(message: &Message) -> BasicProperties {
    let mut headers = FieldTable::default();
    for (name, value) in message.headers() {
        if name != "content-type" {
            headers.insert(name.into(), AMQPValue::LongString(value.into()));
        }
    }
    BasicProperties::default()
        .with_content_type(message.content_type().unwrap_or_default().into())
        .with_message_id(message.id().into())
        .with_type(message.event_type().into())
        .with_delivery_mode(2)
        .with_headers(headers)
}

/// `message` in CloudEvents binary mode for AMQP, with its other headers
/// beside the attributes: what the transport sends in binary mode.
fn binary(message: &Message) -> Message {
    let event = message.to_cloud_event(&binding::AMQP).unwrap();
    let mut binary = Message::binary(&event, &binding::AMQP);
    for (name, value) in message.headers() {
        if name != "content-type" {
            binary.push_header(name, value);
        }
    }
    binary
}

/// A plain lapin channel in confirm mode.
async fn raw_channel(connection: &Connection) -> Channel {
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    channel
}

/// Publishes `messages` with plain lapin, all in flight at once as the
/// transport's publishes are, and waits for every confirm.
async fn raw_publish(channel: &Channel, exchange: &str, messages: &[Message]) {
    let sends = messages.iter().map(|message| async move {
        channel
            .basic_publish(
                exchange.into(),
                message.event_type().into(),
                BasicPublishOptions::default(),
                message.payload(),
                raw_properties(message),
            )
            .await?
            .await
    });
    for confirm in join_all(sends).await {
        assert!(confirm.unwrap().is_ack());
    }
}

/// Publishes `messages` through the transport, all in flight at once.
async fn transport_publish(transport: &RabbitMqTransport, messages: &[Message]) {
    let sends = messages.iter().map(|m| transport.publish(m.clone()));
    for sent in join_all(sends).await {
        sent.unwrap();
    }
}

/// Takes and acknowledges `count` deliveries through the subscription.
async fn transport_consume(subscription: &mut RabbitMqSubscription, count: usize) {
    for _ in 0..count {
        let delivery = subscription.next().await.unwrap().unwrap();
        delivery.ack().await.unwrap();
    }
}

/// Takes and acknowledges `count` deliveries with plain lapin.
async fn raw_consume(consumer: &mut lapin::Consumer, count: usize) {
    for _ in 0..count {
        let delivery = consumer.next().await.unwrap().unwrap();
        delivery.ack(BasicAckOptions::default()).await.unwrap();
    }
}

fn publish(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    transport: &RabbitMqTransport,
    raw: &Channel,
) {
    let queue = transport.queue_name(TYPE, "bench-publish").unwrap();
    rt.block_on(transport.declare(TYPE, "bench-publish"))
        .unwrap();
    let batch: Vec<Message> = (0..BATCH as u64).map(message).collect();
    let purge = || {
        rt.block_on(raw.queue_purge(queue.as_str().into(), QueuePurgeOptions::default()))
            .unwrap();
    };

    let mut group = c.benchmark_group("rabbitmq/publish-confirmed");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(BATCH as u64));
    for mode in [ContentMode::Binary, ContentMode::Structured] {
        let transport = transport.clone().with_mode(mode);
        rt.block_on(transport.connect()).unwrap();
        group.bench_function(BenchmarkId::new("event-core", format!("{mode:?}")), |b| {
            b.iter_custom(|iters| {
                let elapsed = rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        transport_publish(&transport, &batch).await;
                    }
                    start.elapsed()
                });
                purge();
                elapsed
            })
        });
    }
    let exchange = transport.exchange().to_owned();
    group.bench_function(BenchmarkId::new("lapin", "Structured"), |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    raw_publish(raw, &exchange, &batch).await;
                }
                start.elapsed()
            });
            purge();
            elapsed
        })
    });
    group.finish();
    rt.block_on(transport.delete_group(TYPE, "bench-publish"))
        .unwrap();
}

fn consume(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    transport: &RabbitMqTransport,
    connection: &Connection,
) {
    const COUNT: usize = 1000;
    let batch: Vec<Message> = (0..COUNT as u64).map(message).collect();
    let exchange = transport.exchange().to_owned();

    let mut group = c.benchmark_group("rabbitmq/consume-ack");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(COUNT as u64));
    for mode in [ContentMode::Binary, ContentMode::Structured] {
        let transport = transport.clone().with_mode(mode).with_prefetch(PREFETCH);
        let mut subscription = rt
            .block_on(transport.subscribe(TYPE, "bench-consume"))
            .unwrap();
        group.bench_function(BenchmarkId::new("event-core", format!("{mode:?}")), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    rt.block_on(async {
                        // The same messages, as the transport sends them in
                        // this mode.
                        transport_publish(&transport, &batch).await;
                        let start = Instant::now();
                        transport_consume(&mut subscription, COUNT).await;
                        total += start.elapsed();
                    });
                }
                total
            })
        });
        rt.block_on(subscription.close());
    }

    let queue = transport.queue_name(TYPE, "bench-consume").unwrap();
    group.bench_function(BenchmarkId::new("lapin", "Structured"), |b| {
        let channel = rt.block_on(raw_channel(connection));
        rt.block_on(channel.basic_qos(PREFETCH, BasicQosOptions::default()))
            .unwrap();
        let mut consumer = rt
            .block_on(channel.basic_consume(
                queue.as_str().into(),
                "bench-raw".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            ))
            .unwrap();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                rt.block_on(async {
                    raw_publish(&channel, &exchange, &batch).await;
                    let start = Instant::now();
                    raw_consume(&mut consumer, COUNT).await;
                    total += start.elapsed();
                });
            }
            total
        });
        rt.block_on(channel.basic_cancel("bench-raw".into(), Default::default()))
            .unwrap();
    });
    group.finish();
    rt.block_on(transport.delete_group(TYPE, "bench-consume"))
        .unwrap();
}

/// The transport (binary mode, structured mode) and plain lapin measured
/// in turns, the order rotated each round, so that all see the same load on
/// a shared machine; prints the throughputs and their ratios to lapin's.
fn paired(rt: &tokio::runtime::Runtime, transport: &RabbitMqTransport, connection: &Connection) {
    const ROUNDS: usize = 30;
    const COUNT: usize = 1000;
    let batch: Vec<Message> = (0..COUNT as u64).map(message).collect();
    let exchange = transport.exchange().to_owned();
    let binary_batch: Vec<Message> = batch.iter().map(binary).collect();
    let ours = |mode| Some(transport.clone().with_mode(mode).with_prefetch(PREFETCH));
    // (name, the transport or plain lapin, the messages plain lapin sends)
    let contenders = [
        ("event-core, binary", ours(ContentMode::Binary), &batch),
        ("lapin, binary", None, &binary_batch),
        (
            "event-core, structured",
            ours(ContentMode::Structured),
            &batch,
        ),
        ("lapin, structured", None, &batch),
    ];
    let n = contenders.len();
    rt.block_on(async {
        transport.declare(TYPE, "bench-paired").await.unwrap();
        let queue = transport.queue_name(TYPE, "bench-paired").unwrap();
        let channel = raw_channel(connection).await;
        // Each contender's connection is open before anything is timed.
        for transport in contenders.iter().filter_map(|(_, t, _)| t.as_ref()) {
            transport.connect().await.unwrap();
        }
        let mut publish = [Duration::ZERO; 4];
        let mut consume = [Duration::ZERO; 4];
        for round in 0..ROUNDS {
            for turn in 0..n {
                let who = (round + turn) % n;
                match &contenders[who].1 {
                    Some(transport) => {
                        let start = Instant::now();
                        for chunk in batch.chunks(BATCH) {
                            transport_publish(transport, chunk).await;
                        }
                        publish[who] += start.elapsed();
                        let mut subscription =
                            transport.subscribe(TYPE, "bench-paired").await.unwrap();
                        let start = Instant::now();
                        transport_consume(&mut subscription, COUNT).await;
                        consume[who] += start.elapsed();
                        subscription.close().await;
                    }
                    None => {
                        let start = Instant::now();
                        for chunk in contenders[who].2.chunks(BATCH) {
                            raw_publish(&channel, &exchange, chunk).await;
                        }
                        publish[who] += start.elapsed();
                        let consumer_channel = raw_channel(connection).await;
                        consumer_channel
                            .basic_qos(PREFETCH, BasicQosOptions::default())
                            .await
                            .unwrap();
                        let mut consumer = consumer_channel
                            .basic_consume(
                                queue.as_str().into(),
                                "bench-paired-raw".into(),
                                BasicConsumeOptions::default(),
                                FieldTable::default(),
                            )
                            .await
                            .unwrap();
                        let start = Instant::now();
                        raw_consume(&mut consumer, COUNT).await;
                        consume[who] += start.elapsed();
                        consumer_channel
                            .basic_cancel("bench-paired-raw".into(), Default::default())
                            .await
                            .unwrap();
                        consumer_channel.close(200, "done".into()).await.unwrap();
                    }
                }
            }
        }
        let rate = |time: Duration| (ROUNDS * COUNT) as f64 / time.as_secs_f64();
        println!("paired, {ROUNDS} rounds of {COUNT} messages each, in turns (ratios: event-core / lapin in the same mode):");
        for (what, times) in [
            (format!("publish with confirms, {BATCH} in flight"), publish),
            (format!("consume and ack, prefetch {PREFETCH}"), consume),
        ] {
            println!("  {what}:");
            for (who, time) in times.iter().enumerate() {
                let baseline = times[who | 1];
                println!(
                    "    {:<24} {:>7.0}/s  ratio {:.2}",
                    contenders[who].0,
                    rate(*time),
                    rate(*time) / rate(baseline)
                );
            }
        }
        transport.delete_group(TYPE, "bench-paired").await.unwrap();
    });
}

fn main() {
    let url = url();
    let rt = runtime();
    let connected = rt.block_on(async {
        let connection = Connection::connect(&url, ConnectionProperties::default()).await?;
        let channel = raw_channel(&connection).await;
        Ok::<_, lapin::Error>((connection, channel))
    });
    let (connection, channel) = match connected {
        Ok(connected) => connected,
        Err(error) => {
            eprintln!(
                "\nNOTICE: the RabbitMQ benchmark measured nothing: {url} cannot be reached \
                 ({error}). Set AMQP_URL or start the server (see compose.yaml).\n"
            );
            return;
        }
    };
    let exchange = format!("evc_bench_{}", std::process::id());
    let transport = RabbitMqTransport::new(url.clone()).with_exchange(exchange);
    rt.block_on(transport.connect()).unwrap();

    let mut criterion = Criterion::default().configure_from_args();
    publish(&mut criterion, &rt, &transport, &channel);
    consume(&mut criterion, &rt, &transport, &connection);
    criterion.final_summary();
    paired(&rt, &transport, &connection);

    rt.block_on(transport.delete_exchange()).unwrap();
    rt.block_on(transport.close());
    rt.block_on(connection.close(200, "done".into())).unwrap();
}
