//! Mapping domain events to integration events and notifications, and the
//! translators that do it on the domain bus.

use core::fmt;
use core::marker::PhantomData;
use std::sync::{Mutex, PoisonError};

use crate::bus::{BoxError, DomainBus, Handler};
use crate::message::{Message, encode};
use crate::{DomainEvent, Envelope, Event, IntegrationEvent};

/// Builds `Self` from the source event `S`, with the values the source does
/// not hold in `Context`.
///
/// `#[integration_event(version = N, maps_from = Source)]` and
/// `#[notification_event(maps_from = Source)]` implement it; each field of the
/// target comes from the source field of the same name, `#[event(from = ..)]`,
/// `#[event(with = ..)]`, `#[event(context)]` or `#[event(default)]`.
///
/// ```
/// use event_core::prelude::*;
///
/// /// A product was put on sale.
/// #[domain_event]
/// pub struct ProductPutOnSale {
///     pub product_id: String,
///     pub sale_price_cents: u64,
/// }
///
/// /// The observable state of a product.
/// #[integration_event(version = 2, maps_from = ProductPutOnSale)]
/// pub struct ProductUpdatedIntegrationEvent {
///     pub product_id: String,
///     #[event(from = sale_price_cents)]
///     pub price_cents: u64,
///     #[event(context)]
///     pub title: String,
/// }
///
/// let sale = ProductPutOnSale { product_id: "p-1".into(), sale_price_cents: 1_999 };
/// let context = ProductUpdatedIntegrationEventContext { title: "Kettle".into() };
/// let public = ProductUpdatedIntegrationEvent::map_from(&sale, context);
/// assert_eq!(public.price_cents, 1_999);
/// assert_eq!(public.title, "Kettle");
/// ```
///
/// The generated mapping is plain field reads and conversions, as a
/// hand-written one would be. For the example above it is, in essence:
///
/// ```text
/// /// The values `ProductUpdatedIntegrationEvent` needs beyond its source events.
/// pub struct ProductUpdatedIntegrationEventContext {
///     pub title: String,
/// }
///
/// impl MapsFrom<ProductPutOnSale> for ProductUpdatedIntegrationEvent {
///     type Context = ProductUpdatedIntegrationEventContext;
///     fn map_from(source: &ProductPutOnSale, context: Self::Context) -> Self {
///         ProductUpdatedIntegrationEvent {
///             product_id: Into::into(Clone::clone(&source.product_id)),
///             price_cents: Into::into(Clone::clone(&source.sale_price_cents)),
///             title: context.title,
///         }
///     }
/// }
/// ```
///
/// (the source fields are read through a hidden accessor trait, so that a
/// missing field, a personal field and a secret one are reported at the
/// target's field). A target with no context field also gets
/// `From<&Source>`.
pub trait MapsFrom<S: Event>: Event {
    /// The values the source does not hold: a generated
    /// `<Target>Context` struct, or `()` when no field is `#[event(context)]`.
    type Context;

    /// Maps `source`, taking the context values from `context`.
    fn map_from(source: &S, context: Self::Context) -> Self;
}

/// Where translators put the integration events they build, to be published
/// once the use case has committed: an outbox.
///
/// A durable outbox appends in the use case's own database transaction; the
/// in-memory [`PendingMessages`] holds them until they are flushed.
pub trait Outbox: Send + Sync + 'static {
    /// Appends one encoded envelope.
    ///
    /// # Errors
    ///
    /// Any failure of the store; the translator reports it to the caller.
    fn append(&self, message: Message) -> Result<(), BoxError>;
}

impl<O: Outbox + ?Sized> Outbox for std::sync::Arc<O> {
    fn append(&self, message: Message) -> Result<(), BoxError> {
        (**self).append(message)
    }
}

/// An in-memory outbox: messages wait until [`take`](PendingMessages::take)n
/// (or, with the `tokio` feature, flushed to a transport).
#[derive(Debug, Default)]
pub struct PendingMessages {
    messages: Mutex<Vec<Message>>,
}

impl PendingMessages {
    /// An empty outbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes and returns every waiting message, oldest first.
    #[must_use]
    pub fn take(&self) -> Vec<Message> {
        // Every update is a single push or take, so a poisoned lock still
        // holds a consistent list.
        std::mem::take(&mut *self.messages.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// How many messages wait.
    #[must_use]
    pub fn len(&self) -> usize {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no message waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Publishes every waiting message through `transport`, oldest first. A
    /// message the transport refuses is put back, with the ones after it.
    ///
    /// # Errors
    ///
    /// The transport's error; the refused message and those after it wait
    /// for the next flush.
    #[cfg(feature = "tokio")]
    pub async fn flush<T: crate::transport::Transport>(
        &self,
        transport: &T,
    ) -> Result<usize, crate::transport::TransportError> {
        let mut messages = self.take().into_iter();
        let mut sent = 0;
        while let Some(message) = messages.next() {
            if let Err(error) = transport.publish(message.clone()).await {
                let mut waiting = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
                let newer = std::mem::take(&mut *waiting);
                waiting.push(message);
                waiting.extend(messages);
                waiting.extend(newer);
                return Err(error);
            }
            sent += 1;
        }
        Ok(sent)
    }
}

impl Outbox for PendingMessages {
    fn append(&self, message: Message) -> Result<(), BoxError> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
        Ok(())
    }
}

/// Why a translator built no integration event.
#[derive(Debug)]
#[non_exhaustive]
pub enum TranslateError {
    /// The enrichment step failed (a query, a lookup).
    Enrich(BoxError),
    /// The integration event could not be encoded.
    Encode(serde_json::Error),
    /// The outbox refused it.
    Outbox(BoxError),
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranslateError::Enrich(e) => write!(f, "enrichment failed: {e}"),
            TranslateError::Encode(e) => {
                write!(f, "the integration event could not be encoded: {e}")
            }
            TranslateError::Outbox(e) => write!(f, "the outbox refused the integration event: {e}"),
        }
    }
}

impl std::error::Error for TranslateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TranslateError::Enrich(e) | TranslateError::Outbox(e) => Some(&**e),
            TranslateError::Encode(e) => Some(e),
        }
    }
}

/// A domain bus handler that turns each `D` into an `I`: it runs the
/// enrichment, maps, and appends the integration event to the outbox in an
/// envelope caused by the domain event. Register it with
/// [`DomainBus::translate`].
pub struct Translator<D, I, F, O> {
    enrich: F,
    outbox: O,
    types: PhantomData<fn(&D) -> I>,
}

impl<D, I, F, O> fmt::Debug for Translator<D, I, F, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Translator")
            .field("from", &core::any::type_name::<D>())
            .field("to", &core::any::type_name::<I>())
            .finish_non_exhaustive()
    }
}

impl<D, I, F, O> Handler<D> for Translator<D, I, F, O>
where
    D: DomainEvent,
    I: IntegrationEvent + MapsFrom<D>,
    F: Fn(&Envelope<D>) -> Result<I::Context, BoxError> + Send + Sync + 'static,
    O: Outbox,
{
    fn handle(&self, envelope: &Envelope<D>) -> Result<(), BoxError> {
        let context = (self.enrich)(envelope).map_err(TranslateError::Enrich)?;
        let event = I::map_from(envelope.data(), context);
        let message =
            encode(&Envelope::caused_by(envelope, event)).map_err(TranslateError::Encode)?;
        self.outbox
            .append(message)
            .map_err(TranslateError::Outbox)?;
        Ok(())
    }

    fn name(&self) -> &str {
        core::any::type_name::<Self>()
    }
}

impl DomainBus {
    /// Registers a translator from the domain event `D` to the integration
    /// event `I`: on each `D`, `enrich` supplies `I`'s context (it may query,
    /// and may fail), the mapping builds `I`, and the outbox receives it in an
    /// envelope caused by the domain event. An error at any step reaches the
    /// publisher of `D` as a [`TranslateError`] inside the
    /// [`DispatchError`](crate::DispatchError), and nothing is appended.
    pub fn translate<D, I>(
        &mut self,
        outbox: impl Outbox,
        enrich: impl Fn(&Envelope<D>) -> Result<I::Context, BoxError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent + MapsFrom<D>,
    {
        self.subscribe(Translator {
            enrich,
            outbox,
            types: PhantomData::<fn(&D) -> I>,
        })
    }
}
