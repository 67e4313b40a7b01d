//! An envelope encoded for a transport or an outbox.

use core::fmt;
use core::iter::FusedIterator;
use std::borrow::Cow;

use crate::encoding::binding::{self, HeaderMapping};
use crate::encoding::cloudevent::{CloudEvent, ExtensionValue};
use crate::model::envelope::Envelope;
use crate::model::error::DecodeError;
use crate::model::event::Event;

/// An encoded envelope on its way to or from a broker: its id, its type,
/// the headers an adapter copies into the broker's, and the payload.
///
/// The id, the type and the headers are kept in one string, and the payload
/// in one vector, so that a message costs as many allocations as the bare
/// JSON of its envelope, whatever its number of headers.
///
/// ```
/// use event_core::Message;
///
/// let message = Message::new("0190-example", "order.placed.v1", br#"{"order_id":"o-1"}"#.to_vec())
///     .with_header("content-type", "application/json")
///     .with_header("correlationid", "c-1");
/// assert_eq!(message.id(), "0190-example");
/// assert_eq!(message.event_type(), "order.placed.v1");
/// assert_eq!(message.header("Content-Type"), Some("application/json"));
/// assert_eq!(
///     message.headers().collect::<Vec<_>>(),
///     [("content-type", "application/json"), ("correlationid", "c-1")]
/// );
/// assert_eq!(message.payload(), br#"{"order_id":"o-1"}"#);
/// ```
///
/// Its `Debug` shows the payload's size, never its bytes, which may hold
/// personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The id, the type, then each header's name and value, one after the
    /// other.
    text: String,
    /// Where the id ends in `text`.
    id_end: usize,
    /// Where the type ends in `text`.
    type_end: usize,
    /// Where each header's name and value end in `text`; a header begins
    /// where the one before it (or the type) ends.
    headers: Vec<(usize, usize)>,
    /// The payload.
    payload: Vec<u8>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id())
            .field("event_type", &self.event_type())
            .field("headers", &self.headers().collect::<Vec<_>>())
            .field("payload", &format_args!("<{} bytes>", self.payload.len()))
            .finish()
    }
}

impl Message {
    /// A message without headers; add them with
    /// [`with_header`](Self::with_header).
    ///
    /// - `id` is the event id; brokers de-duplicate on it.
    /// - `event_type` is the full event type (`product.updated.v2`);
    ///   adapters route on it, for example as a subject
    ///   `events.product.updated.v2`.
    /// - `payload` is the CloudEvents JSON of the envelope (structured
    ///   mode), or the data alone with the attributes in `ce-` headers
    ///   (binary mode).
    #[must_use]
    pub fn new(id: &str, event_type: &str, payload: impl Into<Vec<u8>>) -> Self {
        Self::with_capacity(id, event_type, 0, 0, payload.into())
    }

    /// A message of its parts: its id, its type, its headers (names and
    /// values) in their order and its payload, as an adapter reads them
    /// back from a broker or a table.
    ///
    /// ```
    /// use event_core::Message;
    ///
    /// let stored = vec![("content-type".to_owned(), "application/json".to_owned())];
    /// let message = Message::from_parts("e-1", "order.placed.v1", stored, b"{}".to_vec());
    /// assert_eq!(message, Message::new("e-1", "order.placed.v1", b"{}".to_vec())
    ///     .with_header("content-type", "application/json"));
    /// ```
    #[must_use]
    pub fn from_parts<I, N, V>(id: &str, event_type: &str, headers: I, payload: Vec<u8>) -> Self
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let mut message = Self::with_capacity(id, event_type, 0, 0, payload);
        for (name, value) in headers {
            message.push_header(name.as_ref(), value.as_ref());
        }
        message
    }

    /// A message with room for `headers` headers of `header_bytes` bytes of
    /// names and values in all.
    fn with_capacity(
        id: &str,
        event_type: &str,
        headers: usize,
        header_bytes: usize,
        payload: Vec<u8>,
    ) -> Self {
        let mut text = String::with_capacity(id.len() + event_type.len() + header_bytes);
        text.push_str(id);
        let id_end = text.len();
        text.push_str(event_type);
        Message {
            id_end,
            type_end: text.len(),
            text,
            headers: Vec::with_capacity(headers),
            payload,
        }
    }

    /// This message with one more header, after the ones already there.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.push_header(name, value);
        self
    }

    /// Adds a header after the ones already there.
    pub fn push_header(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.headers.push((name_end, self.text.len()));
    }

    /// The event id; brokers de-duplicate on it.
    #[must_use]
    pub fn id(&self) -> &str {
        self.text.get(..self.id_end).unwrap_or_default()
    }

    /// The full event type (`product.updated.v2`); adapters route on it,
    /// for example as a subject `events.product.updated.v2`.
    #[must_use]
    pub fn event_type(&self) -> &str {
        self.text
            .get(self.id_end..self.type_end)
            .unwrap_or_default()
    }

    /// The headers, names and values, in their order: attributes an adapter
    /// may copy into broker headers (the content type, the correlation id,
    /// the trace parent), so that they can be read without decoding.
    #[must_use]
    pub fn headers(&self) -> Headers<'_> {
        Headers {
            text: &self.text,
            start: self.type_end,
            ends: self.headers.iter(),
        }
    }

    /// The CloudEvents JSON of the envelope (structured mode), or the data
    /// alone with the attributes in `ce-` headers (binary mode).
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// This message with `payload` in place of its payload.
    #[must_use]
    pub fn with_payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.payload = payload.into();
        self
    }

    /// The payload, the message given up.
    #[must_use]
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    /// The value of a header, if present (names compared without regard to
    /// case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
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
        // mode, percent-encoded as attribute headers are, before one beside
        // the payload as it is in structured mode; the bindings in the
        // order listed. One pass over the headers.
        const BINDINGS: [&binding::HeaderMapping; 3] =
            [&binding::HTTP, &binding::KAFKA, &binding::AMQP];
        let suffix = headers::PARTITION_KEY;
        let mut best: Option<(usize, &str)> = None;
        for (name, value) in self.headers() {
            let Some(prefix_len) = name.len().checked_sub(suffix.len()) else {
                continue;
            };
            let Some(prefix) = name.get(..prefix_len) else {
                continue;
            };
            if !name[prefix_len..].eq_ignore_ascii_case(suffix) {
                continue;
            }
            let rank = if prefix.is_empty() {
                BINDINGS.len()
            } else if let Some(rank) = BINDINGS
                .iter()
                .position(|mapping| prefix.eq_ignore_ascii_case(mapping.prefix))
            {
                rank
            } else {
                continue;
            };
            if best.is_none_or(|(ranked, _)| rank < ranked) {
                best = Some((rank, value));
            }
        }
        match best? {
            (rank, value) if BINDINGS.get(rank).is_some_and(|m| m.percent_encode) => {
                if value.contains('%') {
                    binding::percent_decode(value).map(Cow::Owned)
                } else {
                    Some(Cow::Borrowed(value))
                }
            }
            (_, value) => Some(Cow::Borrowed(value)),
        }
    }

    /// A message of any event in structured mode.
    #[must_use]
    pub fn structured(event: &CloudEvent) -> Self {
        let (headers, payload) = binding::to_structured(event);
        let mut message = Self::from_pairs(event, headers, payload);
        if let Some(ExtensionValue::String(key)) = event.extension(headers::PARTITION_KEY) {
            message.push_header(headers::PARTITION_KEY, key);
        }
        message
    }

    /// A message of any event in binary mode, its attributes in headers named
    /// as `mapping` says ([`binding::NATS`], [`binding::AMQP`],
    /// [`binding::KAFKA`]).
    #[must_use]
    pub fn binary(event: &CloudEvent, mapping: &HeaderMapping) -> Self {
        let (headers, payload) = binding::to_binary(event, mapping);
        Self::from_pairs(event, headers, payload)
    }

    /// A message of `event` with the headers of a binding.
    fn from_pairs(event: &CloudEvent, headers: Vec<(String, String)>, payload: Vec<u8>) -> Self {
        let bytes = headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        let mut message = Self::with_capacity(
            event.id(),
            event.event_type(),
            headers.len() + 1,
            bytes,
            payload,
        );
        for (name, value) in &headers {
            message.push_header(name, value);
        }
        message
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
        binding::from_headers(self.headers(), &self.payload, mapping)
    }
}

/// The headers of a [`Message`], names and values, in their order.
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    text: &'a str,
    start: usize,
    ends: core::slice::Iter<'a, (usize, usize)>,
}

impl<'a> Iterator for Headers<'a> {
    type Item = (&'a str, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let &(name_end, value_end) = self.ends.next()?;
        let name = self.text.get(self.start..name_end).unwrap_or_default();
        let value = self.text.get(name_end..value_end).unwrap_or_default();
        self.start = value_end;
        Some((name, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for Headers<'_> {}

/// The headers as a list of `[name, value]` pairs.
impl serde::Serialize for Headers<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.clone())
    }
}

impl FusedIterator for Headers<'_> {}

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
    let correlation = envelope.correlation_id().as_str();
    let optional = [
        (
            headers::CAUSATION_ID,
            envelope.causation_id().map(|c| c.as_str()),
        ),
        (headers::TRACEPARENT, envelope.traceparent()),
        (headers::PARTITION_KEY, envelope.partition_key()),
    ];
    let mut count = 2;
    let mut bytes = headers::CONTENT_TYPE.len()
        + binding::STRUCTURED_CONTENT_TYPE.len()
        + headers::CORRELATION_ID.len()
        + correlation.len();
    for (name, value) in &optional {
        if let Some(value) = value {
            count += 1;
            bytes += name.len() + value.len();
        }
    }
    let mut message = Message::with_capacity(
        envelope.id().as_str(),
        E::FULL_TYPE,
        count,
        bytes,
        payload(envelope)?,
    );
    message.push_header(headers::CONTENT_TYPE, binding::STRUCTURED_CONTENT_TYPE);
    message.push_header(headers::CORRELATION_ID, correlation);
    for (name, value) in optional {
        if let Some(value) = value {
            message.push_header(name, value);
        }
    }
    Ok(message)
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
