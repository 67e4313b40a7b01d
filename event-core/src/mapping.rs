//! Mapping domain events to integration events and notifications, and the
//! translators that do it on the domain bus.

use crate::bus::{BoxError, DomainBus, HandlerFailure};
use crate::{DomainEvent, Envelope, Event, IntegrationEvent};
use core::fmt;

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
/// `From<&Source>`. `S` is an event too: the macro checks it where
/// `maps_from` names it, so that a source that is not one is a single error.
pub trait MapsFrom<S>: Event {
    /// The values the source does not hold: a generated
    /// `<Target>Context` struct, or `()` when no field is `#[event(context)]`.
    type Context;

    /// Maps `source`, taking the context values from `context`.
    fn map_from(source: &S, context: Self::Context) -> Self;
}

/// Why a translator built no integration event.
#[derive(Debug)]
#[non_exhaustive]
pub enum TranslateError {
    /// The enrichment step failed (a query, a lookup).
    Enrich(BoxError),
    /// The integration event could not be encoded.
    Encode(serde_json::Error),
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranslateError::Enrich(e) => write!(f, "enrichment failed: {e}"),
            TranslateError::Encode(e) => {
                write!(f, "the integration event could not be encoded: {e}")
            }
        }
    }
}

impl std::error::Error for TranslateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TranslateError::Enrich(e) => Some(&**e),
            TranslateError::Encode(e) => Some(e),
        }
    }
}

impl DomainBus {
    /// Registers a translator from the domain event `D` to the integration
    /// event `I`: on each `D`, `enrich` supplies `I`'s context (it may query,
    /// and may fail), the mapping builds `I`, and `I` is staged, in an
    /// envelope caused by the domain event, in the unit of work the use case
    /// passed to [`publish`](DomainBus::publish). An error at any step
    /// reaches the publisher of `D` as a [`TranslateError`] inside the
    /// [`DispatchError`](crate::DispatchError), and nothing is staged.
    pub fn translate<D, I>(
        &mut self,
        enrich: impl Fn(&Envelope<D>) -> Result<I::Context, BoxError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent + MapsFrom<D>,
    {
        self.translate_with::<D, I>(move |envelope| {
            let context = enrich(envelope)?;
            Ok(I::map_from(envelope.data(), context))
        })
    }

    /// Registers a translator whose mapping is written by hand: on each `D`,
    /// `translate` builds the `I` to stage (or fails, as an enrichment does),
    /// in an envelope caused by the domain event.
    pub fn translate_with<D, I>(
        &mut self,
        translate: impl Fn(&Envelope<D>) -> Result<I, BoxError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent,
    {
        self.subscribe_staging::<D, _>(move |envelope, staged| {
            let failure = |error: TranslateError| HandlerFailure {
                handler: format!("translator from `{}` to `{}`", D::FULL_TYPE, I::FULL_TYPE),
                error: Box::new(error),
            };
            let event = translate(envelope).map_err(|e| failure(TranslateError::Enrich(e)))?;
            staged
                .stage(&Envelope::caused_by(envelope, event))
                .map_err(|e| failure(TranslateError::Encode(e)))
        })
    }
}
