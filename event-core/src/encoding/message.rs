//! An envelope encoded for a transport or an outbox.

use core::fmt;
use std::borrow::Cow;

use crate::encoding::binding::{self, HeaderMapping};
use crate::encoding::cloudevent::{CloudEvent, ExtensionValue};
use crate::model::envelope::Envelope;
use crate::model::error::DecodeError;
use crate::model::event::Event;

/// An encoded envelope on its way to or from a broker.
///
/// Its `Debug` shows the payload's size, never its bytes, which may hold
/// personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The event id; brokers de-duplicate on it.
    pub id: String,
    /// The full event type (`product.updated.v2`); adapters route on it, for
    /// example as a subject `events.product.updated.v2`.
    pub event_type: String,
    /// Attributes an adapter may copy into broker headers (the content type,
    /// the correlation id, the trace parent), so that they can be read
    /// without decoding.
    pub headers: Vec<(String, String)>,
    /// The CloudEvents JSON of the envelope (structured mode), or the data
    /// alone with the attributes in `ce-` headers (binary mode).
    pub payload: Vec<u8>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("event_type", &self.event_type)
            .field("headers", &self.headers)
            .field("payload", &format_args!("<{} bytes>", self.payload.len()))
            .finish()
    }
}

impl Message {
    /// The value of a header, if present (names compared without regard to
    /// case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The payload's content type: `application/cloudevents+json` for an
    /// envelope in structured mode, the data's for binary mode; `None` from
    /// a producer that set none (structured mode is then assumed).
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.header(headers::CONTENT_TYPE)
    }

    /// The partition key (the CloudEvents `partitionkey` extension), when
    /// the event has one: events with the same key keep their order through
    /// the outbox and the consumers.
    #[must_use]
    pub fn partition_key(&self) -> Option<Cow<'_, str>> {
        // An attribute header of one of the protocol bindings in binary
        // mode, percent-encoded as attribute headers are; beside the payload
        // as it is in structured mode.
        let binary = [&binding::HTTP, &binding::KAFKA, &binding::AMQP]
            .into_iter()
            .find_map(|mapping| {
                self.headers.iter().find_map(|(name, value)| {
                    binding::strip_prefix(name, mapping.prefix)?
                        .eq_ignore_ascii_case(headers::PARTITION_KEY)
                        .then_some((mapping, value.as_str()))
                })
            });
        match binary {
            Some((mapping, value)) if mapping.percent_encode && value.contains('%') => {
                binding::percent_decode(value).map(Cow::Owned)
            }
            Some((_, value)) => Some(Cow::Borrowed(value)),
            None => self.header(headers::PARTITION_KEY).map(Cow::Borrowed),
        }
    }

    /// A message of any event in structured mode.
    #[must_use]
    pub fn structured(event: &CloudEvent) -> Self {
        let (mut headers, payload) = binding::to_structured(event);
        if let Some(ExtensionValue::String(key)) = event.extension(headers::PARTITION_KEY) {
            headers.push((headers::PARTITION_KEY.to_owned(), key.clone()));
        }
        Message {
            id: event.id().to_owned(),
            event_type: event.event_type().to_owned(),
            headers,
            payload,
        }
    }

    /// A message of any event in binary mode, its attributes in headers named
    /// as `mapping` says ([`binding::NATS`], [`binding::AMQP`],
    /// [`binding::KAFKA`]).
    #[must_use]
    pub fn binary(event: &CloudEvent, mapping: &HeaderMapping) -> Self {
        let (headers, payload) = binding::to_binary(event, mapping);
        Message {
            id: event.id().to_owned(),
            event_type: event.event_type().to_owned(),
            headers,
            payload,
        }
    }

    /// The event of this message, in either mode: structured when its content
    /// type is `application/cloudevents+json` or absent and no header
    /// carries a `specversion`, binary otherwise.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] that says what is wrong.
    pub fn to_cloud_event(&self, mapping: &HeaderMapping) -> Result<CloudEvent, DecodeError> {
        if self.content_type().is_none()
            && self
                .header(&format!("{}specversion", mapping.prefix))
                .is_none()
        {
            return CloudEvent::from_json(&self.payload);
        }
        let pairs = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        binding::from_headers(pairs, &self.payload, mapping)
    }
}

/// The header names [`encode`] sets beside the payload.
pub mod headers {
    /// The payload's content type: `application/cloudevents+json`.
    pub const CONTENT_TYPE: &str = "content-type";
    /// The correlation id.
    pub const CORRELATION_ID: &str = "correlationid";
    /// The causation id, when there is one.
    pub const CAUSATION_ID: &str = "causationid";
    /// The W3C trace parent, when there is one.
    pub const TRACEPARENT: &str = "traceparent";
    /// The partition key, when there is one.
    pub const PARTITION_KEY: &str = crate::model::envelope::PARTITION_KEY;
}

/// An envelope as a transport message: its CloudEvents JSON (structured
/// mode), with id, type, content type and tracing attributes beside it.
///
/// # Errors
///
/// An attribute breaks a CloudEvents rule (see [`Envelope::validate`]), or
/// the event's `Serialize` failed (a hand-written impl that fails, or a map
/// with non-string keys).
pub fn encode<E: Event>(envelope: &Envelope<E>) -> Result<Message, serde_json::Error> {
    let causation = envelope.causation_id();
    let traceparent = envelope.traceparent();
    let key = envelope.partition_key();
    let mut headers = Vec::with_capacity(
        2 + usize::from(causation.is_some())
            + usize::from(traceparent.is_some())
            + usize::from(key.is_some()),
    );
    headers.push((
        headers::CONTENT_TYPE.to_owned(),
        binding::STRUCTURED_CONTENT_TYPE.to_owned(),
    ));
    headers.push((
        headers::CORRELATION_ID.to_owned(),
        envelope.correlation_id().as_str().to_owned(),
    ));
    if let Some(causation) = causation {
        headers.push((
            headers::CAUSATION_ID.to_owned(),
            causation.as_str().to_owned(),
        ));
    }
    if let Some(traceparent) = traceparent {
        headers.push((headers::TRACEPARENT.to_owned(), traceparent.to_owned()));
    }
    if let Some(key) = key {
        headers.push((headers::PARTITION_KEY.to_owned(), key.to_owned()));
    }
    Ok(Message {
        id: envelope.id().as_str().to_owned(),
        event_type: E::FULL_TYPE.to_owned(),
        headers,
        payload: payload(envelope)?,
    })
}

std::thread_local! {
    /// The buffer payloads are written into before they are copied out in
    /// one allocation of their exact size.
    static SCRATCH: core::cell::RefCell<Vec<u8>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// A larger buffer is not kept for the next payload.
const SCRATCH_KEPT: usize = 64 * 1024;

/// The envelope's JSON in a vector allocated once: written into this
/// thread's buffer, then copied.
fn payload<E: Event>(envelope: &Envelope<E>) -> Result<Vec<u8>, serde_json::Error> {
    let fresh = || {
        let mut out = Vec::with_capacity(512);
        envelope.write_json(&mut out).map(|()| out)
    };
    SCRATCH
        .try_with(|scratch| {
            // An event's `Serialize` that encodes another envelope finds the
            // buffer in use.
            let Ok(mut buffer) = scratch.try_borrow_mut() else {
                return fresh();
            };
            buffer.clear();
            let written = envelope.write_json(&mut buffer);
            let payload = buffer.as_slice().to_vec();
            if buffer.capacity() > SCRATCH_KEPT {
                *buffer = Vec::new();
            }
            written.map(|()| payload)
        })
        .unwrap_or_else(|_| fresh())
}
