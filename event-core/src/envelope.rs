//! The CloudEvents envelope every event travels in.

use core::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use crate::Event;
use crate::decode::{DecodeError, Wire};
use crate::time::Timestamp;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, unique id: a UUID v7, ordered by creation time.
            #[must_use]
            pub fn new() -> Self {
                $name(crate::uuid7::new_v7())
            }

            /// The id as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }
    };
}

string_id! {
    /// The id of one event occurrence (CloudEvents `id`). New ids are UUID v7;
    /// ids received from other producers may be any non-empty text.
    EventId
}

string_id! {
    /// The id of the business action an event belongs to (the `correlationid`
    /// extension). Every envelope caused by another inherits its correlation
    /// id, so one action can be followed across handlers and services.
    CorrelationId
}

/// One event with its metadata, serialised as a CloudEvents 1.0 event in JSON
/// structured mode.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::Envelope;
///
/// /// An order was placed.
/// #[domain_event]
/// pub struct OrderPlaced { pub order_id: String }
///
/// /// An order's public record.
/// #[integration_event(version = 1)]
/// pub struct OrderPlacedIntegrationEvent { pub order_id: String }
///
/// let placed = Envelope::new("/shop/ordering", OrderPlaced { order_id: "o-1".into() });
/// let public = Envelope::caused_by(&placed, OrderPlacedIntegrationEvent { order_id: "o-1".into() });
/// assert_eq!(public.correlation_id(), placed.correlation_id());
/// assert_eq!(public.causation_id(), Some(placed.id()));
///
/// let json = public.to_json().unwrap();
/// assert!(json.contains(r#""type":"order.placed.v1""#));
/// ```
#[derive(Clone, PartialEq)]
pub struct Envelope<E> {
    pub(crate) id: EventId,
    pub(crate) source: String,
    pub(crate) time: Timestamp,
    pub(crate) correlation_id: CorrelationId,
    pub(crate) causation_id: Option<EventId>,
    pub(crate) traceparent: Option<String>,
    pub(crate) subject: Option<String>,
    pub(crate) data: E,
}

impl<E: Event> Envelope<E> {
    /// An envelope that starts a business action: a new id, the current
    /// time, and a new correlation id. `source` names the producing service as
    /// a URI reference (`/shop/ordering`, `urn:acme:ordering`).
    pub fn new(source: impl Into<String>, data: E) -> Self {
        Envelope {
            id: EventId::new(),
            source: source.into(),
            time: Timestamp::now(),
            correlation_id: CorrelationId::new(),
            causation_id: None,
            traceparent: None,
            subject: None,
            data,
        }
    }

    /// An envelope for an event caused by `parent`: same correlation id,
    /// source and trace parent; its causation id is the parent's id.
    pub fn caused_by<P>(parent: &Envelope<P>, data: E) -> Self {
        Envelope {
            id: EventId::new(),
            source: parent.source.clone(),
            time: Timestamp::now(),
            correlation_id: parent.correlation_id.clone(),
            causation_id: Some(parent.id.clone()),
            traceparent: parent.traceparent.clone(),
            subject: None,
            data,
        }
    }

    /// The full type carried in the CloudEvents `type`: `product.updated.v2`.
    #[must_use]
    pub fn event_type(&self) -> &'static str {
        E::FULL_TYPE
    }

    /// The CloudEvents JSON of this envelope.
    ///
    /// # Errors
    ///
    /// The event's `Serialize` failed: a hand-written impl that fails, or a
    /// map whose keys are not strings.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads an envelope of `E` from CloudEvents JSON; see
    /// [`decode`](crate::decode::decode).
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] that says what was wrong with the bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        crate::decode::decode(bytes)
    }
}

impl<E> Envelope<E> {
    /// Replaces the source.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// Sets the correlation id, for an action that started outside (a
    /// request id).
    #[must_use]
    pub fn with_correlation_id(mut self, id: impl Into<CorrelationId>) -> Self {
        self.correlation_id = id.into();
        self
    }

    /// Sets the causation id, for an event caused by something that is not an
    /// envelope (a command's id).
    #[must_use]
    pub fn with_causation_id(mut self, id: impl Into<EventId>) -> Self {
        self.causation_id = Some(id.into());
        self
    }

    /// Sets the W3C trace context `traceparent`.
    #[must_use]
    pub fn with_traceparent(mut self, traceparent: impl Into<String>) -> Self {
        self.traceparent = Some(traceparent.into());
        self
    }

    /// Sets the subject: what the event is about, within the source.
    #[must_use]
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the time the event occurred.
    #[must_use]
    pub fn with_time(mut self, time: Timestamp) -> Self {
        self.time = time;
        self
    }

    /// The event's id.
    pub fn id(&self) -> &EventId {
        &self.id
    }

    /// The producing service.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// When the event occurred.
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// The business action the event belongs to.
    pub fn correlation_id(&self) -> &CorrelationId {
        &self.correlation_id
    }

    /// The id of the event (or command) that caused this one.
    pub fn causation_id(&self) -> Option<&EventId> {
        self.causation_id.as_ref()
    }

    /// The W3C trace context, if any.
    pub fn traceparent(&self) -> Option<&str> {
        self.traceparent.as_deref()
    }

    /// What the event is about, if set.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The event.
    pub fn data(&self) -> &E {
        &self.data
    }

    /// The event, without its envelope.
    pub fn into_data(self) -> E {
        self.data
    }

    /// The same envelope around another event: same id, time, source and
    /// ids. For upcasting an older version of an event to a newer one.
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> Envelope<F> {
        Envelope {
            id: self.id,
            source: self.source,
            time: self.time,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            traceparent: self.traceparent,
            subject: self.subject,
            data: f(self.data),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for Envelope<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("id", &self.id.as_str())
            .field("source", &self.source)
            .field("time", &format_args!("{}", self.time))
            .field("correlation_id", &self.correlation_id.as_str())
            .field(
                "causation_id",
                &self.causation_id.as_ref().map(EventId::as_str),
            )
            .field("traceparent", &self.traceparent)
            .field("subject", &self.subject)
            .field("data", &self.data)
            .finish()
    }
}

/// The content type of the `data` of every envelope.
pub const DATA_CONTENT_TYPE: &str = "application/json";

impl<E: Event> Serialize for Envelope<E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let optional = usize::from(self.subject.is_some())
            + usize::from(self.causation_id.is_some())
            + usize::from(self.traceparent.is_some());
        let mut map = serializer.serialize_map(Some(9 + optional))?;
        map.serialize_entry("specversion", "1.0")?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("source", &self.source)?;
        map.serialize_entry("type", E::FULL_TYPE)?;
        map.serialize_entry("time", &self.time)?;
        map.serialize_entry("datacontenttype", DATA_CONTENT_TYPE)?;
        map.serialize_entry("dataschema", E::SCHEMA_ID)?;
        if let Some(subject) = &self.subject {
            map.serialize_entry("subject", subject)?;
        }
        map.serialize_entry("correlationid", &self.correlation_id)?;
        if let Some(causation) = &self.causation_id {
            map.serialize_entry("causationid", causation)?;
        }
        if let Some(traceparent) = &self.traceparent {
            map.serialize_entry("traceparent", traceparent)?;
        }
        map.serialize_entry("data", &self.data)?;
        map.end()
    }
}

impl<'de, E: Event> Deserialize<'de> for Envelope<E> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Wire::<E>::deserialize(deserializer)?
            .into_envelope()
            .map_err(serde::de::Error::custom)
    }
}
