//! Consumer throughput: the hosted consumer (`event_core::host`, a typed
//! handler, the in-memory inbox unless a row says otherwise, concurrency
//! 16) beside the raw client's consume-and-ack loop on the same broker and
//! messages. Both sides do the same work on each message but the inbox:
//!
//! - **raw loop**: receive one message, decode its payload into the typed
//!   event with `serde_json` (binary mode: the payload is the data, decoded
//!   as `ProductUpdatedIntegrationEvent`; structured mode: the payload is
//!   the CloudEvents JSON, decoded as a plain serde struct of the
//!   attributes with that data), acknowledge it, then the next: one at a
//!   time, as a user's loop around the client is written;
//! - **host**: receive, decode into `Envelope<ProductUpdatedIntegrationEvent>`
//!   (attributes checked, upcasting on), claim the event in the inbox, run
//!   the handler (which reads the data), record it as processed, and
//!   acknowledge; up to 16 at a time.
//!
//! The rows:
//!
//! - in memory: the host against the in-memory transport's subscription
//!   (`next`, decode, `ack`); also the subscription without decoding and
//!   the typed `Consumer` with `MemoryInbox::deliver` one at a time, to
//!   show where the time goes;
//! - SQLite: the host (the in-memory inbox, and the SQLite `InboxConnection`
//!   in a file of its own, one transaction per event) against the SQLite
//!   transport's subscription (`next`, decode, `ack`), the broker in a file;
//! - NATS: the host with the transport's default confirmed acks against an
//!   `async-nats` pull consumer that double-acks, and the host with
//!   `NatsConfig::confirm_acks` off against one that sends plain acks (the
//!   same guarantee: a lost ack is redelivered and skipped by the inbox);
//!   the pull consumer is the client's continuous pull (`stream()`) with
//!   the transport's batch (64) and expiry, as the transport pulls; the
//!   transport's own subscription with unconfirmed acks is shown too;
//! - RabbitMQ: the host against a `lapin` `basic_consume` at the
//!   transport's prefetch (64) that decodes and acks.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench consume`
//!
//! `EVENT_CORE_BENCH_CONSUME` names the sections to run, separated by
//! commas (`memory`, `sqlite`, `nats`, `rabbitmq`; all by default), and
//! `EVENT_CORE_BENCH_ROUNDS` the rounds (10 by default);
//! `EVENT_CORE_BENCH_ROWS` the contenders to run, by index from 0 in the
//! order printed (all by default), to profile one alone. Each row shows
//! the CPU time the runtime's thread spent per message besides the rate.
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
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use event_core::host::{Host, Inbox, MemoryInbox};
use event_core::integration::{Consumer, encode};
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
use event_core::rabbitmq::RabbitMqTransport;
use event_core::sqlite::{InboxConnection, SqliteTransport};
use event_core::transport::{InMemoryTransport, Message, Subscription, Transport};
use event_core::{Envelope, Event};
use event_core_benches::{ProductUpdatedIntegrationEvent, sale};
use futures_util::StreamExt;
use futures_util::future::join_all;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use serde::Deserialize;
use tokio::sync::Notify;

/// Messages per round.
const COUNT: usize = 2000;
/// Deliveries the host holds at once.
const CONCURRENCY: usize = 16;
/// Unacknowledged deliveries a RabbitMQ consumer may hold, on both sides.
const PREFETCH: u16 = 64;
const TYPE: &str = ProductUpdatedIntegrationEvent::FULL_TYPE;

/// Rounds per transport.
fn rounds() -> usize {
    std::env::var("EVENT_CORE_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(10)
}

/// Whether the section `name` is to run.
fn section(name: &str) -> bool {
    std::env::var("EVENT_CORE_BENCH_CONSUME")
        .map(|sections| sections.split(',').any(|s| s.trim() == name))
        .unwrap_or(true)
}

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

/// The CloudEvents JSON of a structured-mode message, as a plain serde
/// struct: what a raw loop decodes the payload into.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Structured {
    id: String,
    source: String,
    #[serde(rename = "type")]
    event_type: String,
    time: String,
    correlationid: String,
    data: ProductUpdatedIntegrationEvent,
}

/// A raw loop's decoding of a structured-mode payload.
fn decode_structured(payload: &[u8]) {
    let envelope: Structured = serde_json::from_slice(payload).unwrap();
    std::hint::black_box(&envelope);
}

/// A raw loop's decoding of a binary-mode payload (the data).
fn decode_binary(payload: &[u8]) {
    let data: ProductUpdatedIntegrationEvent = serde_json::from_slice(payload).unwrap();
    std::hint::black_box(&data);
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

/// Handles `COUNT` messages of `group` with a host and `inbox`; the time
/// from its start to its return.
async fn through_host<T: Transport + Clone, I: Inbox>(
    transport: &T,
    group: &str,
    inbox: I,
) -> Duration {
    let done = Rc::new(Notify::new());
    let seen = Rc::new(Cell::new(0));
    let (last, count) = (Rc::clone(&done), Rc::clone(&seen));
    let host = Host::new(transport.clone())
        .consumer(group, inbox)
        .concurrency(CONCURRENCY)
        .handle::<ProductUpdatedIntegrationEvent>(async move |_, envelope| {
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

/// Takes `COUNT` deliveries of a transport's subscription one at a time,
/// decoding each payload with `decode` (none when `None`), and acks each.
async fn through_subscription<T: Transport>(
    transport: &T,
    group: &str,
    decode: Option<fn(&[u8])>,
) -> Duration {
    let start = Instant::now();
    let mut subscription = transport.subscribe(TYPE, group).await.unwrap();
    for _ in 0..COUNT {
        let delivery = subscription.next().await.unwrap().unwrap();
        if let Some(decode) = decode {
            decode(delivery.message.payload());
        }
        delivery.ack().await.unwrap();
    }
    start.elapsed()
}

/// The CPU time of this thread (user and system), where the platform
/// tells it (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)` on Linux); zero
/// elsewhere.
fn cpu_time() -> Duration {
    #[cfg(target_os = "linux")]
    {
        #[repr(C)]
        struct Timespec {
            tv_sec: i64,
            tv_nsec: i64,
        }
        unsafe extern "C" {
            fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut time = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `time` is a valid `timespec` for the call to write.
        if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut time) } == 0 {
            return Duration::new(time.tv_sec as u64, time.tv_nsec as u32);
        }
    }
    Duration::ZERO
}

/// Whether contender `who` of a section is to run: all unless
/// `EVENT_CORE_BENCH_ROWS` lists the indexes to run (from 0, in the order
/// printed), to profile one alone.
fn row(who: usize) -> bool {
    std::env::var("EVENT_CORE_BENCH_ROWS")
        .map(|rows| rows.split(',').any(|r| r.trim().parse() == Ok(who)))
        .unwrap_or(true)
}

/// The wall-clock and CPU time of each contender.
#[derive(Clone, Copy, Default)]
struct Spent {
    wall: Duration,
    cpu: Duration,
}

/// Times `work`: its wall-clock time as it reports it (the contender's own
/// start and end), and this thread's CPU time over all of it.
async fn timed(spent: &mut Spent, work: impl std::future::Future<Output = Duration>) {
    let cpu = cpu_time();
    spent.wall += work.await;
    spent.cpu += cpu_time().saturating_sub(cpu);
}

/// Prints the rates of `names` from their total times, with each one's
/// ratio to the baseline at `baseline`, and the CPU time the runtime's
/// thread spent per message (publishing excluded; the client's own
/// threads, which `lapin` has, are not counted).
fn report(title: &str, names: &[&str], spent: &[Spent], baseline: usize) {
    let messages = rounds() * COUNT;
    let rate = |time: Duration| messages as f64 / time.as_secs_f64();
    println!("{title}: {} rounds of {COUNT} messages, in turns", rounds());
    for (name, one) in names.iter().zip(spent) {
        println!(
            "  {name:<58} {:>8.0}/s  ratio to {} {:.2}  CPU {:.1} us/message",
            rate(one.wall),
            names[baseline],
            rate(one.wall) / rate(spent[baseline].wall),
            one.cpu.as_secs_f64() * 1e6 / messages as f64,
        );
    }
}

/// The ratio of two contenders' rates, printed.
fn ratio(label: &str, spent: &[Spent], host: usize, raw: usize) {
    println!(
        "  {label}: {:.2}",
        spent[raw].wall.as_secs_f64() / spent[host].wall.as_secs_f64()
    );
}

fn in_memory(rt: &tokio::runtime::Runtime) {
    let transport = InMemoryTransport::new();
    let names = [
        "host, in-memory inbox",
        "subscription next + decode + ack",
        "subscription next + ack (no decode)",
        "typed Consumer + MemoryInbox::deliver, one at a time",
    ];
    let mut times = [Spent::default(); 4];
    rt.block_on(async {
        transport.declare(TYPE, "bench").await.unwrap();
        for round in 0..rounds() {
            for turn in 0..names.len() {
                let who = (round + turn) % names.len();
                if !row(who) {
                    continue;
                }
                publish(&transport, messages()).await;
                timed(&mut times[who], async {
                    match who {
                        0 => through_host(&transport, "bench", MemoryInbox::new()).await,
                        1 => {
                            through_subscription(&transport, "bench", Some(decode_structured)).await
                        }
                        2 => through_subscription(&transport, "bench", None).await,
                        _ => {
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
                    }
                })
                .await;
            }
        }
    });
    report("in-memory transport", &names, &times, 1);
    ratio("host / next + decode + ack", &times, 0, 1);
}

/// A directory of its own for this run's SQLite files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("evc-bench-consume-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sqlite(rt: &tokio::runtime::Runtime) {
    let scratch = Scratch::new();
    let transport = SqliteTransport::open(scratch.0.join("broker.db")).unwrap();
    let names = [
        "host, in-memory inbox",
        "host, SQLite inbox (InboxConnection, its own file)",
        "subscription next + decode + ack",
    ];
    let mut times = [Spent::default(); 3];
    rt.block_on(async {
        for round in 0..rounds() {
            for turn in 0..names.len() {
                let who = (round + turn) % names.len();
                if !row(who) {
                    continue;
                }
                // One group for all: each turn takes all that was published
                // for it.
                let group = "bench";
                transport.declare(TYPE, group).await.unwrap();
                publish(&transport, messages()).await;
                timed(&mut times[who], async {
                    match who {
                        0 => through_host(&transport, group, MemoryInbox::new()).await,
                        1 => {
                            let file = scratch.0.join(format!("inbox_{round}.db"));
                            let inbox =
                                InboxConnection::new(rusqlite::Connection::open(file).unwrap())
                                    .unwrap();
                            through_host(&transport, group, inbox).await
                        }
                        _ => through_subscription(&transport, group, Some(decode_structured)).await,
                    }
                })
                .await;
            }
        }
    });
    report("SQLite transport (broker in a file)", &names, &times, 2);
    ratio(
        "host with the in-memory inbox / next + decode + ack",
        &times,
        0,
        2,
    );
    ratio(
        "host with the SQLite inbox / next + decode + ack",
        &times,
        1,
        2,
    );
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
        let client = async_nats::connect(&url)
            .await
            .map_err(|e| event_core::transport::TransportError::Unavailable(e.to_string()))?;
        Ok::<_, event_core::transport::TransportError>((transport, unconfirmed, client))
    });
    let (transport, unconfirmed, client) = match connected {
        Ok(connected) => connected,
        Err(error) => {
            eprintln!("\nNOTICE: NATS skipped: {url} cannot be reached ({error}).\n");
            return;
        }
    };
    let names = [
        "host, in-memory inbox, confirmed acks",
        "async-nats pull consumer, decode + double ack",
        "host, in-memory inbox, unconfirmed acks",
        "async-nats pull consumer, decode + ack",
        "transport subscription, unconfirmed acks, decode (no host)",
    ];
    let mut times = [Spent::default(); 5];
    let settings = transport.config().clone();
    rt.block_on(async {
        let jetstream = async_nats::jetstream::new(client);
        let stream = jetstream.get_stream(&name).await.unwrap();
        for round in 0..rounds() {
            for turn in 0..names.len() {
                let who = (round + turn) % names.len();
                if !row(who) {
                    continue;
                }
                // A group of this turn alone: a pull request a contender
                // left open must not take the next one's messages.
                let group = format!("bench_{round}_{who}");
                match who {
                    0 | 2 => {
                        let host = if who == 0 { &transport } else { &unconfirmed };
                        host.declare(TYPE, &group).await.unwrap();
                        publish(&transport, messages()).await;
                        timed(
                            &mut times[who],
                            through_host(host, &group, MemoryInbox::new()),
                        )
                        .await;
                        continue;
                    }
                    4 => {
                        unconfirmed.declare(TYPE, &group).await.unwrap();
                        publish(&transport, messages()).await;
                        let work = through_subscription(&unconfirmed, &group, Some(decode_binary));
                        timed(&mut times[who], work).await;
                        continue;
                    }
                    _ => {}
                }
                // A durable pull consumer as the transport's, of what is
                // published from now on.
                let consumer = stream
                    .create_consumer(pull::Config {
                        durable_name: Some(group.clone()),
                        ack_policy: AckPolicy::Explicit,
                        deliver_policy: DeliverPolicy::New,
                        max_ack_pending: settings.max_ack_pending,
                        ack_wait: settings.ack_wait,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                publish(&transport, messages()).await;
                let work = async {
                    let start = Instant::now();
                    // The client's continuous pull, with the transport's batch
                    // and expiry.
                    let mut messages = consumer
                        .stream()
                        .max_messages_per_batch(settings.batch)
                        .expires(settings.fetch_expiry)
                        .heartbeat(settings.fetch_expiry / 2)
                        .messages()
                        .await
                        .unwrap();
                    for _ in 0..COUNT {
                        let message = messages.next().await.unwrap().unwrap();
                        decode_binary(&message.payload);
                        if who == 3 {
                            message.ack().await.unwrap();
                        } else {
                            message.double_ack().await.unwrap();
                        }
                    }
                    start.elapsed()
                };
                timed(&mut times[who], work).await;
                stream.delete_consumer(&group).await.unwrap();
            }
        }
        transport.delete_stream().await.unwrap();
    });
    report("NATS JetStream (stream in memory)", &names, &times, 3);
    ratio(
        "host with confirmed acks / decode + double ack",
        &times,
        0,
        1,
    );
    ratio("host with unconfirmed acks / decode + ack", &times, 2, 3);
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
    let names = [
        "host, in-memory inbox",
        "lapin basic_consume + decode + ack",
    ];
    let mut times = [Spent::default(); 2];
    rt.block_on(async {
        transport.declare(TYPE, "bench").await.unwrap();
        let queue = transport.queue_name(TYPE, "bench").unwrap();
        for round in 0..rounds() {
            for turn in 0..names.len() {
                let who = (round + turn) % names.len();
                if !row(who) {
                    continue;
                }
                publish(&transport, messages()).await;
                timed(&mut times[who], async {
                    match who {
                        0 => through_host(&transport, "bench", MemoryInbox::new()).await,
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
                                decode_binary(&delivery.data);
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
                    }
                })
                .await;
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
    ratio("host / decode + ack", &times, 0, 1);
}

fn main() {
    let rt = runtime();
    if section("memory") {
        in_memory(&rt);
    }
    if section("sqlite") {
        sqlite(&rt);
    }
    if section("nats") {
        nats(&rt);
    }
    if section("rabbitmq") {
        rabbitmq(&rt);
    }
}
