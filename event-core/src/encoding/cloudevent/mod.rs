//! Any CloudEvent, registered type or not: [`CloudEvent`] reads every
//! valid CloudEvents 1.0.2 JSON document, keeps every attribute with its
//! type, and writes back an equivalent document.
//!
//! ```
//! use event_core::cloudevent::{CloudEvent, Data, ExtensionValue};
//!
//! let json = br#"{"specversion":"1.0","id":"A-1","source":"urn:acme:sensors",
//!     "type":"com.acme.reading","comacmeshard":5,"datacontenttype":"text/plain",
//!     "data":"21.5"}"#;
//! let event = CloudEvent::from_json(json).unwrap();
//! assert_eq!(event.extension("comacmeshard"), Some(&ExtensionValue::Integer(5)));
//! assert_eq!(event.data(), Some(&Data::Text("21.5".into())));
//!
//! let again = CloudEvent::from_json(event.to_json().as_bytes()).unwrap();
//! assert_eq!(again, event);
//!
//! // The builder checks what the decoder checks.
//! assert!(CloudEvent::new("A-2", "not a uri reference", "com.acme.reading").is_err());
//! ```

mod base64;
pub(crate) mod limits;
pub(crate) mod wire;

use core::fmt;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::value::RawValue;

use crate::encoding::decode::{DecodeLimits, default_limits};
use crate::encoding::json_text::{self, JsonText, key};
pub use crate::model::attributes::{AttributeError, ExtensionValue, Extensions};
pub(crate) use crate::model::attributes::{RESERVED, check, check_extension, check_time};
use crate::model::error::DecodeError;
pub(crate) use crate::model::rules;
pub use crate::model::rules::is_json_content_type;
use crate::model::time::Timestamp;

/// The payload of an event.
#[derive(Clone)]
pub enum Data {
    /// JSON, for a JSON content type (`application/json`, `text/json`,
    /// `*/*+json`, or none): the JSON text exactly as read (`data`).
    Json(Box<RawValue>),
    /// Text of another content type (`data` holding a string).
    Text(String),
    /// Bytes (`data_base64`).
    Binary(Vec<u8>),
}

impl Data {
    /// JSON data from a value.
    ///
    /// # Errors
    ///
    /// The value's `Serialize` failed.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Data::Json)
    }

    /// The payload's bytes: the JSON text, the text, or the bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Data::Json(raw) => raw.get().as_bytes(),
            Data::Text(text) => text.as_bytes(),
            Data::Binary(bytes) => bytes,
        }
    }
}

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Data::Json(a), Data::Json(b)) => a.get() == b.get(),
            (Data::Text(a), Data::Text(b)) => a == b,
            (Data::Binary(a), Data::Binary(b)) => a == b,
            _ => false,
        }
    }
}

// The payload may hold personal data: only its kind and size are shown.
impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, len) = match self {
            Data::Json(raw) => ("Json", raw.get().len()),
            Data::Text(text) => ("Text", text.len()),
            Data::Binary(bytes) => ("Binary", bytes.len()),
        };
        write!(f, "{kind}(<{len} bytes>)")
    }
}

/// One CloudEvent of any type: the context attributes of CloudEvents 1.0.2,
/// its extension attributes, and its data.
#[derive(Clone, PartialEq)]
pub struct CloudEvent {
    id: String,
    source: String,
    event_type: String,
    datacontenttype: Option<String>,
    dataschema: Option<String>,
    subject: Option<String>,
    time: Option<Timestamp>,
    extensions: Extensions,
    data: Option<Data>,
}

impl CloudEvent {
    /// An event with its three required attributes (besides `specversion`,
    /// which is `1.0`), and nothing else.
    ///
    /// # Errors
    ///
    /// An empty `id` or `type`, a `source` that is not a URI-reference, or
    /// a control character or noncharacter in any of them.
    pub fn new(
        id: impl Into<String>,
        source: impl Into<String>,
        event_type: impl Into<String>,
    ) -> Result<Self, AttributeError> {
        let (id, source, event_type) = (id.into(), source.into(), event_type.into());
        check("id", rules::non_empty_string, &id)?;
        check("source", rules::uri_reference, &source)?;
        check("type", rules::non_empty_string, &event_type)?;
        Ok(CloudEvent {
            id,
            source,
            event_type,
            datacontenttype: None,
            dataschema: None,
            subject: None,
            time: None,
            extensions: Extensions::new(),
            data: None,
        })
    }

    /// Sets the subject.
    ///
    /// # Errors
    ///
    /// An empty subject, or one with a control character or noncharacter.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Result<Self, AttributeError> {
        let subject = subject.into();
        check("subject", rules::non_empty_string, &subject)?;
        self.subject = Some(subject);
        Ok(self)
    }

    /// Sets the time.
    ///
    /// # Errors
    ///
    /// A time whose year, at its offset, RFC 3339 cannot write.
    pub fn with_time(mut self, time: Timestamp) -> Result<Self, AttributeError> {
        check_time(time)?;
        self.time = Some(time);
        Ok(self)
    }

    /// Sets the data schema.
    ///
    /// # Errors
    ///
    /// A value that is not an absolute URI.
    pub fn with_dataschema(mut self, uri: impl Into<String>) -> Result<Self, AttributeError> {
        let uri = uri.into();
        check("dataschema", rules::uri, &uri)?;
        self.dataschema = Some(uri);
        Ok(self)
    }

    /// Sets an extension attribute (replacing one of the same name).
    ///
    /// # Errors
    ///
    /// A name that is not lowercase letters and digits, or is one of the
    /// specification's attributes; a string value with a control character
    /// or noncharacter.
    pub fn with_extension(
        mut self,
        name: impl Into<String>,
        value: impl Into<ExtensionValue>,
    ) -> Result<Self, AttributeError> {
        let (name, value) = (name.into(), value.into());
        check_extension(&name, &value, &[])?;
        self.extensions.insert(name, value);
        Ok(self)
    }

    /// Sets the data and its content type. JSON data needs a JSON content
    /// type or none; text needs another content type (text given with a
    /// JSON content type is stored as a JSON string); bytes take any.
    ///
    /// # Errors
    ///
    /// A content type that is not a media type, or that does not fit the
    /// data.
    pub fn with_data(
        mut self,
        content_type: Option<&str>,
        data: Data,
    ) -> Result<Self, AttributeError> {
        if let Some(content_type) = content_type {
            check("datacontenttype", rules::content_type, content_type)?;
        }
        let json = is_json_content_type(content_type);
        let data = match data {
            Data::Json(_) if !json => {
                return Err(AttributeError::new(
                    "datacontenttype",
                    "JSON data needs a JSON content type, or none",
                ));
            }
            Data::Text(_) if content_type.is_none() => {
                return Err(AttributeError::new(
                    "datacontenttype",
                    "text data needs its content type",
                ));
            }
            Data::Text(text) if json => Data::json(&text)
                .map_err(|_| AttributeError::new("data", "the text could not be written"))?,
            other => other,
        };
        self.datacontenttype = content_type.map(str::to_owned);
        self.data = Some(data);
        Ok(self)
    }

    /// Removes the data, keeping the content type.
    #[must_use]
    pub fn without_data(mut self) -> Self {
        self.data = None;
        self
    }

    /// The event's id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where the event happened: a URI-reference.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The event's type.
    #[must_use]
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The content type of the data, if set.
    #[must_use]
    pub fn datacontenttype(&self) -> Option<&str> {
        self.datacontenttype.as_deref()
    }

    /// The schema the data adheres to, if set.
    #[must_use]
    pub fn dataschema(&self) -> Option<&str> {
        self.dataschema.as_deref()
    }

    /// What the event is about, if set.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// When it happened, if set.
    #[must_use]
    pub fn time(&self) -> Option<Timestamp> {
        self.time
    }

    /// Every extension attribute.
    #[must_use]
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// One extension attribute.
    #[must_use]
    pub fn extension(&self, name: &str) -> Option<&ExtensionValue> {
        self.extensions.get(name)
    }

    /// The data, if any.
    #[must_use]
    pub fn data(&self) -> Option<&Data> {
        self.data.as_ref()
    }

    /// The data, taken out.
    #[must_use]
    pub fn into_data(self) -> Option<Data> {
        self.data
    }

    /// Reads any CloudEvents 1.0 JSON document, as bytes or text, within
    /// the [`default_limits`](crate::decode::default_limits).
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] naming what is wrong: the limits, the JSON, a
    /// missing, duplicated or invalid attribute, or data that does not fit
    /// its content type.
    pub fn from_json(json: impl AsRef<[u8]>) -> Result<Self, DecodeError> {
        Self::from_json_with(json.as_ref(), &default_limits())
    }

    /// [`CloudEvent::from_json`] within `limits`.
    ///
    /// # Errors
    ///
    /// As [`CloudEvent::from_json`].
    pub fn from_json_with(bytes: &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError> {
        limits.check(bytes)?;
        // `data` borrowed from the document: copied as it is for JSON, read
        // as a string for any other content type.
        let wire = wire::read::<&RawValue>(bytes, false, wire::Own::default())?;
        let data = match (wire.data, wire.data_base64) {
            (Some(raw), _) if is_json_content_type(wire.datacontenttype.as_deref()) => {
                Some(Data::Json(raw.to_owned()))
            }
            (Some(raw), _) => match serde_json::from_str::<String>(raw.get()) {
                Ok(text) => Some(Data::Text(text)),
                Err(_) => {
                    return Err(DecodeError::InvalidAttribute {
                        name: "data",
                        reason: "the data of a content type other than JSON is a string".into(),
                    });
                }
            },
            (None, Some(bytes)) => Some(Data::Binary(bytes)),
            (None, None) => None,
        };
        Ok(CloudEvent {
            id: wire.id,
            source: wire.source,
            event_type: wire.event_type.into_owned(),
            datacontenttype: wire.datacontenttype.map(std::borrow::Cow::into_owned),
            dataschema: wire.dataschema.map(std::borrow::Cow::into_owned),
            subject: wire.subject,
            time: wire.time,
            extensions: wire.extensions,
            data,
        })
    }

    /// The CloudEvents JSON of this event.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Only strings and JSON text are written: UTF-8 throughout.
        String::from_utf8(self.to_json_vec()).unwrap_or_default()
    }

    /// The CloudEvents JSON of this event, as bytes: the same text as its
    /// `Serialize` impl gives serde_json, written straight into one buffer
    /// of about the right size.
    #[must_use]
    pub fn to_json_vec(&self) -> Vec<u8> {
        let text_len = |text: &Option<String>| text.as_ref().map_or(0, String::len);
        let data_len = match &self.data {
            Some(Data::Json(raw)) => raw.get().len(),
            Some(Data::Text(text)) => text.len(),
            Some(Data::Binary(bytes)) => bytes.len().div_ceil(3) * 4,
            None => 0,
        };
        let extensions_len: usize = self
            .extensions
            .iter()
            .map(|(name, value)| {
                name.len()
                    + 6
                    + match value {
                        ExtensionValue::String(text) => text.len() + 2,
                        ExtensionValue::Integer(_) | ExtensionValue::Boolean(_) => 11,
                    }
            })
            .sum();
        // Keys, quotes and separators: about 130 bytes at most. A string
        // with escapes makes the buffer grow, which is rare.
        let capacity = 160
            + self.id.len()
            + self.source.len()
            + self.event_type.len()
            + text_len(&self.datacontenttype)
            + text_len(&self.dataschema)
            + text_len(&self.subject)
            + 40
            + extensions_len
            + data_len;
        let mut out = Vec::with_capacity(capacity);
        let mut json = JsonText::object(&mut out);
        json.known_raw(key!("specversion"), "\"1.0\"");
        json.known_string(key!("id"), &self.id);
        json.known_string(key!("source"), &self.source);
        json.known_string(key!("type"), &self.event_type);
        if let Some(content_type) = &self.datacontenttype {
            json.known_string(key!("datacontenttype"), content_type);
        }
        if let Some(schema) = &self.dataschema {
            json.known_string(key!("dataschema"), schema);
        }
        if let Some(subject) = &self.subject {
            json.known_string(key!("subject"), subject);
        }
        if let Some(time) = &self.time {
            time_member(&mut json, time);
        }
        extension_members(&mut json, &self.extensions);
        match &self.data {
            Some(Data::Json(raw)) => json.known_raw(key!("data"), raw.get()),
            Some(Data::Text(text)) => json.known_string(key!("data"), text),
            Some(Data::Binary(bytes)) => {
                json.known(key!("data_base64"));
                let out = json.out();
                out.push(b'"');
                base64::encode_into(bytes, out);
                out.push(b'"');
            }
            None => {}
        }
        json.end();
        out
    }

    /// Its fields, for the typed envelope and the protocol bindings.
    pub(crate) fn into_parts(self) -> Parts {
        Parts {
            id: self.id,
            source: self.source,
            event_type: self.event_type,
            datacontenttype: self.datacontenttype,
            dataschema: self.dataschema,
            subject: self.subject,
            time: self.time,
            extensions: self.extensions,
            data: self.data,
        }
    }

    /// An event from fields each already checked.
    pub(crate) fn from_parts(parts: Parts) -> Self {
        CloudEvent {
            id: parts.id,
            source: parts.source,
            event_type: parts.event_type,
            datacontenttype: parts.datacontenttype,
            dataschema: parts.dataschema,
            subject: parts.subject,
            time: parts.time,
            extensions: parts.extensions,
            data: parts.data,
        }
    }
}

/// The fields of a [`CloudEvent`].
pub(crate) struct Parts {
    pub id: String,
    pub source: String,
    pub event_type: String,
    pub datacontenttype: Option<String>,
    pub dataschema: Option<String>,
    pub subject: Option<String>,
    pub time: Option<Timestamp>,
    pub extensions: Extensions,
    pub data: Option<Data>,
}

impl fmt::Debug for CloudEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudEvent")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("type", &self.event_type)
            .field("datacontenttype", &self.datacontenttype)
            .field("dataschema", &self.dataschema)
            .field("subject", &self.subject)
            .field("time", &self.time.map(|t| t.to_string()))
            .field("extensions", &self.extensions)
            .field("data", &self.data)
            .finish()
    }
}

impl Serialize for CloudEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("specversion", "1.0")?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("source", &self.source)?;
        map.serialize_entry("type", &self.event_type)?;
        if let Some(content_type) = &self.datacontenttype {
            map.serialize_entry("datacontenttype", content_type)?;
        }
        if let Some(schema) = &self.dataschema {
            map.serialize_entry("dataschema", schema)?;
        }
        if let Some(subject) = &self.subject {
            map.serialize_entry("subject", subject)?;
        }
        if let Some(time) = &self.time {
            map.serialize_entry("time", time)?;
        }
        for (name, value) in &self.extensions {
            map.serialize_entry(name, value)?;
        }
        match &self.data {
            Some(Data::Json(raw)) => map.serialize_entry("data", raw)?,
            Some(Data::Text(text)) => map.serialize_entry("data", text)?,
            Some(Data::Binary(bytes)) => {
                map.serialize_entry("data_base64", &base64::encode(bytes))?
            }
            None => {}
        }
        map.end()
    }
}

/// `"time":"..."`, the text written without the `fmt` machinery where it is
/// RFC 3339 (always, for a checked event).
pub(crate) fn time_member(json: &mut JsonText<'_>, time: &Timestamp) {
    match time.rfc3339() {
        Some(text) => json.known_string(key!("time"), text.as_str()),
        None => json.known_string(key!("time"), &time.to_string()),
    }
}

/// The extensions, in name order, as members.
pub(crate) fn extension_members(json: &mut JsonText<'_>, extensions: &Extensions) {
    for (name, value) in extensions {
        match value {
            ExtensionValue::String(text) => json.string(name, text),
            ExtensionValue::Integer(n) => {
                json.key(name);
                json_text::integer(json.out(), *n);
            }
            ExtensionValue::Boolean(b) => json.raw(name, if *b { "true" } else { "false" }),
        }
    }
}
