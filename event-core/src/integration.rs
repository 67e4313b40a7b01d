//! Publishing integration events through a transport, and consuming them.

use core::fmt;
use core::marker::PhantomData;

use crate::decode::{DecodeError, decode};
pub use crate::message::{encode, headers};
use crate::transport::{Delivery, Subscription, Transport, TransportError};
use crate::{Envelope, IntegrationEvent};

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
    /// accepted it.
    ///
    /// # Errors
    ///
    /// [`PublishError`] when the event cannot be encoded or the transport
    /// fails.
    pub async fn publish<E: IntegrationEvent>(
        &self,
        envelope: &Envelope<E>,
    ) -> Result<(), PublishError> {
        let message = encode(envelope).map_err(PublishError::Encode)?;
        trace_debug!(
            event_id = envelope.id().as_str(),
            event_type = E::FULL_TYPE,
            correlation_id = envelope.correlation_id().as_str(),
            causation_id = envelope.causation_id().map(|c| c.as_str()),
            "publish integration event"
        );
        self.transport
            .publish(message)
            .await
            .map_err(PublishError::Transport)
    }
}

/// A typed stream of one integration event type for one consumer.
#[derive(Debug)]
pub struct Consumer<E, S> {
    subscription: S,
    event: PhantomData<fn() -> E>,
}

/// An envelope received by a [`Consumer`], to be acknowledged once handled.
#[derive(Debug)]
pub struct Received<E> {
    /// The decoded envelope.
    pub envelope: Envelope<E>,
    /// The delivery, for [`ack`](Received::ack) and [`nack`](Received::nack).
    pub delivery: Delivery,
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

    /// The event was not handled: deliver it again.
    ///
    /// # Errors
    ///
    /// The transport could not be told.
    pub async fn nack(self) -> Result<(), TransportError> {
        self.delivery.nack().await
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
                delivery.message.id
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
    /// Subscribes `consumer` to `E` on `transport`.
    ///
    /// # Errors
    ///
    /// The transport refused the subscription.
    pub async fn subscribe<T>(transport: &T, consumer: &str) -> Result<Self, TransportError>
    where
        T: Transport<Subscription = S>,
    {
        Ok(Consumer {
            subscription: transport.subscribe(E::FULL_TYPE, consumer).await?,
            event: PhantomData,
        })
    }

    /// The next envelope; `None` once the subscription is closed.
    pub async fn next(&mut self) -> Option<Result<Received<E>, ConsumeError>> {
        let delivery = match self.subscription.next().await {
            Ok(Some(delivery)) => delivery,
            Ok(None) => return None,
            Err(e) => return Some(Err(ConsumeError::Transport(e))),
        };
        Some(match decode::<E>(&delivery.message.payload) {
            Ok(envelope) => {
                trace_debug!(
                    event_id = envelope.id().as_str(),
                    event_type = E::FULL_TYPE,
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
}
