//! The CloudEvents envelope every event travels in.

use core::fmt;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::model::attributes::{self, AttributeError, ExtensionValue, Extensions};
use crate::model::event::Event;
use crate::model::rules;
use crate::model::time::Timestamp;

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
                $name(crate::model::uuid7::new_v7())
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
/// Every attribute set is checked against the CloudEvents rules: the
/// builder methods record the first value that breaks one, which
/// [`Envelope::validate`] returns and which makes encoding fail, so nothing
/// is written that a decoder would refuse. [`Envelope::checked`] ends a
/// chain of them with that check.
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
    pub(crate) time: Option<Timestamp>,
    pub(crate) correlation_id: CorrelationId,
    /// The envelope had no `correlationid`: its id stands in, and none is
    /// written.
    pub(crate) correlation_implied: bool,
    pub(crate) causation_id: Option<EventId>,
    pub(crate) traceparent: Option<String>,
    pub(crate) subject: Option<String>,
    pub(crate) content_type: Option<Cow<'static, str>>,
    pub(crate) dataschema: Option<Cow<'static, str>>,
    pub(crate) extensions: Extensions,
    /// The first attribute value that breaks a CloudEvents rule.
    pub(crate) invalid: Option<AttributeError>,
    pub(crate) data: E,
}

/// The extensions a typed envelope holds as attributes of its own.
pub(crate) const PARTITION_KEY: &str = "partitionkey";
const OWN_EXTENSIONS: [&str; 3] = ["correlationid", "causationid", "traceparent"];

// The bound on each method, not on the block, as in the encoding's impl.
impl<E> Envelope<E> {
    /// An envelope that starts a business action: a new id, the current
    /// time, and a new correlation id. `source` names the producing service as
    /// a URI reference (`/shop/ordering`, `urn:acme:ordering`).
    pub fn new(source: impl Into<String>, data: E) -> Self
    where
        E: Event,
    {
        Envelope {
            id: EventId::new(),
            source: source.into(),
            time: Some(Timestamp::now()),
            correlation_id: CorrelationId::new(),
            correlation_implied: false,
            causation_id: None,
            traceparent: None,
            subject: None,
            content_type: Some(Cow::Borrowed(DATA_CONTENT_TYPE)),
            dataschema: own_schema::<E>(),
            extensions: Extensions::new(),
            invalid: None,
            data,
        }
        .rechecked()
    }

    /// [`Envelope::new`], refusing a `source` that is not a URI-reference.
    ///
    /// # Errors
    ///
    /// The source is empty, or not a URI-reference.
    pub fn try_new(source: impl Into<String>, data: E) -> Result<Self, AttributeError>
    where
        E: Event,
    {
        Self::new(source, data).checked()
    }

    /// An envelope for an event caused by `parent`: same correlation id,
    /// source and trace parent; its causation id is the parent's id.
    pub fn caused_by<P>(parent: &Envelope<P>, data: E) -> Self
    where
        E: Event,
    {
        Envelope {
            id: EventId::new(),
            source: parent.source.clone(),
            time: Some(Timestamp::now()),
            correlation_id: parent.correlation_id.clone(),
            correlation_implied: false,
            causation_id: Some(parent.id.clone()),
            traceparent: parent.traceparent.clone(),
            subject: None,
            content_type: Some(Cow::Borrowed(DATA_CONTENT_TYPE)),
            dataschema: own_schema::<E>(),
            extensions: Extensions::new(),
            invalid: None,
            data,
        }
        .rechecked()
    }

    /// The full type carried in the CloudEvents `type`: `product.updated.v2`.
    #[must_use]
    pub fn event_type(&self) -> &'static str
    where
        E: Event,
    {
        E::FULL_TYPE
    }
}

/// The event's schema id as `dataschema`, when it is the absolute URI the
/// attribute must be (a `schema_base` may make it something else).
fn own_schema<E: Event>() -> Option<Cow<'static, str>> {
    rules::uri(E::SCHEMA_ID)
        .is_ok()
        .then_some(Cow::Borrowed(E::SCHEMA_ID))
}

impl<E> Envelope<E> {
    /// Every attribute checked against the CloudEvents rules.
    fn check_all(&self) -> Result<(), AttributeError> {
        attributes::check("id", rules::non_empty_string, self.id.as_str())?;
        attributes::check("source", rules::uri_reference, &self.source)?;
        if let Some(time) = self.time {
            attributes::check_time(time)?;
        }
        let optional = [
            (
                "subject",
                rules::non_empty_string as fn(&str) -> _,
                self.subject.as_deref(),
            ),
            (
                "traceparent",
                rules::non_empty_string,
                self.traceparent.as_deref(),
            ),
            (
                "causationid",
                rules::non_empty_string,
                self.causation_id.as_ref().map(EventId::as_str),
            ),
            (
                "datacontenttype",
                rules::content_type,
                self.content_type.as_deref(),
            ),
            ("dataschema", rules::uri, self.dataschema.as_deref()),
        ];
        for (name, rule, value) in optional {
            if let Some(value) = value {
                attributes::check(name, rule, value)?;
            }
        }
        if !self.correlation_implied {
            attributes::check(
                "correlationid",
                rules::non_empty_string,
                self.correlation_id.as_str(),
            )?;
        }
        if !rules::is_json_content_type(self.content_type.as_deref()) {
            return Err(AttributeError::new(
                "datacontenttype",
                "the data of a typed envelope is JSON: its content type is a JSON one",
            ));
        }
        Ok(())
    }

    fn rechecked(mut self) -> Self {
        self.invalid = self.check_all().err();
        self
    }

    /// Whether every attribute keeps to the CloudEvents rules, so that the
    /// envelope encodes, and decodes back.
    ///
    /// # Errors
    ///
    /// The first attribute that does not: an empty id, subject or
    /// correlation id, a source that is not a URI-reference, a control
    /// character, a time outside RFC 3339's years, ...
    pub fn validate(&self) -> Result<(), AttributeError> {
        match &self.invalid {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// The envelope, if it passes [`Envelope::validate`]; the end of a
    /// chain of builder methods.
    ///
    /// # Errors
    ///
    /// As [`Envelope::validate`].
    pub fn checked(self) -> Result<Self, AttributeError> {
        self.validate().map(|()| self)
    }

    /// Replaces the source.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self.rechecked()
    }

    /// Sets the correlation id, for an action that started outside (a
    /// request id).
    #[must_use]
    pub fn with_correlation_id(mut self, id: impl Into<CorrelationId>) -> Self {
        self.correlation_id = id.into();
        self.correlation_implied = false;
        self.rechecked()
    }

    /// Sets the causation id, for an event caused by something that is not an
    /// envelope (a command's id).
    #[must_use]
    pub fn with_causation_id(mut self, id: impl Into<EventId>) -> Self {
        self.causation_id = Some(id.into());
        self.rechecked()
    }

    /// Sets the W3C trace context `traceparent`.
    #[must_use]
    pub fn with_traceparent(mut self, traceparent: impl Into<String>) -> Self {
        self.traceparent = Some(traceparent.into());
        self.rechecked()
    }

    /// Sets the subject: what the event is about, within the source.
    #[must_use]
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self.rechecked()
    }

    /// Sets the time the event occurred.
    #[must_use]
    pub fn with_time(mut self, time: Timestamp) -> Self {
        self.time = Some(time);
        self.rechecked()
    }

    /// Removes the time: it is optional in CloudEvents.
    #[must_use]
    pub fn without_time(mut self) -> Self {
        self.time = None;
        self
    }

    /// Sets the content type of the data: a JSON one
    /// (`application/vnd.acme.order+json`), or none.
    #[must_use]
    pub fn with_data_content_type(mut self, content_type: Option<String>) -> Self {
        self.content_type = content_type.map(Cow::Owned);
        self.rechecked()
    }

    /// Sets the data schema, an absolute URI, or none. New envelopes carry
    /// the event's schema id.
    #[must_use]
    pub fn with_dataschema(mut self, uri: Option<String>) -> Self {
        self.dataschema = uri.map(Cow::Owned);
        self.rechecked()
    }

    /// Sets an extension attribute: a name of lowercase letters and digits,
    /// and a string, integer or boolean. The correlation id, causation id
    /// and trace parent have their own methods.
    #[must_use]
    pub fn with_extension(
        mut self,
        name: impl Into<String>,
        value: impl Into<ExtensionValue>,
    ) -> Self {
        let (name, value) = (name.into(), value.into());
        if let Err(error) = attributes::check_extension(&name, &value, &OWN_EXTENSIONS) {
            self.invalid.get_or_insert(error);
            return self;
        }
        self.extensions.insert(name, value);
        self
    }

    /// Sets the partition key (the CloudEvents Partitioning extension,
    /// `partitionkey`): usually the id of the aggregate the event is about.
    /// Events with the same key are relayed and consumed in the order they
    /// were staged; brokers that partition (Kafka, NATS subjects) route on
    /// it.
    ///
    /// ```
    /// # use event_core::prelude::*;
    /// # #[integration_event(version = 1)]
    /// # pub struct OrderPlacedIntegrationEvent { pub order_id: String }
    /// let envelope = Envelope::new("/orders", OrderPlacedIntegrationEvent { order_id: "o-1".into() })
    ///     .with_partition_key("o-1");
    /// assert_eq!(envelope.partition_key(), Some("o-1"));
    /// ```
    #[must_use]
    pub fn with_partition_key(self, key: impl Into<String>) -> Self {
        self.with_extension(PARTITION_KEY, key.into())
    }

    /// The partition key, if set (see [`with_partition_key`](Self::with_partition_key)).
    pub fn partition_key(&self) -> Option<&str> {
        match self.extensions.get(PARTITION_KEY) {
            Some(ExtensionValue::String(key)) => Some(key),
            _ => None,
        }
    }

    /// The event's id.
    pub fn id(&self) -> &EventId {
        &self.id
    }

    /// The producing service.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// When the event occurred: always set on new envelopes, optional on
    /// those read from other producers.
    pub fn time(&self) -> Option<Timestamp> {
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

    /// The content type of the data: `application/json` on new envelopes.
    pub fn data_content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The data schema: the event's schema id on new envelopes, whatever
    /// was received on others.
    pub fn dataschema(&self) -> Option<&str> {
        self.dataschema.as_deref()
    }

    /// The other extension attributes, as received or set.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// One extension attribute.
    pub fn extension(&self, name: &str) -> Option<&ExtensionValue> {
        self.extensions.get(name)
    }

    /// The event.
    pub fn data(&self) -> &E {
        &self.data
    }

    /// The event, without its envelope.
    pub fn into_data(self) -> E {
        self.data
    }

    /// The same envelope around another version of its event: same id,
    /// time, source and ids, and the new version's schema where the
    /// envelope carried the old one's. For upcasting an older version of an
    /// event to a newer one.
    ///
    /// An event of another kind is another occurrence, with an id of its
    /// own and the first as its cause: for the integration event of a
    /// domain event, write `Envelope::caused_by(&domain, event)` (or let a
    /// translator do it). Mapping across kinds, or to an event of another
    /// type, does not build.
    ///
    /// ```compile_fail
    /// use event_core::prelude::*;
    /// /// A book was lent.
    /// #[domain_event]
    /// pub struct BookLent { pub book_id: String }
    /// /// A book was lent, for other contexts.
    /// #[integration_event(version = 1, maps_from = BookLent)]
    /// pub struct BookLentIntegrationEvent { pub book_id: String }
    /// let lent = Envelope::new("/library", BookLent { book_id: "b-1".into() });
    /// let _ = lent.map(|e| BookLentIntegrationEvent::from(&e)); // another kind
    /// ```
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> Envelope<F>
    where
        E: Event,
        F: Event,
    {
        const {
            assert!(
                E::KIND as u8 == F::KIND as u8 && rules::str_eq(E::TYPE_NAME, F::TYPE_NAME),
                "`Envelope::map` keeps the envelope's id, which belongs to one occurrence of one event, and maps it to another version of that event: for another event, write `Envelope::caused_by(&envelope, event)`"
            );
        }
        self.upcast_data(E::SCHEMA_ID, f)
    }

    /// The same envelope around `f` of its event, naming `F`'s schema where
    /// it named `older_schema`, the schema of its event.
    pub(crate) fn upcast_data<F: Event>(
        self,
        older_schema: &str,
        f: impl FnOnce(E) -> F,
    ) -> Envelope<F> {
        let mut mapped = self.map_data(f);
        if mapped.dataschema.as_deref() == Some(older_schema) {
            mapped.dataschema = own_schema::<F>();
        }
        mapped
    }

    /// The same envelope, every attribute kept, around `f` of its event.
    pub(crate) fn map_data<F>(self, f: impl FnOnce(E) -> F) -> Envelope<F> {
        Envelope {
            id: self.id,
            source: self.source,
            time: self.time,
            correlation_id: self.correlation_id,
            correlation_implied: self.correlation_implied,
            causation_id: self.causation_id,
            traceparent: self.traceparent,
            subject: self.subject,
            content_type: self.content_type,
            dataschema: self.dataschema,
            extensions: self.extensions,
            invalid: self.invalid,
            data: f(self.data),
        }
    }
}

/// Shows an event's data with its personal (`pii`) and `secret` fields
/// replaced, as its schema marks them.
struct Redacted<'a, E>(&'a E);

impl<E: Event> fmt::Debug for Redacted<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(mut value) = serde_json::to_value(self.0) else {
            return f.write_str("<unprintable>");
        };
        let schema = E::schema();
        redact(&mut value, &schema, &schema, 0);
        write!(f, "{value}")
    }
}

/// Replaces the values that `schema` marks `x-pii` or `x-secret`, through
/// nested objects, arrays and `$ref`s.
fn redact(
    value: &mut serde_json::Value,
    schema: &serde_json::Value,
    root: &serde_json::Value,
    depth: usize,
) {
    use serde_json::Value;
    if depth > 32 {
        return;
    }
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or(schema),
        None => schema,
    };
    let marked = |s: &Value| {
        s.get("x-pii") == Some(&Value::Bool(true)) || s.get("x-secret") == Some(&Value::Bool(true))
    };
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match schema.get("properties").and_then(|p| p.get(name)) {
                    Some(property) if marked(property) => *field = Value::from(REDACTED),
                    Some(property) => redact(field, property, root, depth + 1),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    redact(item, item_schema, root, depth + 1);
                }
            }
        }
        _ => {}
    }
}

const REDACTED: &str = "<redacted>";

impl<E: Event> fmt::Debug for Envelope<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("id", &self.id.as_str())
            .field("type", &E::FULL_TYPE)
            .field("source", &self.source)
            .field("time", &self.time.map(|t| t.to_string()))
            .field("correlation_id", &self.correlation_id.as_str())
            .field(
                "causation_id",
                &self.causation_id.as_ref().map(EventId::as_str),
            )
            .field("traceparent", &self.traceparent)
            .field("subject", &self.subject)
            .field("extensions", &self.extensions)
            .field("data", &Redacted(&self.data))
            .finish()
    }
}

/// The content type of the `data` of every envelope.
pub const DATA_CONTENT_TYPE: &str = "application/json";
