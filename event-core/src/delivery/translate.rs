//! The translators on the domain bus, domain events to integration events:
//! their error, and the staging of what they build (`DomainBus::translate`
//! and `translate_with` are in the bus's module, where the bus is).

use core::fmt;

use crate::delivery::bus::BoxError;
use crate::delivery::unit::Staged;
use crate::model::envelope::Envelope;
use crate::model::event::{DomainEvent, IntegrationEvent};

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

/// Stages what a translator built, in an envelope caused by the domain
/// event.
pub(crate) fn stage<D: DomainEvent, I: IntegrationEvent>(
    envelope: &Envelope<D>,
    event: Result<I, BoxError>,
    staged: &mut Staged,
) -> Result<(), TranslateError> {
    let event = event.map_err(TranslateError::Enrich)?;
    staged
        .stage(&Envelope::caused_by(envelope, event))
        .map_err(TranslateError::Encode)
}

/// A translator's name in errors.
pub(crate) fn translator_name<D: DomainEvent, I: IntegrationEvent>() -> String {
    format!("translator from `{}` to `{}`", D::FULL_TYPE, I::FULL_TYPE)
}
