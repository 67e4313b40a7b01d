//! A subscription: fetch loops over a group's durable pull consumers, and
//! the settling of their deliveries.

use core::fmt;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::PullConsumer};
use futures_util::StreamExt as _;
use futures_util::future::{Either, select};
use tokio::sync::mpsc;

use super::{NatsTransport, subject, wire};
use crate::delivery::transport::{Acknowledge, BoxFuture, Delivery, Subscription, TransportError};
use crate::encoding::message::Message;

/// The deliveries of one consumer group for one event type from a
/// [`NatsTransport`]: its messages and those requeued to it.
///
/// Two fetch loops (tasks on the runtime that subscribed) pull from the
/// group's consumers continuously, the next batch requested while the last
/// is handed over, and hand the messages over as they arrive, up to a
/// batch ahead of the subscriber; they outlive lost connections and server
/// restarts, pulling again once the server is back. Dropping the
/// subscription stops them and gives back (`NAK`) what they had received
/// but not handed out.
pub struct NatsSubscription {
    receiver: mpsc::Receiver<Result<Handed, TransportError>>,
    event_type: String,
    consumer: String,
    /// The server's count of messages still to deliver, per consumer (the
    /// group's own and its requeue consumer), as carried by the last
    /// message each handed over.
    pending: [u64; 2],
}

/// A delivery as a fetch loop hands it over.
struct Handed {
    delivery: Delivery,
    /// Which of the group's consumers it came from.
    source: usize,
    /// The messages of that consumer the server had not delivered yet when
    /// it delivered this one.
    pending: u64,
}

impl fmt::Debug for NatsSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsSubscription")
            .field("event_type", &self.event_type)
            .field("consumer", &self.consumer)
            .finish_non_exhaustive()
    }
}

impl NatsSubscription {
    pub(crate) fn start(
        transport: NatsTransport,
        event_type: &str,
        consumer: &str,
        consumers: [PullConsumer; 2],
    ) -> Self {
        // Room for a batch: the fetch loops hand over what the client has
        // received in one go, and the subscriber takes it without waiting
        // for them in between (which would also send each ack on its own).
        // What waits here is released when the subscription is dropped.
        let (sender, receiver) = mpsc::channel(transport.config.batch.max(1));
        let pending = consumers
            .each_ref()
            .map(|pull| pull.cached_info().num_pending);
        let [main, requeue] = consumers;
        let config = &transport.config;
        let sources = [
            (
                main,
                subject::consumer_name(consumer, event_type),
                wire::type_filter(&config.subject_prefix, event_type),
            ),
            (
                requeue,
                subject::requeue_consumer_name(consumer, event_type),
                wire::group_subject(&config.requeue_root(), consumer, event_type),
            ),
        ];
        for (source, (pull, name, filter)) in sources.into_iter().enumerate() {
            let pump = Pump {
                source,
                transport: transport.clone(),
                event_type: event_type.to_owned(),
                group: consumer.to_owned(),
                name,
                filter,
                sender: sender.clone(),
            };
            tokio::spawn(pump.run(pull));
        }
        NatsSubscription {
            receiver,
            event_type: event_type.to_owned(),
            consumer: consumer.to_owned(),
            pending,
        }
    }
}

impl Subscription for NatsSubscription {
    /// The next delivery, waiting for one. Cancel-safe: a delivery is taken
    /// only when the future completes. An error says the consumers could
    /// not be reached or re-created for now; the subscription goes on.
    async fn next(&mut self) -> Result<Option<Delivery>, TransportError> {
        let Some(handed) = self.receiver.recv().await.transpose()? else {
            return Ok(None);
        };
        if let Some(pending) = self.pending.get_mut(handed.source) {
            *pending = handed.pending;
        }
        Ok(Some(handed.delivery))
    }

    /// The server's own count (JetStream's `num_pending`) of the group's
    /// messages it has not delivered yet, carried in the metadata of each
    /// message, so reading it costs no request: exact as of the last
    /// delivery (taken from the consumers' information at subscription
    /// before the first). Messages the fetch loops pulled but did not hand
    /// over yet are not counted; nor are those waiting for a retry delay.
    fn lag(&self) -> Option<u64> {
        Some(self.pending.iter().sum())
    }
}

/// The fetch loop of one durable consumer.
struct Pump {
    /// Which of the group's consumers this loop pulls from.
    source: usize,
    transport: NatsTransport,
    event_type: String,
    group: String,
    name: String,
    filter: String,
    sender: mpsc::Sender<Result<Handed, TransportError>>,
}

/// The shortest time a pull request waits on the server.
const MIN_EXPIRY: Duration = Duration::from_millis(100);

/// The longest pause between two tries after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

fn backoff(failures: u32) -> Duration {
    Duration::from_millis(50)
        .saturating_mul(1 << failures.min(16))
        .min(MAX_BACKOFF)
}

impl Pump {
    /// Pulls until the subscription is dropped.
    ///
    /// The pull is the client's continuous one: a request for
    /// [`NatsConfig::batch`](super::NatsConfig::batch) messages is made
    /// ahead, as soon as half of the previous one has been taken, so that
    /// the next messages are on their way while these are handled; the
    /// loop takes the next message only once the subscription took the
    /// last, so at most one and a half batches wait here. The server's idle
    /// heartbeats tell a pull it lost (a restart) from one with nothing to
    /// deliver.
    async fn run(self, mut pull: PullConsumer) {
        let config = std::sync::Arc::clone(&self.transport.config);
        // A request that expires: one that never did would wait forever
        // for a server that lost it; the heartbeat at half of it, as the
        // server requires.
        let expiry = config.fetch_expiry.max(MIN_EXPIRY);
        let mut failures = 0_u32;
        loop {
            if self.sender.is_closed() {
                return;
            }
            let stream = pull
                .stream()
                .max_messages_per_batch(config.batch.max(1))
                .expires(expiry)
                .heartbeat(expiry / 2)
                .messages()
                .await;
            let mut stream = match stream {
                Ok(stream) => stream,
                Err(_error) => {
                    trace_debug!(consumer = self.name.as_str(), error = %_error, "pull request failed");
                    failures = failures.saturating_add(1);
                    match self.recover(failures).await {
                        Some(again) => pull = again,
                        None => return,
                    }
                    continue;
                }
            };
            loop {
                let next = {
                    let closed = core::pin::pin!(self.sender.closed());
                    match select(closed, stream.next()).await {
                        Either::Left(((), _)) => None,
                        Either::Right((next, _)) => Some(next),
                    }
                };
                match next {
                    // The subscription is gone: give back what was pulled.
                    None => {
                        while let Some(Some(Ok(message))) =
                            futures_util::FutureExt::now_or_never(stream.next())
                        {
                            let _ = message.ack_with(AckKind::Nak(None)).await;
                        }
                        return;
                    }
                    Some(Some(Ok(message))) => {
                        failures = 0;
                        if !self.hand_over(message).await {
                            return;
                        }
                    }
                    // The pull ended, failed, or missed its heartbeats (the
                    // consumer was deleted, the server is shutting down or
                    // restarted without it): wait, and make sure the
                    // consumer is there before pulling again.
                    Some(end) => {
                        #[cfg(feature = "tracing")]
                        if let Some(Err(error)) = &end {
                            ::tracing::debug!(consumer = self.name.as_str(), %error, "pull failed");
                        }
                        let _ = end;
                        failures = failures.saturating_add(1);
                        match self.recover(failures).await {
                            Some(again) => pull = again,
                            None => return,
                        }
                        break;
                    }
                }
            }
        }
    }

    /// Waits, then finds (or re-creates) the consumer, until the server
    /// answers; `None` once the subscription is gone. A refusal is told to
    /// the subscription once per run of failures.
    async fn recover(&self, mut failures: u32) -> Option<PullConsumer> {
        let mut told = false;
        loop {
            let pause = core::pin::pin!(tokio::time::sleep(backoff(failures)));
            let closed = core::pin::pin!(self.sender.closed());
            if let Either::Right(_) = select(pause, closed).await {
                return None;
            }
            match self
                .transport
                .durable(self.name.clone(), self.filter.clone())
                .await
            {
                Ok(pull) => return Some(pull),
                Err(error @ TransportError::Rejected(_)) if !told => {
                    told = true;
                    if self.sender.send(Err(error)).await.is_err() {
                        return None;
                    }
                }
                Err(_) => {}
            }
            failures = failures.saturating_add(1);
        }
    }

    /// Hands a message to the subscription, or dead-letters it when it was
    /// delivered too often; `false` once the subscription is gone.
    async fn hand_over(&self, message: jetstream::Message) -> bool {
        let (attempt, pending) = message.info().map_or((1, 0), |info| {
            let attempt = u32::try_from(info.delivered).unwrap_or(u32::MAX);
            (attempt.max(1), info.pending)
        });
        let body = wire::incoming(
            &self.event_type,
            message.message.headers.as_ref(),
            &message.message.payload,
        );
        if let Some(max) = self.transport.config.max_deliver
            && attempt > max
        {
            self.dead_letter(message, body, attempt - 1).await;
            return !self.sender.is_closed();
        }
        let settle = Settle {
            message: Some(message),
            confirm: self.transport.config.confirm_acks,
        };
        let handed = Handed {
            delivery: Delivery::new(body, attempt, settle),
            source: self.source,
            pending,
        };
        self.sender.send(Ok(handed)).await.is_ok()
    }

    /// Publishes a message delivered `attempts` times to the group's
    /// dead-letter subject, then terminates it; when the publish fails, the
    /// message is negatively acknowledged to come again and be tried anew.
    async fn dead_letter(&self, message: jetstream::Message, body: Message, attempts: u32) {
        let sequence = message.info().map_or(0, |info| info.stream_sequence);
        let subject = self
            .transport
            .dead_letter_subject(&self.event_type, &self.group);
        let msg_id = format!(
            "{}~dead~{}~{sequence}",
            body.id(),
            subject::token(&self.name)
        );
        let attempts_text = attempts.to_string();
        let published = self
            .transport
            .publish_raw(
                subject,
                body.id(),
                body.headers(),
                body.payload().to_vec(),
                &msg_id,
                &[
                    (wire::EVENT_ID, body.id()),
                    (wire::DEAD_CONSUMER, &self.group),
                    (wire::DEAD_ATTEMPTS, &attempts_text),
                ],
            )
            .await;
        let _ = match published {
            Ok(()) => message.double_ack_with(AckKind::Term).await,
            Err(_error) => {
                trace_debug!(consumer = self.name.as_str(), error = %_error, "dead letter not stored");
                message
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await
            }
        };
    }
}

/// The longest delay a NAK carries: the server reads it as nanoseconds in
/// an `i64`.
const MAX_NAK_DELAY: Duration = Duration::from_nanos(i64::MAX as u64);

/// Settles one JetStream delivery; one dropped unsettled is `NAK`ed.
struct Settle {
    message: Option<jetstream::Message>,
    /// Whether an ack waits for the server's confirmation.
    confirm: bool,
}

impl Drop for Settle {
    fn drop(&mut self) {
        if let Some(message) = self.message.take() {
            crate::delivery::transport::release_dropped(Box::pin(async move {
                let _ = message.ack_with(AckKind::Nak(None)).await;
            }));
        }
    }
}

impl Acknowledge for Settle {
    fn ack(mut self: Box<Self>) -> BoxFuture<Result<(), TransportError>> {
        let (message, confirm) = (self.message.take(), self.confirm);
        Box::pin(async move {
            match message {
                Some(message) if confirm => message.double_ack().await.map_err(super::unavailable),
                Some(message) => message.ack().await.map_err(super::unavailable),
                None => Ok(()),
            }
        })
    }

    fn nack(mut self: Box<Self>, delay: Duration) -> BoxFuture<Result<(), TransportError>> {
        let message = self.message.take();
        let kind = if delay.is_zero() {
            AckKind::Nak(None)
        } else {
            AckKind::Nak(Some(delay.min(MAX_NAK_DELAY)))
        };
        Box::pin(async move {
            match message {
                Some(message) => message.ack_with(kind).await.map_err(super::unavailable),
                None => Ok(()),
            }
        })
    }
}
