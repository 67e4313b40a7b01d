//! The translators on the domain bus: domain events to integration events
//! and notifications.

use core::fmt;

use crate::delivery::bus::{BoxError, DomainBus, HandlerFailure};
use crate::model::envelope::Envelope;
use crate::model::event::{DomainEvent, IntegrationEvent};
use crate::model::mapping::MapsFrom;

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
