//! A [`Transport`] on NATS JetStream (feature `nats`).
//!
//! [`NatsTransport`] publishes each message to a JetStream stream and
//! delivers it to durable pull consumers, one per consumer group and event
//! type:
//!
//! - **Subjects.** A message of type `parcel.shipped.v1` is published on
//!   `<prefix>.parcel.shipped.v1.<key>`: the subject prefix
//!   ([`NatsConfig::subject_prefix`], `events` by default), the type's
//!   dot-separated parts, and the partition key ([`Message::partition_key`])
//!   as the last token, `_` when there is none. Every token is made safe: a
//!   byte other than an ASCII letter, digit, `_` or `-` is written as `~`
//!   and two hex digits (`eu.west` → `eu~2Ewest`).
//! - **De-duplication.** The event id is the `Nats-Msg-Id` header, so the
//!   server stores a message the relay publishes again (after a lost ack or
//!   a crash) once, as long as the second publish comes within the stream's
//!   duplicate window ([`StreamSettings::duplicate_window`], 10 minutes by
//!   default, well above the relay's own retry horizon).
//! - **Publish.** [`Transport::publish`] resolves once the server has
//!   stored the message (JetStream's publish ack, or its answer that it is
//!   a duplicate).
//! - **CloudEvents.** Binary mode by default: the attributes in `ce-`
//!   headers as the NATS protocol binding says ([`binding::NATS`](crate::encoding::binding::NATS)), the data
//!   as the payload; [`Mode::Structured`] sends the CloudEvents JSON instead.
//!   Consumers read both.
//! - **Consumer groups.** [`Transport::declare`] (or the first
//!   [`Transport::subscribe`]) creates the durable pull consumer
//!   `<group>~~<type>` (for example `billing~~parcel_shipped_v1`) with the
//!   `New` deliver policy, explicit acks and the filter
//!   `<prefix>.<type>.*`: it keeps every message of its type published from
//!   then on. Subscriptions of one group share it and compete.
//! - **Settling.** An ack waits for the server's confirmation (unless
//!   [`NatsConfig::confirm_acks`] is off, for consumers with an inbox); a
//!   nack is a
//!   JetStream `NAK`, with the delay when there is one; a delivery dropped
//!   unsettled is `NAK`ed at once, and one whose consumer died comes again
//!   after [`NatsConfig::ack_wait`]. [`Delivery::attempt`](crate::delivery::transport::Delivery::attempt) is the server's
//!   delivery count.
//! - **Bounded in flight.** A subscription pulls continuously, with the
//!   server's idle heartbeats: a request for [`NatsConfig::batch`] messages
//!   goes out ahead, once half of the previous one has arrived, so the next
//!   messages are on their way while these are handled; it holds at most
//!   about two and a half batches it has not handed out (one and a half
//!   requested or received by the client, one waiting for the subscriber).
//!   Dropped, it gives back (`NAK`) those it has received; any still on
//!   their way come again after [`NatsConfig::ack_wait`]. The consumer's
//!   `max_ack_pending` ([`NatsConfig::max_ack_pending`]) caps the deliveries
//!   not yet settled across all its subscriptions.
//! - **Lag.** [`Subscription::lag`](crate::delivery::transport::Subscription::lag)
//!   is JetStream's count of the group's messages not delivered yet, which
//!   every message carries: exact as of the latest delivery, at no cost.
//! - **Dead letters.** A consumer's [`RetryPolicy`] decides, and its inbox
//!   keeps the dead letters (see `SqliteInbox::deliver`). Behind it, the
//!   transport is the backstop for deliveries nobody settles (a message that
//!   crashes its consumer every time): once a message has been delivered
//!   [`NatsConfig::max_deliver`] times, the next delivery is not handed out
//!   but published to the dead-letter subject
//!   `<prefix>-dead.<group>.<type>` in the stream (with the headers
//!   `Event-Core-Dead-Consumer` and `Event-Core-Dead-Attempts`), then
//!   terminated; [`NatsTransport::dead_letters`] reads them. The consumer's
//!   own `max_deliver` stays unlimited, so the server never drops a message
//!   silently.
//! - **Requeue.** [`Transport::requeue`] publishes on
//!   `<prefix>-requeue.<group>.<type>`, which a second durable consumer of
//!   the group (`<group>~~<type>~~requeue`) filters on, so only that group
//!   receives it again, as attempt 1. (Servers before 2.10 allow one filter
//!   per consumer, hence the second consumer; each subscription reads both.)
//! - **Recovery.** The client reconnects by itself; a publish made while
//!   the server is away fails with [`TransportError::Unavailable`] (the
//!   relay retries it, and the server de-duplicates), and a subscription's
//!   fetch loop keeps going: it waits and pulls again, and re-creates its
//!   consumers if the server lost them (a server without its store, an
//!   operator who deleted one); a consumer re-created that way, like any
//!   new one, keeps what is published from then on.
//!
//! The stream must exist and capture the three subject roots:
//! [`NatsTransport::ensure_stream`] creates it with [`StreamSettings`]
//! (limits retention, file storage, a maximum age of 7 days), or an
//! existing stream is used as it is when its name is
//! [`NatsConfig::stream`] and its subjects include `<prefix>.>`,
//! `<prefix>-requeue.>` and `<prefix>-dead.>`
//! ([`NatsTransport::stream_subjects`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), event_core::transport::TransportError> {
//! use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
//! use event_core::transport::Transport;
//!
//! let transport = NatsTransport::connect("nats://127.0.0.1:4222", NatsConfig::default()).await?;
//! transport.ensure_stream(&StreamSettings::default()).await?;
//! transport.declare("parcel.shipped.v1", "billing").await?;
//! # Ok(()) }
//! ```
//!
//! [`async_nats`] is re-exported, for a service that connects its own
//! client and hands it to [`NatsTransport::new`]: a client of another
//! version of `async-nats` is another type.

mod subject;
mod subscription;
mod wire;

use core::fmt;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};

pub use async_nats;
pub use subscription::NatsSubscription;

use crate::delivery::retry::RetryPolicy;
use crate::delivery::transport::{Transport, TransportError};
use crate::encoding::message::Message;

/// How messages are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The CloudEvents attributes in `ce-` headers, the data as the payload
    /// ([`binding::NATS`](crate::encoding::binding::NATS)).
    #[default]
    Binary,
    /// The CloudEvents JSON as the payload, with
    /// `content-type: application/cloudevents+json`.
    Structured,
}

/// Where a [`NatsTransport`] publishes and how it consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatsConfig {
    /// The JetStream stream: `EVENTS` by default.
    pub stream: String,
    /// The first tokens of every subject: `events` by default. Requeued
    /// messages and dead letters go under `<prefix>-requeue` and
    /// `<prefix>-dead`.
    pub subject_prefix: String,
    /// Binary (the default) or structured mode.
    pub mode: Mode,
    /// How many messages a subscription pulls at a time: 64 by default (1
    /// at least). Their ack wait runs from when they are pulled, so a batch
    /// should take its consumer well under [`ack_wait`](Self::ack_wait) to
    /// handle.
    pub batch: usize,
    /// How many deliveries of a consumer group may wait for their ack at
    /// once, over all its subscriptions: 1024 by default.
    pub max_ack_pending: i64,
    /// How long the server waits for a delivery to be settled before it
    /// delivers it again: 30 seconds by default.
    pub ack_wait: Duration,
    /// After how many deliveries the transport moves a message to the
    /// dead-letter subject instead of delivering it again; `None` never
    /// does. By default twice the default [`RetryPolicy`]'s attempts (18),
    /// so a consumer's own policy gives up first.
    pub max_deliver: Option<u32>,
    /// How long a pull request waits on the server for messages before a
    /// subscription makes the next one: 5 seconds by default (100 ms at
    /// least). A subscription notices a pull request the server lost (a
    /// restart) within this and 5 seconds more.
    pub fetch_expiry: Duration,
    /// How long a publish or a request to the server may take: 10 seconds by
    /// default.
    pub request_timeout: Duration,
    /// Whether [`Delivery::ack`](crate::delivery::transport::Delivery::ack)
    /// waits for the server to confirm the ack (JetStream's double ack):
    /// `true` by default. See [`with_confirm_acks`](Self::with_confirm_acks).
    pub confirm_acks: bool,
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            stream: "EVENTS".to_owned(),
            subject_prefix: "events".to_owned(),
            mode: Mode::Binary,
            batch: 64,
            max_ack_pending: 1024,
            ack_wait: Duration::from_secs(30),
            max_deliver: Some(RetryPolicy::default().max_attempts().saturating_mul(2)),
            fetch_expiry: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            confirm_acks: true,
        }
    }
}

impl NatsConfig {
    /// The defaults with another stream and subject prefix.
    #[must_use]
    pub fn new(stream: impl Into<String>, subject_prefix: impl Into<String>) -> Self {
        NatsConfig {
            stream: stream.into(),
            subject_prefix: subject_prefix.into(),
            ..Self::default()
        }
    }

    /// With `mode`.
    #[must_use]
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// With `batch` messages pulled at a time (at least 1).
    #[must_use]
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// With `max_ack_pending` deliveries of a group unsettled at most.
    #[must_use]
    pub fn with_max_ack_pending(mut self, max_ack_pending: i64) -> Self {
        self.max_ack_pending = max_ack_pending;
        self
    }

    /// With `ack_wait` before an unsettled delivery comes again.
    #[must_use]
    pub fn with_ack_wait(mut self, ack_wait: Duration) -> Self {
        self.ack_wait = ack_wait;
        self
    }

    /// With dead letters after `max_deliver` deliveries (`None`: never).
    #[must_use]
    pub fn with_max_deliver(mut self, max_deliver: Option<u32>) -> Self {
        self.max_deliver = max_deliver;
        self
    }

    /// With pull requests that wait `fetch_expiry` on the server.
    #[must_use]
    pub fn with_fetch_expiry(mut self, fetch_expiry: Duration) -> Self {
        self.fetch_expiry = fetch_expiry;
        self
    }

    /// With acks the server confirms (`true`, the default) or acks sent
    /// without waiting for an answer (`false`).
    ///
    /// A confirmed ack costs a round trip to the server per message, which
    /// bounds one subscription's throughput by the latency; an unconfirmed
    /// one is written to the connection and the consumer moves on, several
    /// times faster. The price: an ack the server never receives (the
    /// connection dropped right then) goes unnoticed, and the message comes
    /// again after [`ack_wait`](Self::ack_wait). A consumer that settles
    /// through an inbox (the hosted consumer, `SqliteInbox::deliver`,
    /// `PgInbox::deliver`) recognises that redelivery as a duplicate and
    /// skips it, so for it the confirmation buys nothing but the
    /// `Delivery::ack` error; keep it for consumers without an inbox, whose
    /// effects would run twice.
    ///
    /// ```
    /// use event_core::nats::NatsConfig;
    ///
    /// // Consumers of this transport all deduplicate with an inbox.
    /// let config = NatsConfig::default().with_confirm_acks(false);
    /// assert!(!config.confirm_acks);
    /// assert!(NatsConfig::default().confirm_acks);
    /// ```
    #[must_use]
    pub fn with_confirm_acks(mut self, confirm_acks: bool) -> Self {
        self.confirm_acks = confirm_acks;
        self
    }

    /// With `request_timeout` for publishes and requests.
    #[must_use]
    pub fn with_request_timeout(mut self, request_timeout: Duration) -> Self {
        self.request_timeout = request_timeout;
        self
    }

    fn requeue_root(&self) -> String {
        format!("{}-requeue", self.subject_prefix)
    }

    fn dead_root(&self) -> String {
        format!("{}-dead", self.subject_prefix)
    }
}

/// The stream [`NatsTransport::ensure_stream`] creates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamSettings {
    /// How long a message is kept: 7 days by default (limits retention:
    /// messages stay until they are this old, whether consumed or not, so
    /// dead letters and late consumers find them).
    pub max_age: Duration,
    /// The window in which the server de-duplicates publishes of one event
    /// id: 10 minutes by default, above the relay's retry horizon (its lease
    /// and its publish timeout of 30 seconds each, and its retry policy's
    /// half minute).
    pub duplicate_window: Duration,
    /// The stream's size limit in bytes; `None` (the default) for none.
    pub max_bytes: Option<i64>,
    /// Keep the messages in memory rather than in files (`false` by
    /// default: a server restart loses nothing).
    pub memory: bool,
    /// Replicas in a cluster: 1 by default.
    pub replicas: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            max_age: Duration::from_secs(7 * 24 * 3600),
            duplicate_window: Duration::from_secs(600),
            max_bytes: None,
            memory: false,
            replicas: 1,
        }
    }
}

impl StreamSettings {
    /// With messages kept for `max_age`.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// With a de-duplication window of `window`.
    #[must_use]
    pub fn with_duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// In memory (`true`) or in files.
    #[must_use]
    pub fn with_memory(mut self, memory: bool) -> Self {
        self.memory = memory;
        self
    }
}

/// A message moved to the dead-letter subject by a [`NatsTransport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsDeadLetter {
    /// Its sequence in the stream, for [`NatsTransport::discard_dead_letter`].
    pub sequence: u64,
    /// The consumer group that gave up on it.
    pub consumer: String,
    /// How many times it had been delivered.
    pub attempts: u32,
    /// The message as it was delivered.
    pub message: Message,
}

/// The NATS JetStream transport; see the [module docs](self). Clones share
/// one connection.
#[derive(Clone)]
pub struct NatsTransport {
    pub(crate) context: jetstream::Context,
    pub(crate) config: std::sync::Arc<NatsConfig>,
}

impl fmt::Debug for NatsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsTransport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// An error of the client when the server could not be reached or did not
/// answer in time.
pub(crate) fn unavailable(error: impl fmt::Display) -> TransportError {
    TransportError::Unavailable(error.to_string())
}

/// A consumer error as a transport error: a refusal by JetStream (an
/// invalid name, a missing stream) is [`TransportError::Rejected`],
/// anything else (a timeout, a lost connection, a server short of
/// resources) is unavailable.
pub(crate) fn consumer_error(error: &stream::ConsumerError, what: &str) -> TransportError {
    match error.kind() {
        stream::ConsumerErrorKind::JetStream(answer) if answer.code() >= 500 => {
            TransportError::Unavailable(format!("{what}: {error}"))
        }
        stream::ConsumerErrorKind::JetStream(_)
        | stream::ConsumerErrorKind::InvalidName
        | stream::ConsumerErrorKind::InvalidConsumerType => {
            TransportError::Rejected(format!("{what}: {error}"))
        }
        _ => TransportError::Unavailable(format!("{what}: {error}")),
    }
}

impl NatsTransport {
    /// Connects to the server at `url` (the client reconnects by itself
    /// after a lost connection).
    ///
    /// # Errors
    ///
    /// [`TransportError::Unavailable`] when the server cannot be reached, or
    /// [`TransportError::Rejected`] for a subject prefix that is not one.
    pub async fn connect(url: &str, config: NatsConfig) -> Result<Self, TransportError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(config.request_timeout)
            .request_timeout(Some(config.request_timeout))
            .connect(url)
            .await
            .map_err(unavailable)?;
        Self::new(client, config)
    }

    /// A transport over a connected client.
    ///
    /// # Errors
    ///
    /// [`TransportError::Rejected`] for a subject prefix that is empty or
    /// holds wildcards or spaces, or an empty stream name.
    pub fn new(client: async_nats::Client, config: NatsConfig) -> Result<Self, TransportError> {
        if !subject::valid_prefix(&config.subject_prefix) {
            return Err(TransportError::Rejected(format!(
                "`{}` is not a subject prefix",
                config.subject_prefix
            )));
        }
        if config.stream.is_empty()
            || config
                .stream
                .bytes()
                .any(|b| !b.is_ascii_graphic() || matches!(b, b'.' | b'*' | b'>' | b'/' | b'\\'))
        {
            return Err(TransportError::Rejected(format!(
                "`{}` is not a stream name",
                config.stream
            )));
        }
        let context = jetstream::ContextBuilder::new()
            .timeout(config.request_timeout)
            .backpressure_on_inflight(true)
            .build(client);
        Ok(NatsTransport {
            context,
            config: std::sync::Arc::new(config),
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &NatsConfig {
        &self.config
    }

    /// The JetStream context, for what this adapter does not do.
    #[must_use]
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.context
    }

    /// The subjects the stream must capture: `<prefix>.>`,
    /// `<prefix>-requeue.>` and `<prefix>-dead.>`.
    #[must_use]
    pub fn stream_subjects(&self) -> Vec<String> {
        vec![
            format!("{}.>", self.config.subject_prefix),
            format!("{}.>", self.config.requeue_root()),
            format!("{}.>", self.config.dead_root()),
        ]
    }

    /// The subject `message` is published on.
    #[must_use]
    pub fn subject(&self, message: &Message) -> String {
        wire::publish_subject(
            &self.config.subject_prefix,
            message.event_type(),
            message.partition_key().as_deref(),
        )
    }

    /// The subject the dead letters of `consumer` for `event_type` are
    /// published on.
    #[must_use]
    pub fn dead_letter_subject(&self, event_type: &str, consumer: &str) -> String {
        wire::group_subject(&self.config.dead_root(), consumer, event_type)
    }

    /// The name of the durable consumer of the group `consumer` for
    /// `event_type`.
    #[must_use]
    pub fn consumer_name(&self, event_type: &str, consumer: &str) -> String {
        subject::consumer_name(consumer, event_type)
    }

    /// Creates the stream with `settings`, or updates an existing one of the
    /// configured name to them (its subjects included).
    ///
    /// # Errors
    ///
    /// [`TransportError::Rejected`] when JetStream refuses (another stream
    /// already captures these subjects, a setting it cannot apply);
    /// [`TransportError::Unavailable`] when it cannot be asked.
    pub async fn ensure_stream(&self, settings: &StreamSettings) -> Result<(), TransportError> {
        let config = stream::Config {
            name: self.config.stream.clone(),
            subjects: self.stream_subjects(),
            retention: stream::RetentionPolicy::Limits,
            storage: if settings.memory {
                stream::StorageType::Memory
            } else {
                stream::StorageType::File
            },
            max_age: settings.max_age,
            duplicate_window: settings.duplicate_window,
            max_bytes: settings.max_bytes.unwrap_or(-1),
            max_messages: -1,
            max_messages_per_subject: -1,
            max_consumers: -1,
            num_replicas: settings.replicas.max(1),
            discard: stream::DiscardPolicy::Old,
            ..stream::Config::default()
        };
        match self.context.create_or_update_stream(config).await {
            Ok(_) => Ok(()),
            Err(error) => Err(match error.kind() {
                jetstream::context::CreateStreamErrorKind::TimedOut => unavailable(&error),
                jetstream::context::CreateStreamErrorKind::JetStreamUnavailable => {
                    unavailable(&error)
                }
                _ => TransportError::Rejected(format!(
                    "stream `{}` could not be created: {error}",
                    self.config.stream
                )),
            }),
        }
    }

    /// Deletes the stream and everything in it (for tests and teardown).
    ///
    /// # Errors
    ///
    /// As [`ensure_stream`](Self::ensure_stream).
    pub async fn delete_stream(&self) -> Result<(), TransportError> {
        self.context
            .delete_stream(&self.config.stream)
            .await
            .map(drop)
            .map_err(|error| TransportError::Rejected(error.to_string()))
    }

    /// The consumer configuration of a group's consumer.
    fn consumer_config(&self, name: String, filter: String) -> consumer::pull::Config {
        consumer::pull::Config {
            durable_name: Some(name),
            deliver_policy: consumer::DeliverPolicy::New,
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: self.config.ack_wait,
            // The transport dead-letters; the server never drops.
            max_deliver: -1,
            filter_subject: filter,
            max_ack_pending: self.config.max_ack_pending,
            ..consumer::pull::Config::default()
        }
    }

    /// The durable consumer `name` filtering on `filter`, created if it
    /// does not exist.
    pub(crate) async fn durable(
        &self,
        name: String,
        filter: String,
    ) -> Result<consumer::PullConsumer, TransportError> {
        let stream = &self.config.stream;
        match self
            .context
            .get_consumer_from_stream::<consumer::pull::Config, _, _>(&name, stream)
            .await
        {
            Ok(existing) => return Ok(existing),
            Err(error)
                if matches!(
                    error.kind(),
                    stream::ConsumerErrorKind::JetStream(ref e) if e.code() == 404
                ) => {}
            Err(error) => {
                return Err(consumer_error(
                    &error,
                    &format!("consumer `{name}` of stream `{stream}`"),
                ));
            }
        }
        self.context
            .create_consumer_on_stream(self.consumer_config(name.clone(), filter), stream)
            .await
            .map_err(|error| {
                consumer_error(
                    &error,
                    &format!("consumer `{name}` of stream `{stream}` could not be created"),
                )
            })
    }

    /// The two consumers of a group for one type: its messages, and those
    /// requeued to it.
    pub(crate) async fn group(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<(consumer::PullConsumer, consumer::PullConsumer), TransportError> {
        let main = self
            .durable(
                subject::consumer_name(consumer, event_type),
                wire::type_filter(&self.config.subject_prefix, event_type),
            )
            .await?;
        let requeue = self
            .durable(
                subject::requeue_consumer_name(consumer, event_type),
                wire::group_subject(&self.config.requeue_root(), consumer, event_type),
            )
            .await?;
        Ok((main, requeue))
    }

    /// Publishes `message` on `subject` in the configured mode, with
    /// `msg_id` as its de-duplication id; resolves with the server's ack.
    pub(crate) async fn publish_on(
        &self,
        subject: String,
        message: &Message,
        msg_id: &str,
    ) -> Result<(), TransportError> {
        let (headers, payload) = wire::outgoing(message, self.config.mode)?;
        let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        self.publish_raw(subject, message.id(), pairs, payload, msg_id, &[])
            .await
    }

    /// Publishes headers and a payload as they are on `subject`, with
    /// `msg_id` as the de-duplication id and the adapter's `extra` headers;
    /// resolves with the server's ack.
    pub(crate) async fn publish_raw<'a>(
        &self,
        subject: String,
        event_id: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        payload: Vec<u8>,
        msg_id: &'a str,
        extra: &[(&'a str, &'a str)],
    ) -> Result<(), TransportError> {
        if msg_id.is_empty() {
            return Err(TransportError::Rejected(
                "a message without an id cannot be de-duplicated".to_owned(),
            ));
        }
        let mut internal = vec![(wire::MSG_ID, msg_id)];
        internal.extend_from_slice(extra);
        let headers = wire::header_map(event_id, headers, &internal)?;
        let publish = jetstream::message::PublishMessage::build()
            .headers(headers)
            .payload(payload.into());
        let ack = self
            .context
            .send_publish(subject, publish)
            .await
            .map_err(|error| publish_error(&error))?;
        ack.await.map(drop).map_err(|error| publish_error(&error))
    }

    /// The dead letters of `consumer` for `event_type`, oldest first.
    ///
    /// # Errors
    ///
    /// [`TransportError::Unavailable`] when the server cannot be asked.
    pub async fn dead_letters(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<Vec<NatsDeadLetter>, TransportError> {
        let subject = self.dead_letter_subject(event_type, consumer);
        let stream = self
            .context
            .get_stream_no_info(&self.config.stream)
            .await
            .map_err(unavailable)?;
        let mut letters = Vec::new();
        let mut next = 1_u64;
        loop {
            let found = stream
                .raw_message_builder()
                .sequence(next)
                .next_by_subject(subject.clone())
                .send()
                .await;
            let raw = match found {
                Ok(raw) => raw,
                Err(error)
                    if matches!(
                        error.kind(),
                        async_nats::jetstream::stream::RawMessageErrorKind::NoMessageFound
                    ) =>
                {
                    break;
                }
                Err(error) => return Err(unavailable(error)),
            };
            let message = wire::incoming(event_type, Some(&raw.headers), &raw.payload);
            let header = |name: &str| {
                raw.headers
                    .get_last(name)
                    .map(|v| v.as_str().to_owned())
                    .unwrap_or_default()
            };
            letters.push(NatsDeadLetter {
                sequence: raw.sequence,
                consumer: header(wire::DEAD_CONSUMER),
                attempts: header(wire::DEAD_ATTEMPTS).parse().unwrap_or(0),
                message,
            });
            next = raw.sequence.saturating_add(1);
        }
        Ok(letters)
    }

    /// Removes a dead letter from the stream (once it was requeued or
    /// judged worthless).
    ///
    /// # Errors
    ///
    /// [`TransportError::Unavailable`] when the server cannot be asked,
    /// [`TransportError::Rejected`] when there is no such message.
    pub async fn discard_dead_letter(&self, sequence: u64) -> Result<(), TransportError> {
        let stream = self
            .context
            .get_stream_no_info(&self.config.stream)
            .await
            .map_err(unavailable)?;
        match stream.delete_message(sequence).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(TransportError::Rejected(format!(
                "no message {sequence} in stream `{}`",
                self.config.stream
            ))),
            Err(error) => Err(unavailable(error)),
        }
    }
}

/// A publish error as a transport error. A refusal of this message is
/// [`TransportError::Rejected`]: too large for the server, or a JetStream
/// error answer about the request (a 4xx code). Everything else is
/// [`TransportError::Unavailable`], to be tried again later without
/// counting against the message: a timeout, a lost connection, no stream
/// capturing the subject yet (an operator creates it; a cluster elects its
/// leader), a stream that is full or a server short of resources (5xx).
fn publish_error(error: &jetstream::context::PublishError) -> TransportError {
    use jetstream::context::PublishErrorKind as Kind;
    let refused = match error.kind() {
        Kind::MaxPayloadExceeded | Kind::WrongLastMessageId | Kind::WrongLastSequence => true,
        Kind::Other => std::error::Error::source(error)
            .and_then(|source| source.downcast_ref::<jetstream::Error>())
            .is_some_and(|answer| (400..500).contains(&answer.code())),
        _ => false,
    };
    if refused {
        TransportError::Rejected(error.to_string())
    } else {
        TransportError::Unavailable(error.to_string())
    }
}

impl Transport for NatsTransport {
    type Subscription = NatsSubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let subject = self.subject(&message);
        self.publish_on(subject, &message, message.id()).await
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<NatsSubscription, TransportError> {
        let (main, requeue) = self.group(event_type, consumer).await?;
        Ok(NatsSubscription::start(
            self.clone(),
            event_type,
            consumer,
            [main, requeue],
        ))
    }

    async fn declare(&self, event_type: &str, consumer: &str) -> Result<(), TransportError> {
        self.group(event_type, consumer).await.map(drop)
    }

    async fn requeue(&self, message: Message, consumer: &str) -> Result<(), TransportError> {
        self.group(message.event_type(), consumer).await?;
        let subject =
            wire::group_subject(&self.config.requeue_root(), consumer, message.event_type());
        // Its own de-duplication id: the event id was seen before.
        let msg_id = format!(
            "{}~requeue~{}~{}",
            message.id(),
            subject::token(consumer),
            crate::model::uuid7::new_v7()
        );
        // As it was delivered: a dead letter need not decode.
        self.publish_raw(
            subject,
            message.id(),
            message.headers(),
            message.payload().to_vec(),
            &msg_id,
            &[(wire::EVENT_ID, message.id())],
        )
        .await
    }
}
