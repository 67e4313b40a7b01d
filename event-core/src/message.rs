//! An envelope encoded for a transport or an outbox.

use crate::{Envelope, Event};

/// An encoded envelope on its way to or from a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The event id; brokers de-duplicate on it.
    pub id: String,
    /// The full event type (`product.updated.v2`); adapters route on it, for
    /// example as a subject `events.product.updated.v2`.
    pub event_type: String,
    /// Attributes an adapter may copy into broker headers (the correlation
    /// id, the trace parent), so that they can be read without decoding.
    pub headers: Vec<(String, String)>,
    /// The CloudEvents JSON of the envelope.
    pub payload: Vec<u8>,
}

impl Message {
    /// The value of a header, if present.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The header names [`encode`] sets beside the payload.
pub mod headers {
    /// The correlation id.
    pub const CORRELATION_ID: &str = "correlationid";
    /// The causation id, when there is one.
    pub const CAUSATION_ID: &str = "causationid";
    /// The W3C trace parent, when there is one.
    pub const TRACEPARENT: &str = "traceparent";
}

/// An envelope as a transport message: its CloudEvents JSON, with id, type
/// and tracing attributes beside it.
///
/// # Errors
///
/// The event's `Serialize` failed (a hand-written impl that fails, or a map
/// with non-string keys).
pub fn encode<E: Event>(envelope: &Envelope<E>) -> Result<Message, serde_json::Error> {
    let mut headers = vec![(
        headers::CORRELATION_ID.to_owned(),
        envelope.correlation_id().to_string(),
    )];
    if let Some(causation) = envelope.causation_id() {
        headers.push((headers::CAUSATION_ID.to_owned(), causation.to_string()));
    }
    if let Some(traceparent) = envelope.traceparent() {
        headers.push((headers::TRACEPARENT.to_owned(), traceparent.to_owned()));
    }
    Ok(Message {
        id: envelope.id().to_string(),
        event_type: E::FULL_TYPE.to_owned(),
        headers,
        payload: serde_json::to_vec(envelope)?,
    })
}
