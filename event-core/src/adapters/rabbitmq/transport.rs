//! The transport over one AMQP connection, re-opened when it drops.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use futures_core::Stream;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{
    Acker, BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};

use super::wire::{self, ContentMode};
use crate::delivery::transport::{
    Acknowledge, BoxFuture, Delivery, Subscription, Transport, TransportError,
};
use crate::encoding::message::Message;

/// A transport on RabbitMQ (feature `rabbitmq`), over the `lapin` AMQP
/// 0-9-1 client.
///
/// Publishing sends each message to one durable topic exchange (`events`
/// unless [`with_exchange`](Self::with_exchange) says otherwise), routed by
/// its full event type (and its partition key, as one more word), with the
/// event id as the AMQP `message_id`, persistent, and returns once the
/// broker confirmed it (publisher confirms). By default the event travels
/// in CloudEvents binary mode ([`ContentMode::Binary`]): its data as the
/// body and its attributes as `cloudEvents_` application headers;
/// subscriptions give it back in structured mode, as
/// [`encode`](crate::encode) makes messages.
///
/// Each consumer group of an event type is a durable quorum queue,
/// `<exchange>:<event type>:<consumer>`, bound to the exchange by
/// [`Transport::declare`] or the first [`Transport::subscribe`]: it keeps
/// every message of its type published from then on, whether or not a
/// subscription is open. A subscription is a consumer on that queue with at
/// most [`with_prefetch`](Self::with_prefetch) unacknowledged deliveries.
/// The attempt of a delivery is the quorum queue's `x-delivery-count` (a
/// negative acknowledgement, or a consumer that went away, counts one) plus
/// the attempt a delayed redelivery was re-published at. A negative
/// acknowledgement with a delay moves the message to a wait queue of the
/// group (a classic queue per delay, whose messages expire after it and are
/// dead-lettered back to the group's queue); no plugin is needed.
///
/// The connection is opened on first use. When it drops, the next publish,
/// declaration or fetch opens a new one and declares the topology again
/// (the exchange, and every group declared through this transport);
/// subscriptions resume consuming. Deliveries received on the lost
/// connection cannot be settled any more: the broker delivers them again.
///
/// Needs a tokio runtime with its IO and time drivers. Clones share one
/// connection.
#[derive(Clone)]
pub struct RabbitMqTransport {
    shared: Arc<Shared>,
}

impl core::fmt::Debug for RabbitMqTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RabbitMqTransport")
            .field("exchange", &self.shared.exchange)
            .field("mode", &self.shared.mode)
            .field("prefetch", &self.shared.prefetch)
            .finish_non_exhaustive()
    }
}

struct Shared {
    url: String,
    exchange: String,
    mode: ContentMode,
    prefetch: u16,
    /// The open connection and its publishing channel, if any.
    link: tokio::sync::Mutex<Option<Link>>,
    /// The wait queues declared through this transport, by group queue.
    wait_queues: Mutex<HashSet<(String, String)>>,
    /// The groups declared through this transport, (event type, consumer):
    /// declared again on every new connection.
    groups: Mutex<HashSet<(String, String)>>,
}

/// A connection and its channel for publishing and declaring, in confirm
/// mode, with the exchange declared.
#[derive(Clone)]
struct Link {
    connection: Arc<Connection>,
    channel: Channel,
}

/// One publish: where to, whether the broker must route it to a queue,
/// and what.
struct Publish<'a> {
    exchange: ShortString,
    routing_key: ShortString,
    mandatory: bool,
    body: &'a [u8],
    properties: BasicProperties,
}

/// Locks a set whose updates are single inserts and removals, so a
/// poisoned lock is usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Numbers the consumer tags of this process.
static NEXT_TAG: AtomicU64 = AtomicU64::new(0);

/// The transport's error for a failure of the client or the broker: a
/// channel-level refusal (`NOT_FOUND`, `PRECONDITION_FAILED`,
/// `ACCESS_REFUSED`, ...) is [`TransportError::Rejected`]; anything else (the
/// connection, the network) is [`TransportError::Unavailable`].
fn map_error(error: &lapin::Error) -> TransportError {
    if error.is_amqp_soft_error() {
        TransportError::Rejected(error.to_string())
    } else {
        TransportError::Unavailable(error.to_string())
    }
}

fn confirmed(confirmation: Confirmation, what: &str) -> Result<(), TransportError> {
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(returned)) => Err(TransportError::Rejected(format!(
            "the broker could not route {what}: {}",
            returned.reply_text
        ))),
        Confirmation::Nack(_) => Err(TransportError::Rejected(format!(
            "the broker did not store {what}"
        ))),
        Confirmation::NotRequested => Err(TransportError::Unavailable(format!(
            "the broker did not confirm {what}"
        ))),
    }
}

impl RabbitMqTransport {
    /// A transport for the broker at `url` (`amqp://user:password@host:5672/%2f`),
    /// with the exchange `events`, binary mode and a prefetch of 64. It
    /// connects on first use (or [`connect`](Self::connect)).
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        RabbitMqTransport {
            shared: Arc::new(Shared {
                url: url.into(),
                exchange: "events".to_owned(),
                mode: ContentMode::Binary,
                prefetch: 64,
                link: tokio::sync::Mutex::new(None),
                wait_queues: Mutex::new(HashSet::new()),
                groups: Mutex::new(HashSet::new()),
            }),
        }
    }

    fn configure(self, change: impl FnOnce(&mut Shared)) -> Self {
        let mut shared =
            Arc::try_unwrap(self.shared).unwrap_or_else(|shared| shared.settings_copy());
        change(&mut shared);
        RabbitMqTransport {
            shared: Arc::new(shared),
        }
    }

    /// Publishes to, and binds the groups' queues to, the topic exchange
    /// `exchange` (declared durable if it does not exist).
    #[must_use]
    pub fn with_exchange(self, exchange: impl Into<String>) -> Self {
        let exchange = exchange.into();
        self.configure(|shared| shared.exchange = exchange)
    }

    /// Carries events in `mode` (binary by default).
    #[must_use]
    pub fn with_mode(self, mode: ContentMode) -> Self {
        self.configure(|shared| shared.mode = mode)
    }

    /// Lets each subscription hold at most `prefetch` unacknowledged
    /// deliveries (64 by default; 0 means 1).
    #[must_use]
    pub fn with_prefetch(self, prefetch: u16) -> Self {
        self.configure(|shared| shared.prefetch = prefetch.max(1))
    }

    /// The exchange messages are published to.
    #[must_use]
    pub fn exchange(&self) -> &str {
        &self.shared.exchange
    }

    /// Connects now, rather than on first use, and declares the exchange.
    ///
    /// # Errors
    ///
    /// [`TransportError::Unavailable`] when the broker cannot be reached,
    /// [`TransportError::Rejected`] when it refuses the exchange.
    pub async fn connect(&self) -> Result<(), TransportError> {
        self.shared.link().await.map(drop)
    }

    /// The name of the queue of consumer group `consumer` for `event_type`.
    ///
    /// # Errors
    ///
    /// [`TransportError::Rejected`] for an event type that is no routing key
    /// or a name too long for AMQP.
    pub fn queue_name(&self, event_type: &str, consumer: &str) -> Result<String, TransportError> {
        wire::group_queue(&self.shared.exchange, event_type, consumer)
    }

    /// How many messages of the group `consumer` of `event_type` are ready
    /// for delivery (not counting those delivered and not yet settled, nor
    /// those waiting out a delay).
    ///
    /// # Errors
    ///
    /// [`TransportError::Rejected`] when the group was never declared (or
    /// was deleted); [`TransportError::Unavailable`] when the broker cannot
    /// be reached.
    pub async fn ready(&self, event_type: &str, consumer: &str) -> Result<u32, TransportError> {
        Ok(self.inspect(event_type, consumer).await?.message_count())
    }

    /// How many consumers (open subscriptions, in any process) the group
    /// `consumer` of `event_type` has.
    ///
    /// # Errors
    ///
    /// As [`ready`](Self::ready).
    pub async fn consumers(&self, event_type: &str, consumer: &str) -> Result<u32, TransportError> {
        Ok(self.inspect(event_type, consumer).await?.consumer_count())
    }

    /// The broker's answer to a passive declaration of the group's queue.
    async fn inspect(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<lapin::Queue, TransportError> {
        let queue = wire::short(&self.queue_name(event_type, consumer)?, "queue name")?;
        let link = self.shared.link().await?;
        link.channel
            .queue_declare(
                queue,
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| map_error(&e))
    }

    /// Deletes the queue of the group `consumer` of `event_type` and the
    /// wait queues this transport declared for it, with their messages; the
    /// transport no longer declares it again on a new connection.
    /// Close the group's subscriptions first
    /// ([`RabbitMqSubscription::close`]): the broker cancels the consumers of
    /// a deleted queue, and a subscription being dropped at that moment can
    /// make the client end its connection.
    ///
    /// # Errors
    ///
    /// [`TransportError::Unavailable`] when the broker cannot be reached.
    pub async fn delete_group(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<(), TransportError> {
        let queue = self.queue_name(event_type, consumer)?;
        let waits: Vec<String> = {
            let mut known = lock(&self.shared.wait_queues);
            let waits = known
                .iter()
                .filter(|(group, _)| *group == queue)
                .map(|(_, wait)| wait.clone())
                .collect();
            known.retain(|(group, _)| *group != queue);
            waits
        };
        lock(&self.shared.groups).remove(&(event_type.to_owned(), consumer.to_owned()));
        let link = self.shared.link().await?;
        for name in waits.iter().chain([&queue]) {
            link.channel
                .queue_delete(
                    wire::short(name, "queue name")?,
                    QueueDeleteOptions::default(),
                )
                .await
                .map_err(|e| map_error(&e))?;
        }
        Ok(())
    }

    /// Deletes the exchange (the groups' queues stay, unbound).
    ///
    /// # Errors
    ///
    /// [`TransportError::Unavailable`] when the broker cannot be reached.
    pub async fn delete_exchange(&self) -> Result<(), TransportError> {
        let exchange = wire::short(&self.shared.exchange, "exchange name")?;
        let link = self.shared.link().await?;
        link.channel
            .exchange_delete(exchange, ExchangeDeleteOptions::default())
            .await
            .map_err(|e| map_error(&e))?;
        // Publishing again declares it again.
        *self.shared.link.lock().await = None;
        Ok(())
    }

    /// Closes the connection; the next use opens a new one.
    pub async fn close(&self) {
        if let Some(link) = self.shared.link.lock().await.take() {
            let _ = link.connection.close(200, "closed".into()).await;
        }
    }
}

impl Shared {
    /// The settings of a transport being configured while a clone of it is
    /// in use: that clone keeps its connection, the new one opens its own.
    fn settings_copy(&self) -> Shared {
        Shared {
            url: self.url.clone(),
            exchange: self.exchange.clone(),
            mode: self.mode,
            prefetch: self.prefetch,
            link: tokio::sync::Mutex::new(None),
            wait_queues: Mutex::new(HashSet::new()),
            groups: Mutex::new(HashSet::new()),
        }
    }

    /// The open link, or a new one: a new channel on the connection when only
    /// the channel was closed (by a refusal), a new connection when it
    /// dropped.
    async fn link(&self) -> Result<Link, TransportError> {
        let mut slot = self.link.lock().await;
        if let Some(link) = slot.as_ref()
            && link.connection.status().connected()
            && link.channel.status().connected()
        {
            return Ok(link.clone());
        }
        let (connection, new) = match slot.take() {
            Some(link) if link.connection.status().connected() => (link.connection, false),
            _ => (Arc::new(self.open_connection().await?), true),
        };
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| map_error(&e))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| map_error(&e))?;
        channel
            .exchange_declare(
                wire::short(&self.exchange, "exchange name")?,
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| map_error(&e))?;
        let link = Link {
            connection,
            channel,
        };
        if new {
            // The topology again, in case the broker lost it (a node
            // replaced, a queue deleted while the connection was down).
            let groups: Vec<(String, String)> = lock(&self.groups).iter().cloned().collect();
            for (event_type, consumer) in groups {
                self.declare_queue(&link, &event_type, &consumer).await?;
            }
        }
        *slot = Some(link.clone());
        Ok(link)
    }

    async fn open_connection(&self) -> Result<Connection, TransportError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(TransportError::Unavailable(
                "the RabbitMQ transport needs a tokio runtime".into(),
            ));
        }
        let properties = ConnectionProperties::default().with_connection_name("event-core".into());
        Connection::connect(&self.url, properties)
            .await
            .map_err(|e| map_error(&e))
    }

    /// Declares the group's queue and binds it, and remembers the group to
    /// declare it again on a new connection; returns the queue's name.
    async fn declare_group(
        &self,
        link: &Link,
        event_type: &str,
        consumer: &str,
    ) -> Result<ShortString, TransportError> {
        let queue = self.declare_queue(link, event_type, consumer).await?;
        lock(&self.groups).insert((event_type.to_owned(), consumer.to_owned()));
        Ok(queue)
    }

    /// Declares the group's queue and binds it; returns its name.
    async fn declare_queue(
        &self,
        link: &Link,
        event_type: &str,
        consumer: &str,
    ) -> Result<ShortString, TransportError> {
        let name = wire::group_queue(&self.exchange, event_type, consumer)?;
        let queue = wire::short(&name, "queue name")?;
        link.channel
            .queue_declare(
                queue.clone(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                wire::group_queue_arguments(),
            )
            .await
            .map_err(|e| map_error(&e))?;
        let exchange = wire::short(&self.exchange, "exchange name")?;
        for key in wire::binding_keys(event_type) {
            link.channel
                .queue_bind(
                    queue.clone(),
                    exchange.clone(),
                    wire::short(&key, "binding key")?,
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| map_error(&e))?;
        }
        Ok(queue)
    }

    /// Publishes on the link's channel and waits for the broker's confirm.
    async fn publish_confirmed(
        &self,
        link: &Link,
        publish: Publish<'_>,
        what: &str,
    ) -> Result<(), TransportError> {
        let confirm = link
            .channel
            .basic_publish(
                publish.exchange,
                publish.routing_key,
                BasicPublishOptions {
                    mandatory: publish.mandatory,
                    ..BasicPublishOptions::default()
                },
                publish.body,
                publish.properties,
            )
            .await
            .map_err(|e| map_error(&e))?;
        let confirmation = confirm.await.map_err(|e| map_error(&e))?;
        confirmed(confirmation, what)
    }

    /// Opens a consumer on the group's queue, declaring the group first.
    async fn consume(&self, event_type: &str, consumer: &str) -> Result<Open, TransportError> {
        let link = self.link().await?;
        let queue = self.declare_group(&link, event_type, consumer).await?;
        let channel = link
            .connection
            .create_channel()
            .await
            .map_err(|e| map_error(&e))?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| map_error(&e))?;
        let tag = format!(
            "event-core-{}-{}",
            std::process::id(),
            NEXT_TAG.fetch_add(1, Ordering::Relaxed)
        );
        let stream = channel
            .basic_consume(
                queue.clone(),
                wire::short(&tag, "consumer tag")?,
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| map_error(&e))?;
        Ok(Open {
            channel,
            stream,
            queue: queue.as_str().to_owned(),
        })
    }
}

impl Transport for RabbitMqTransport {
    type Subscription = RabbitMqSubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let outgoing = wire::outgoing(&message, self.shared.mode)?;
        let exchange = wire::short(&self.shared.exchange, "exchange name")?;
        let link = self.shared.link().await?;
        let what = format!("message `{}`", message.id());
        let publish = Publish {
            exchange,
            routing_key: outgoing.routing_key,
            mandatory: false,
            body: &outgoing.body,
            properties: outgoing.properties,
        };
        self.shared.publish_confirmed(&link, publish, &what).await
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<RabbitMqSubscription, TransportError> {
        let open = self.shared.consume(event_type, consumer).await?;
        Ok(RabbitMqSubscription {
            shared: Arc::clone(&self.shared),
            event_type: event_type.to_owned(),
            consumer: consumer.to_owned(),
            open: Some(open),
            lag: None,
        })
    }

    async fn declare(&self, event_type: &str, consumer: &str) -> Result<(), TransportError> {
        let link = self.shared.link().await?;
        self.shared
            .declare_group(&link, event_type, consumer)
            .await
            .map(drop)
    }

    /// Publishes `message` to the group's queue alone, through the default
    /// exchange, declaring the group first; it comes as attempt 1.
    async fn requeue(&self, message: Message, consumer: &str) -> Result<(), TransportError> {
        let outgoing = wire::outgoing(&message, self.shared.mode)?;
        let link = self.shared.link().await?;
        let queue = self
            .shared
            .declare_group(&link, message.event_type(), consumer)
            .await?;
        let what = format!("message `{}` for `{consumer}`", message.id());
        let publish = Publish {
            exchange: ShortString::from(""),
            routing_key: queue,
            mandatory: true,
            body: &outgoing.body,
            properties: outgoing.properties,
        };
        self.shared.publish_confirmed(&link, publish, &what).await
    }
}

/// A consumer open on a group's queue, on a channel of its own.
struct Open {
    channel: Channel,
    stream: lapin::Consumer,
    queue: String,
}

impl Open {
    /// Cancels the consumer, waits for the broker to confirm, then closes
    /// the channel (which returns the deliveries not settled yet to the
    /// queue). Closing at once, with the cancel still in flight, would have
    /// the broker's late answer end the whole connection.
    async fn close(self) {
        let tag = self.stream.tag();
        let _ = self
            .channel
            .basic_cancel(tag, BasicCancelOptions::default())
            .await;
        drop(self.stream);
        let _ = self.channel.close(200, "OK".into()).await;
    }
}

/// A subscription of [`RabbitMqTransport`]: a consumer on its group's queue,
/// opened again on a new connection when its own drops.
pub struct RabbitMqSubscription {
    shared: Arc<Shared>,
    event_type: String,
    consumer: String,
    open: Option<Open>,
    /// The group's ready messages, and when the broker was last asked.
    lag: Option<(u64, std::time::Instant)>,
}

/// How long a subscription's [`lag`](Subscription::lag) stands before a
/// delivery asks the broker again.
const LAG_REFRESH: Duration = Duration::from_secs(1);

impl core::fmt::Debug for RabbitMqSubscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RabbitMqSubscription")
            .field("event_type", &self.event_type)
            .field("consumer", &self.consumer)
            .field("open", &self.open.is_some())
            .finish()
    }
}

impl RabbitMqSubscription {
    /// Cancels the subscription's consumer and closes its channel, once the
    /// broker confirmed the cancel; deliveries not settled yet go back to
    /// the group. Dropping the subscription does the same in the
    /// background.
    pub async fn close(mut self) {
        if let Some(open) = self.open.take() {
            open.close().await;
        }
    }
}

impl Drop for RabbitMqSubscription {
    fn drop(&mut self) {
        if let (Some(open), Ok(runtime)) = (self.open.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(open.close());
        }
    }
}

impl Subscription for RabbitMqSubscription {
    /// Waits for the next delivery. When the consumer ended (its connection
    /// dropped, or the broker cancelled it), opens it again, reconnecting if
    /// needed, and goes on; an error when that fails, and the next call
    /// tries again. Cancel-safe: a delivery is taken only when the future
    /// completes.
    async fn next(&mut self) -> Result<Option<Delivery>, TransportError> {
        let mut reopened = false;
        loop {
            let open = match &mut self.open {
                Some(open) => open,
                slot => {
                    let open = self
                        .shared
                        .consume(&self.event_type, &self.consumer)
                        .await?;
                    reopened = true;
                    slot.insert(open)
                }
            };
            // The broker is asked for the lag only while no delivery is
            // taken, so that cancelling this future loses none: when the
            // last answer is old, and before waiting when there is nothing
            // to deliver but the broker said there was.
            let stale = self
                .lag
                .is_none_or(|(_, asked)| asked.elapsed() >= LAG_REFRESH);
            if stale && let Some(ready) = count_ready(&open.channel, &open.queue).await {
                self.lag = Some((ready, std::time::Instant::now()));
            }
            let here =
                std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut open.stream).poll_next(cx)))
                    .await;
            let next = match here {
                Poll::Ready(next) => next,
                Poll::Pending => {
                    if self.lag.is_some_and(|(ready, _)| ready > 0)
                        && let Some(ready) = count_ready(&open.channel, &open.queue).await
                    {
                        self.lag = Some((ready, std::time::Instant::now()));
                    }
                    std::future::poll_fn(|cx| Pin::new(&mut open.stream).poll_next(cx)).await
                }
            };
            match next {
                Some(Ok(delivery)) => {
                    let (message, attempt) = wire::incoming(
                        &self.event_type,
                        &delivery.properties,
                        delivery.data.clone(),
                    );
                    let settle = Settle {
                        shared: Arc::clone(&self.shared),
                        queue: open.queue.clone(),
                        acker: delivery.acker,
                        properties: delivery.properties,
                        body: delivery.data,
                        attempt,
                        settled: false,
                    };
                    return Ok(Some(Delivery::new(message, attempt, settle)));
                }
                ended => {
                    self.open = None;
                    if reopened {
                        return Err(match ended {
                            Some(Err(error)) => map_error(&error),
                            _ => {
                                TransportError::Unavailable("the broker ended the consumer".into())
                            }
                        });
                    }
                }
            }
        }
    }

    /// The messages ready in the group's queue, from a passive declaration
    /// the subscription makes before taking a delivery: at most once a
    /// second while deliveries keep coming, and whenever it runs out of
    /// deliveries while the last answer was not zero, so that it reaches
    /// zero once the queue is empty (`None` until the broker first
    /// answered). A lower bound: the
    /// broker does not count the deliveries it already sent to subscriptions
    /// (up to [`with_prefetch`](RabbitMqTransport::with_prefetch) each) and
    /// not settled yet, nor those waiting for a retry delay.
    fn lag(&self) -> Option<u64> {
        self.lag.map(|(ready, _)| ready)
    }
}

/// The messages ready in `queue` (not sent to any consumer yet), from a
/// passive declaration on the subscription's channel; `None` when the
/// broker does not answer.
async fn count_ready(channel: &Channel, queue: &str) -> Option<u64> {
    let declared = channel
        .queue_declare(
            ShortString::from(queue.to_owned()),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .ok()?;
    Some(u64::from(declared.message_count()))
}

/// Settles one delivery on the channel it came on.
struct Settle {
    shared: Arc<Shared>,
    /// The group's queue.
    queue: String,
    acker: Acker,
    properties: BasicProperties,
    body: Vec<u8>,
    attempt: u32,
    settled: bool,
}

impl Settle {
    async fn requeue_now(&self) -> Result<(), TransportError> {
        self.acker
            .nack(BasicNackOptions {
                requeue: true,
                ..BasicNackOptions::default()
            })
            .await
            .map(drop)
            .map_err(|e| map_error(&e))
    }

    /// Moves the message to the group's wait queue for `delay`, then
    /// acknowledges it here.
    async fn requeue_after(&self, delay: Duration) -> Result<(), TransportError> {
        let ms = wire::delay_bucket(delay);
        let wait = wire::wait_queue(&self.queue, ms);
        let wait_name = wire::short(&wait, "wait queue name")?;
        let link = self.shared.link().await?;
        link.channel
            .queue_declare(
                wait_name.clone(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                wire::wait_queue_arguments(&self.queue, ms),
            )
            .await
            .map_err(|e| map_error(&e))?;
        lock(&self.shared.wait_queues).insert((self.queue.clone(), wait));
        let properties = wire::republished(&self.properties, self.attempt.saturating_add(1));
        let publish = Publish {
            exchange: ShortString::from(""),
            routing_key: wait_name,
            mandatory: true,
            body: &self.body,
            properties,
        };
        self.shared
            .publish_confirmed(&link, publish, "a delayed redelivery")
            .await?;
        self.acker
            .ack(BasicAckOptions::default())
            .await
            .map(drop)
            .map_err(|e| map_error(&e))
    }
}

impl Drop for Settle {
    /// A delivery dropped without an answer is negatively acknowledged, for
    /// the broker to deliver it again (it would otherwise wait for its
    /// channel to close).
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let acker = self.acker.clone();
        crate::delivery::transport::release_dropped(Box::pin(async move {
            let _ = acker
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await;
        }));
    }
}

impl Acknowledge for Settle {
    fn ack(mut self: Box<Self>) -> BoxFuture<Result<(), TransportError>> {
        self.settled = true;
        Box::pin(async move {
            self.acker
                .ack(BasicAckOptions::default())
                .await
                .map(drop)
                .map_err(|e| map_error(&e))
        })
    }

    fn nack(mut self: Box<Self>, delay: Duration) -> BoxFuture<Result<(), TransportError>> {
        self.settled = true;
        Box::pin(async move {
            if delay.is_zero() {
                return self.requeue_now().await;
            }
            match self.requeue_after(delay).await {
                Ok(()) => Ok(()),
                Err(error) => {
                    // Not moved: delivered again at once rather than lost
                    // (or, when the channel is gone, once the broker sees it).
                    let _ = self.requeue_now().await;
                    Err(error)
                }
            }
        })
    }
}
