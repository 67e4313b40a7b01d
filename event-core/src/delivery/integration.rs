//! Publishing integration events through a transport, and consuming them.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use crate::delivery::transport::{Delivery, Subscription, Transport, TransportError};
use crate::encoding::binding::{self, Mode, NATS};
use crate::encoding::cloudevent::is_json_content_type;
use crate::encoding::decode::{
    DecodeError, DecodeLimits, decode, decode_upcasting, default_limits, upcast_sources,
};
use crate::encoding::message::Message;
pub use crate::encoding::message::{encode, headers};
use crate::model::envelope::Envelope;
use crate::model::event::IntegrationEvent;

/// Why an integration event was not published.
#[derive(Debug)]
#[non_exhaustive]
pub enum PublishError {
    /// The event could not be encoded.
    Encode(serde_json::Error),
    /// The transport failed.
    Transport(TransportError),
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Encode(e) => write!(f, "the event could not be encoded: {e}"),
            PublishError::Transport(e) => write!(f, "the event could not be published: {e}"),
        }
    }
}

impl std::error::Error for PublishError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PublishError::Encode(e) => Some(e),
            PublishError::Transport(e) => Some(e),
        }
    }
}

/// Publishes integration events, and only those, through a transport.
#[derive(Debug, Clone)]
pub struct IntegrationPublisher<T> {
    transport: T,
}

impl<T: Transport> IntegrationPublisher<T> {
    /// A publisher over `transport`.
    pub fn new(transport: T) -> Self {
        IntegrationPublisher { transport }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Publishes one integration event; resolves once the transport has
    /// accepted it. The envelope is encoded when `publish` is called, and
    /// the future holds the message alone, not the event's type: an
    /// envelope of an event that is no integration event is one error, at
    /// the call, where a future of the event's type would repeat it at the
    /// call and at its `.await`.
    ///
    /// # Errors
    ///
    /// [`PublishError`] when the event cannot be encoded or the transport
    /// fails.
    pub fn publish<E: IntegrationEvent>(
        &self,
        envelope: &Envelope<E>,
    ) -> Pin<Box<dyn Future<Output = Result<(), PublishError>> + Send + '_>> {
        let message = encode(envelope).map_err(PublishError::Encode);
        if message.is_ok() {
            trace_debug!(
                event_id = envelope.id().as_str(),
                event_type = E::FULL_TYPE,
                correlation_id = envelope.correlation_id().as_str(),
                causation_id = envelope.causation_id().map(|c| c.as_str()),
                "publish integration event"
            );
        }
        Box::pin(async move {
            self.transport
                .publish(message?)
                .await
                .map_err(PublishError::Transport)
        })
    }
}

/// A typed stream of one integration event type for one consumer.
///
/// A consumer of `E` receives the messages of `E` and of every older version
/// of its type that `E`'s `upcast_from` chain leads from, upcast to `E`: one
/// subscription per version, under the same consumer name, taken in turn so
/// that no version starves the others.
pub struct Consumer<E, S> {
    sources: Vec<Source<S>>,
    /// The source to look at first next time.
    turn: usize,
    event: PhantomData<fn() -> E>,
}

/// The subscription to one version, and where it stands.
struct Source<S> {
    event_type: &'static str,
    state: State<S>,
    /// The subscription's lag when it last delivered.
    lag: Option<u64>,
}

/// A subscription's pending `next`, owning the subscription, so that waiting
/// on several subscriptions never drops a delivery one of them was taking.
type Pending<S> =
    Pin<Box<dyn Future<Output = (S, Result<Option<Delivery>, TransportError>)> + Send>>;

enum State<S> {
    Idle(S),
    Waiting(Pending<S>),
    Closed,
}

impl<E, S> fmt::Debug for Consumer<E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("event_types", &self.event_types().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<E, S> Consumer<E, S> {
    /// The full types this consumer is subscribed to: its own first, then
    /// the older versions it upcasts from, newest first.
    pub fn event_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sources.iter().map(|source| source.event_type)
    }
}

/// An envelope received by a [`Consumer`], to be acknowledged once handled.
pub struct Received<E> {
    /// The decoded envelope.
    pub envelope: Envelope<E>,
    /// The delivery, for [`ack`](Received::ack) and [`nack`](Received::nack).
    pub delivery: Delivery,
}

// The envelope's `Debug` redacts personal data, which needs the event's
// schema.
impl<E: crate::model::event::Event> core::fmt::Debug for Received<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Received")
            .field("envelope", &self.envelope)
            .field("delivery", &self.delivery)
            .finish()
    }
}

impl<E> Received<E> {
    /// The event was handled: do not deliver it again.
    ///
    /// # Errors
    ///
    /// The transport could not be told; the event will come again.
    pub async fn ack(self) -> Result<(), TransportError> {
        self.delivery.ack().await
    }

    /// The event was not handled: deliver it again at once.
    ///
    /// # Errors
    ///
    /// The transport could not be told.
    pub async fn nack(self) -> Result<(), TransportError> {
        self.delivery.nack().await
    }

    /// The event was not handled: deliver it again once `delay` has passed.
    ///
    /// # Errors
    ///
    /// The transport could not be told.
    pub async fn nack_after(self, delay: Duration) -> Result<(), TransportError> {
        self.delivery.nack_after(delay).await
    }
}

/// Why a [`Consumer`] yielded no envelope.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConsumeError {
    /// The transport failed.
    Transport(TransportError),
    /// A message could not be decoded. The delivery is handed back
    /// unsettled, so the caller decides: keep it for inspection, dead-letter
    /// it, or acknowledge it to drop it.
    Decode {
        /// What was wrong with the message.
        error: DecodeError,
        /// The message, still to be settled.
        delivery: Delivery,
    },
}

impl fmt::Display for ConsumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsumeError::Transport(e) => write!(f, "{e}"),
            ConsumeError::Decode { error, delivery } => write!(
                f,
                "message `{}` could not be decoded: {error}",
                delivery.message.id()
            ),
        }
    }
}

impl std::error::Error for ConsumeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConsumeError::Transport(e) => Some(e),
            ConsumeError::Decode { error, .. } => Some(error),
        }
    }
}

impl<E: IntegrationEvent, S: Subscription> Consumer<E, S> {
    /// The full types a consumer of `E` subscribes to: `E`'s own, then each
    /// registered older version of its type that `E` upcasts from, newest
    /// first.
    #[must_use]
    pub fn subscribed_types() -> Vec<&'static str> {
        let mut types = vec![E::FULL_TYPE];
        types.extend(upcast_sources::<E>().into_iter().rev());
        types
    }

    /// Subscribes `consumer` to `E` on `transport`, and to every older
    /// version `E` upcasts from (see [`subscribed_types`](Self::subscribed_types)).
    ///
    /// # Errors
    ///
    /// The transport refused a subscription.
    pub async fn subscribe<T>(transport: &T, consumer: &str) -> Result<Self, TransportError>
    where
        T: Transport<Subscription = S>,
    {
        let mut sources = Vec::new();
        for event_type in Self::subscribed_types() {
            sources.push(Source {
                event_type,
                state: State::Idle(transport.subscribe(event_type, consumer).await?),
                lag: None,
            });
        }
        Ok(Consumer {
            sources,
            turn: 0,
            event: PhantomData,
        })
    }

    /// Declares the consumer groups of `consumer` for `E` and the older
    /// versions it upcasts from, without subscribing: messages published
    /// from now on wait for the consumer's first subscription.
    ///
    /// # Errors
    ///
    /// The transport refused a declaration.
    pub async fn declare<T>(transport: &T, consumer: &str) -> Result<(), TransportError>
    where
        T: Transport<Subscription = S>,
    {
        for event_type in Self::subscribed_types() {
            transport.declare(event_type, consumer).await?;
        }
        Ok(())
    }

    /// The next envelope, upcast to `E` if it is of an older version; `None`
    /// once every subscription is closed.
    ///
    /// Cancel-safe when the consumer has one subscription and the transport's
    /// [`Subscription::next`] is, and always with several: a subscription
    /// that was waiting keeps waiting for the next call.
    pub async fn next(&mut self) -> Option<Result<Received<E>, ConsumeError>> {
        let delivery = match self.next_delivery().await? {
            Ok(delivery) => delivery,
            Err(e) => return Some(Err(ConsumeError::Transport(e))),
        };
        Some(match decode_message::<E>(&delivery.message) {
            Ok(envelope) => {
                trace_debug!(
                    event_id = envelope.id().as_str(),
                    event_type = delivery.message.event_type(),
                    consumed_as = E::FULL_TYPE,
                    correlation_id = envelope.correlation_id().as_str(),
                    causation_id = envelope.causation_id().map(|c| c.as_str()),
                    attempt = delivery.attempt,
                    "received integration event"
                );
                Ok(Received { envelope, delivery })
            }
            Err(error) => Err(ConsumeError::Decode { error, delivery }),
        })
    }

    /// The messages waiting for this consumer on the broker, summed over
    /// its subscriptions (one per version), as each reported it
    /// ([`Subscription::lag`]) when it last delivered or, when it is not
    /// waiting for a delivery now, as it reports it now; `None` when no
    /// subscription knows.
    ///
    /// ```
    /// use event_core::integration::Consumer;
    /// use event_core::prelude::*;
    /// use event_core::transport::{InMemoryTransport, Transport};
    ///
    /// /// A loan was opened.
    /// #[integration_event(version = 1)]
    /// pub struct LoanOpenedIntegrationEvent { pub loan_id: String }
    ///
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # runtime.block_on(async {
    /// let transport = InMemoryTransport::new();
    /// Consumer::<LoanOpenedIntegrationEvent, _>::declare(&transport, "stats").await?;
    /// for loan_id in ["l-1", "l-2", "l-3"] {
    ///     let opened = Envelope::new("/library", LoanOpenedIntegrationEvent { loan_id: loan_id.into() });
    ///     transport.publish(event_core::encode(&opened)?).await?;
    /// }
    /// let mut consumer = Consumer::<LoanOpenedIntegrationEvent, _>::subscribe(&transport, "stats").await?;
    /// // The in-memory transport knows its queues exactly.
    /// assert_eq!(consumer.lag(), Some(3));
    /// consumer.next().await.unwrap()?.ack().await?;
    /// assert_eq!(consumer.lag(), Some(2));
    /// # Ok::<(), event_core::BoxError>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn lag(&self) -> Option<u64> {
        let mut sum = None;
        for source in &self.sources {
            let lag = match &source.state {
                State::Idle(subscription) => subscription.lag(),
                State::Waiting(_) | State::Closed => source.lag,
            };
            if let Some(lag) = lag {
                sum = Some(sum.unwrap_or(0_u64).saturating_add(lag));
            }
        }
        sum
    }

    async fn next_delivery(&mut self) -> Option<Result<Delivery, TransportError>> {
        if let [source] = self.sources.as_mut_slice() {
            // One version: no need to keep a future between calls.
            let State::Idle(subscription) = &mut source.state else {
                return None;
            };
            let next = subscription.next().await;
            source.lag = subscription.lag();
            if matches!(next, Ok(None)) {
                source.state = State::Closed;
            }
            return next.transpose();
        }
        core::future::poll_fn(|cx| self.poll_sources(cx)).await
    }

    /// Polls every open subscription, starting after the one that delivered
    /// last; the first delivery wins, and the others keep waiting.
    fn poll_sources(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Delivery, TransportError>>> {
        let count = self.sources.len();
        let mut open = false;
        for k in 0..count {
            let i = (self.turn + k) % count;
            let source = &mut self.sources[i];
            let state = &mut source.state;
            if let State::Idle(_) = state
                && let State::Idle(mut subscription) = core::mem::replace(state, State::Closed)
            {
                *state = State::Waiting(Box::pin(async move {
                    let next = subscription.next().await;
                    (subscription, next)
                }));
            }
            let State::Waiting(pending) = state else {
                continue;
            };
            let Poll::Ready((subscription, next)) = pending.as_mut().poll(cx) else {
                open = true;
                continue;
            };
            source.lag = subscription.lag();
            match next.transpose() {
                None => *state = State::Closed,
                Some(next) => {
                    *state = State::Idle(subscription);
                    self.turn = (i + 1) % count;
                    return Poll::Ready(Some(next));
                }
            }
        }
        if open {
            Poll::Pending
        } else {
            Poll::Ready(None)
        }
    }
}

/// Whether the CloudEvents JSON of a binary-mode `message` is certainly
/// within `limits` (its size, and a depth of at least the envelope's own
/// object): each byte of a header takes at most eight in the JSON (an
/// escaped control character, and its share of the quotes and separators),
/// the body at most four thirds of its size (as `data_base64`), and the
/// rest less than 512 bytes.
fn within_limits_as_json(message: &Message, limits: &DecodeLimits) -> bool {
    let headers: usize = message.headers().map(|(n, v)| n.len() + v.len()).sum();
    let body = message.payload().len();
    let most = headers
        .saturating_mul(8)
        .saturating_add(body.saturating_mul(4) / 3)
        .saturating_add(512);
    limits.max_depth >= 1 && most <= limits.max_size
}

/// Decodes a message into `E`: directly when it is labelled `E`'s own type
/// (the common case, read once), along the `upcast_from` chain otherwise, or
/// when the payload turns out to be of another version than its label.
///
/// A message in binary mode (its attributes in `ce-` headers) of `E` itself
/// is read straight into the envelope: its attributes from the headers, its
/// body into `E`. Another version, and a message whose CloudEvents JSON may
/// be beyond the limits, is read through that JSON, which is what the
/// limits and the errors are defined on.
fn decode_message<E: IntegrationEvent>(message: &Message) -> Result<Envelope<E>, DecodeError> {
    let binary_mode = message.header("ce-specversion").is_some();
    let limits = default_limits();
    if binary_mode
        && within_limits_as_json(message, &limits)
        && let Mode::Binary(attributes) = binding::read_headers(message.headers(), &NATS)?
        && attributes.event_type == E::FULL_TYPE
    {
        let body = message.payload();
        let json = attributes
            .datacontenttype
            .as_deref()
            .is_some_and(|content_type| is_json_content_type(Some(content_type)));
        // A JSON body is checked on its own first, as the binding checks it;
        // one nested as deep as the limit lets it only outside the envelope
        // is refused or not on the JSON, by what the body turns out to be.
        if json {
            limits.check(body)?;
        }
        if !json || limits.check_data(body).is_ok() {
            return Envelope::from_binary(attributes, body);
        }
    }
    let structured;
    let payload = if binary_mode {
        structured = message.to_cloud_event(&NATS)?.to_json_vec();
        structured.as_slice()
    } else {
        message.payload()
    };
    if message.event_type() == E::FULL_TYPE {
        match decode::<E>(payload) {
            Err(DecodeError::UnexpectedType { .. } | DecodeError::UnknownVersion { .. }) => {
                decode_upcasting::<E>(payload)
            }
            decoded => decoded,
        }
    } else {
        decode_upcasting::<E>(payload)
    }
}
