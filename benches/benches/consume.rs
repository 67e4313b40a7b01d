//! Consumer throughput: the hosted consumer (`event_core::host`, a typed
//! handler, the in-memory inbox, concurrency 16) beside the raw client's
//! consume-and-ack loop on the same broker and messages: the in-memory
//! transport's own subscription, an `async-nats` pull consumer (acks sent
//! without waiting, and double acks, which wait for the server), and a
//! `lapin` `basic_consume` at the transport's prefetch. On NATS the host
//! runs twice: with the transport's default confirmed acks (to compare with
//! the double ack) and with `NatsConfig::confirm_acks` off (to compare with
//! the plain ack: the same guarantee, a lost ack redelivered and skipped by
//! the inbox), and once more with unconfirmed acks and pulls of 512
//! messages instead of 64.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench consume`
//!
//! Each round publishes the same number of fresh messages (not timed) and
//! times taking and acknowledging all of them; the contenders run in turns,
//! the order rotated each round, so that all meet the same load on a shared
//! machine. The host's time includes opening its subscriptions and its
//! graceful shutdown, once the last handler ran and its delivery is acked.
//!
//! NATS (`NATS_URL`) and RabbitMQ (`AMQP_URL`) are measured when they can
//! be reached; otherwise a notice says which was skipped.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use event_core::host::{Host, MemoryInbox};
use event_core::integration::{Consumer, encode};
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
use event_core::rabbitmq::RabbitMqTransport;
use event_core::transport::{InMemoryTransport, Message, Subscription, Transport};
use event_core::{Envelope, Event};
use event_core_benches::{ProductUpdatedIntegrationEvent, sale};
use futures_util::StreamExt;
use futures_util::future::join_all;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use tokio::sync::Notify;

/// Messages per round.
const COUNT: usize = 2000;
/// Rounds per transport.
const ROUNDS: usize = 10;
/// Deliveries the host holds at once.
const CONCURRENCY: usize = 16;
/// Unacknowledged deliveries a RabbitMQ consumer may hold, on both sides.
const PREFETCH: u16 = 64;
const TYPE: &str = ProductUpdatedIntegrationEvent::FULL_TYPE;

fn env_url(variable: &str, default: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `COUNT` fresh messages (new ids).
fn messages() -> Vec<Message> {
    (0..COUNT as u64)
        .map(|n| {
            let envelope =
                Envelope::new("/catalog", ProductUpdatedIntegrationEvent::from(&sale(n)));
            encode(&envelope).unwrap()
        })
        .collect()
}

/// Publishes through the transport, 100 in flight at a time.
async fn publish<T: Transport>(transport: &T, messages: Vec<Message>) {
    for chunk in messages.chunks(100) {
        for sent in join_all(chunk.iter().map(|m| transport.publish(m.clone()))).await {
            sent.unwrap();
        }
    }
}

/// Handles `COUNT` messages of `group` with a host; the time from its
/// start to its return.
async fn through_host<T: Transport + Clone>(transport: &T, group: &str) -> Duration {
    let done = Rc::new(Notify::new());
    let seen = Rc::new(Cell::new(0));
    let (last, count) = (Rc::clone(&done), Rc::clone(&seen));
    let host = Host::new(transport.clone())
        .consumer(group, MemoryInbox::new())
        .concurrency(CONCURRENCY)
        .handle::<ProductUpdatedIntegrationEvent>(async move |(), envelope| {
            std::hint::black_box(envelope.data());
            count.set(count.get() + 1);
            if count.get() == COUNT {
                last.notify_one();
            }
            Ok(())
        });
    let start = Instant::now();
    let summary = host.run(done.notified()).await.unwrap();
    let elapsed = start.elapsed();
    assert_eq!(summary.consumers[0].metrics.handled, COUNT as u64);
    elapsed
}

/// Prints the rates of `names` from their total times, with each one's
/// ratio to the baseline at `baseline`.
fn report(title: &str, names: &[&str], times: &[Duration], baseline: usize) {
    let rate = |time: Duration| (ROUNDS * COUNT) as f64 / time.as_secs_f64();
    println!("{title}: {ROUNDS} rounds of {COUNT} messages, in turns");
    for (name, time) in names.iter().zip(times) {
        println!(
            "  {name:<44} {:>8.0}/s  ratio to {} {:.2}",
            rate(*time),
            names[baseline],
            rate(*time) / rate(times[baseline])
        );
    }
}

fn in_memory(rt: &tokio::runtime::Runtime) {
    let transport = InMemoryTransport::new();
    let names = [
        "host, in-memory inbox",
        "subscription next + ack",
        "typed Consumer + MemoryInbox::deliver, one at a time",
    ];
    let mut times = [Duration::ZERO; 3];
    rt.block_on(async {
        transport.declare(TYPE, "bench").await.unwrap();
        for round in 0..ROUNDS {
            for turn in 0..names.len() {
                let who = (round + turn) % names.len();
                publish(&transport, messages()).await;
                times[who] += match who {
                    0 => through_host(&transport, "bench").await,
                    2 => {
                        let start = Instant::now();
                        let inbox = MemoryInbox::new();
                        let policy = event_core::retry::RetryPolicy::default();
                        let mut consumer =
                            Consumer::<ProductUpdatedIntegrationEvent, _>::subscribe(
                                &transport, "bench",
                            )
                            .await
                            .unwrap();
                        for _ in 0..COUNT {
                            let received = consumer.next().await.unwrap().unwrap();
                            inbox
                                .deliver("bench", received, &policy, async |envelope| {
                                    std::hint::black_box(envelope.data());
                                    Ok(())
                                })
                                .await
                                .unwrap();
                        }
                        start.elapsed()
                    }
                    _ => {
                        let start = Instant::now();
                        let mut subscription = transport.subscribe(TYPE, "bench").await.unwrap();
                        for _ in 0..COUNT {
                            let delivery = subscription.next().await.unwrap().unwrap();
                            delivery.ack().await.unwrap();
                        }
                        start.elapsed()
                    }
                };
            }
        }
    });
    report("in-memory transport", &names, &times, 1);
}

fn nats(rt: &tokio::runtime::Runtime) {
    let url = env_url("NATS_URL", "nats://127.0.0.1:4222");
    let name = format!("BENCH_CONSUME_{}", std::process::id());
    let config = NatsConfig::new(
        name.clone(),
        format!("bench_consume_{}", std::process::id()),
    );
    let connected = rt.block_on(async {
        let transport = NatsTransport::connect(&url, config.clone()).await?;
        transport
            .ensure_stream(&StreamSettings::default().with_memory(true))
            .await?;
        let unconfirmed =
            NatsTransport::connect(&url, config.clone().with_confirm_acks(false)).await?;
        // Pulls of 512: fewer round trips between batches.
        let big =
            NatsTransport::connect(&url, config.with_confirm_acks(false).with_batch(512)).await?;
        let client = async_nats::connect(&url)
            .await
            .map_err(|e| event_core::transport::TransportError::Unavailable(e.to_string()))?;
        Ok::<_, event_core::transport::TransportError>((transport, unconfirmed, big, client))
    });
    let (transport, unconfirmed, big, client) = match connected {
        Ok(connected) => connected,
        Err(error) => {
            eprintln!("\nNOTICE: NATS skipped: {url} cannot be reached ({error}).\n");
            return;
        }
    };
    let names = [
        "host, in-memory inbox, confirmed acks",
        "async-nats pull consumer, ack",
        "async-nats pull consumer, double ack",
        "transport subscription next + ack (no host)",
        "host, in-memory inbox, unconfirmed acks",
        "transport subscription, unconfirmed acks (no host)",
        "host, unconfirmed acks, batch 512",
    ];
    let mut times = [Duration::ZERO; 7];
    rt.block_on(async {
        let jetstream = async_nats::jetstream::new(client);
        let stream = jetstream.get_stream(&name).await.unwrap();
        for round in 0..ROUNDS {
            for turn in 0..names.len() {
                let who = (round + turn) % names.len();
                // A group of this turn alone: a pull request a contender
                // left open must not take the next one's messages.
                let group = format!("bench_{round}_{who}");
                if who == 0 || who == 4 || who == 6 {
                    let host = match who {
                        0 => &transport,
                        4 => &unconfirmed,
                        _ => &big,
                    };
                    host.declare(TYPE, &group).await.unwrap();
                    publish(&transport, messages()).await;
                    times[who] += through_host(host, &group).await;
                    continue;
                }
                if who == 3 || who == 5 {
                    let transport = if who == 3 { &transport } else { &unconfirmed };
                    transport.declare(TYPE, &group).await.unwrap();
                    publish(transport, messages()).await;
                    let start = Instant::now();
                    let mut subscription = transport.subscribe(TYPE, &group).await.unwrap();
                    for _ in 0..COUNT {
                        let delivery = subscription.next().await.unwrap().unwrap();
                        delivery.ack().await.unwrap();
                    }
                    times[who] += start.elapsed();
                    continue;
                }
                // A durable pull consumer as the transport's, of what is
                // published from now on.
                let consumer = stream
                    .create_consumer(pull::Config {
                        durable_name: Some(group.clone()),
                        ack_policy: AckPolicy::Explicit,
                        deliver_policy: DeliverPolicy::New,
                        max_ack_pending: transport.config().max_ack_pending,
                        ack_wait: transport.config().ack_wait,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                publish(&transport, messages()).await;
                let start = Instant::now();
                let mut messages = consumer.messages().await.unwrap();
                for _ in 0..COUNT {
                    let message = messages.next().await.unwrap().unwrap();
                    if who == 1 {
                        message.ack().await.unwrap();
                    } else {
                        message.double_ack().await.unwrap();
                    }
                }
                times[who] += start.elapsed();
                drop(messages);
                stream.delete_consumer(&group).await.unwrap();
            }
        }
        transport.delete_stream().await.unwrap();
    });
    report("NATS JetStream (stream in memory)", &names, &times, 1);
    println!(
        "  host with confirmed acks / double ack: {:.2}",
        times[2].as_secs_f64() / times[0].as_secs_f64()
    );
    println!(
        "  host with unconfirmed acks / ack: {:.2}",
        times[1].as_secs_f64() / times[4].as_secs_f64()
    );
}

fn rabbitmq(rt: &tokio::runtime::Runtime) {
    let url = env_url("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");
    let transport = RabbitMqTransport::new(url.clone())
        .with_exchange(format!("evc_bench_consume_{}", std::process::id()))
        .with_prefetch(PREFETCH);
    let connected = rt.block_on(async {
        transport.connect().await?;
        lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
            .await
            .map_err(|e| event_core::transport::TransportError::Unavailable(e.to_string()))
    });
    let connection = match connected {
        Ok(connection) => connection,
        Err(error) => {
            eprintln!("\nNOTICE: RabbitMQ skipped: {url} cannot be reached ({error}).\n");
            return;
        }
    };
    let names = ["host, in-memory inbox", "lapin basic_consume + ack"];
    let mut times = [Duration::ZERO; 2];
    rt.block_on(async {
        transport.declare(TYPE, "bench").await.unwrap();
        let queue = transport.queue_name(TYPE, "bench").unwrap();
        for round in 0..ROUNDS {
            for turn in 0..names.len() {
                let who = (round + turn) % names.len();
                publish(&transport, messages()).await;
                times[who] += match who {
                    0 => through_host(&transport, "bench").await,
                    _ => {
                        let start = Instant::now();
                        let channel = connection.create_channel().await.unwrap();
                        channel
                            .basic_qos(PREFETCH, BasicQosOptions::default())
                            .await
                            .unwrap();
                        let mut consumer = channel
                            .basic_consume(
                                queue.as_str().into(),
                                "bench-raw".into(),
                                BasicConsumeOptions::default(),
                                FieldTable::default(),
                            )
                            .await
                            .unwrap();
                        for _ in 0..COUNT {
                            let delivery = consumer.next().await.unwrap().unwrap();
                            delivery.ack(BasicAckOptions::default()).await.unwrap();
                        }
                        let elapsed = start.elapsed();
                        channel
                            .basic_cancel("bench-raw".into(), BasicCancelOptions::default())
                            .await
                            .unwrap();
                        channel.close(200, "done".into()).await.unwrap();
                        elapsed
                    }
                };
            }
        }
        // The host's subscriptions close in the background.
        while transport.consumers(TYPE, "bench").await.unwrap_or(0) > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        transport.delete_group(TYPE, "bench").await.unwrap();
        transport.delete_exchange().await.unwrap();
        transport.close().await;
    });
    report(
        &format!("RabbitMQ (quorum queue, prefetch {PREFETCH})"),
        &names,
        &times,
        1,
    );
}

fn main() {
    let rt = runtime();
    in_memory(&rt);
    nats(&rt);
    rabbitmq(&rt);
}
