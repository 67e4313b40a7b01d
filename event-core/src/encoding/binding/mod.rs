//! Protocol bindings: a [`CloudEvent`] as headers and a body.
//!
//! - **Structured mode**: the body is the event's CloudEvents JSON, with
//!   `content-type: application/cloudevents+json`.
//! - **Binary mode**: the body is the data alone; `content-type` is its
//!   `datacontenttype`, and every other attribute is a header named with a
//!   prefix (`ce-id`, `ce-source`, `ce-comacmeshard`).
//!
//! The headers are plain `(name, value)` pairs, so that any HTTP library or
//! broker client can carry them; [`HeaderMapping`] says how a protocol names
//! them: [`HTTP`] and [`NATS`] (`ce-`), [`KAFKA`] (`ce_`), [`AMQP`]
//! (`cloudEvents_`). With the `http` feature, the module `http` converts
//! to and from the `http` crate's requests and responses.
//!
//! ```
//! use event_core::binding::{self, HTTP};
//! use event_core::cloudevent::{CloudEvent, Data};
//!
//! let event = CloudEvent::new("A-1", "/sensors/7", "com.acme.reading")
//!     .unwrap()
//!     .with_extension("comacmeshard", 5)
//!     .unwrap()
//!     .with_data(Some("text/plain"), Data::Text("21.5".into()))
//!     .unwrap();
//! let (headers, body) = binding::to_binary(&event, &HTTP);
//! assert!(headers.contains(&("ce-comacmeshard".to_owned(), "5".to_owned())));
//! assert!(headers.contains(&("content-type".to_owned(), "text/plain".to_owned())));
//! assert_eq!(body, b"21.5");
//!
//! let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
//! let back = binding::from_headers(pairs, &body, &HTTP).unwrap();
//! assert_eq!(back.data(), event.data());
//! ```

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::encoding::cloudevent::{
    self, CloudEvent, Data, ExtensionValue, Extensions, Parts, rules,
};
use crate::encoding::decode::{DecodeLimits, default_limits};
use crate::model::error::{DecodeError, echo};
use crate::model::time::Timestamp;

/// The media type of a CloudEvent in structured mode, JSON format.
pub const STRUCTURED_CONTENT_TYPE: &str = "application/cloudevents+json";

/// How a protocol carries attributes in binary mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderMapping {
    /// What the header of each attribute is named with: `ce-`.
    pub prefix: &'static str,
    /// The header of the data's content type: `content-type`.
    pub content_type: &'static str,
    /// Whether values are percent-encoded (HTTP's rule for space, `"`, `%`
    /// and everything outside printable ASCII).
    pub percent_encode: bool,
}

/// HTTP (binding 1.0.2): `ce-` headers, percent-encoded values.
pub const HTTP: HeaderMapping = HeaderMapping {
    prefix: "ce-",
    content_type: "content-type",
    percent_encode: true,
};

/// NATS (binding 1.0.1): headers as in HTTP.
pub const NATS: HeaderMapping = HTTP;

/// Kafka (binding 1.0.2): `ce_` headers, UTF-8 values.
pub const KAFKA: HeaderMapping = HeaderMapping {
    prefix: "ce_",
    content_type: "content-type",
    percent_encode: false,
};

/// AMQP (binding 1.0.2): `cloudEvents_` application properties, and the
/// message's `content-type` property.
pub const AMQP: HeaderMapping = HeaderMapping {
    prefix: "cloudEvents_",
    content_type: "content-type",
    percent_encode: false,
};

/// An event in structured mode: the `content-type` header and its JSON.
#[must_use]
pub fn to_structured(event: &CloudEvent) -> (Vec<(String, String)>, Vec<u8>) {
    (
        vec![(
            "content-type".to_owned(),
            STRUCTURED_CONTENT_TYPE.to_owned(),
        )],
        event.to_json_vec(),
    )
}

/// An event in binary mode: a header for each attribute, and its data as
/// the body. JSON data without a content type gets `application/json`
/// explicitly, as the JSON format asks.
#[must_use]
pub fn to_binary(event: &CloudEvent, mapping: &HeaderMapping) -> (Vec<(String, String)>, Vec<u8>) {
    let mut headers = Vec::with_capacity(8 + event.extensions().len());
    let mut put = |name: &str, value: &str| {
        let value = if mapping.percent_encode {
            percent_encode(value)
        } else {
            value.to_owned()
        };
        headers.push((format!("{}{name}", mapping.prefix), value));
    };
    put("specversion", "1.0");
    put("id", event.id());
    put("source", event.source());
    put("type", event.event_type());
    if let Some(subject) = event.subject() {
        put("subject", subject);
    }
    if let Some(time) = event.time() {
        put("time", &time.to_string());
    }
    if let Some(schema) = event.dataschema() {
        put("dataschema", schema);
    }
    for (name, value) in event.extensions() {
        put(name, &value.to_text());
    }
    let content_type = match (event.datacontenttype(), event.data()) {
        (Some(content_type), _) => Some(content_type),
        (None, Some(Data::Json(_))) => Some("application/json"),
        (None, _) => None,
    };
    if let Some(content_type) = content_type {
        headers.push((mapping.content_type.to_owned(), content_type.to_owned()));
    }
    let body = event.data().map(|data| data.as_bytes().to_vec());
    (headers, body.unwrap_or_default())
}

/// Reads an event from headers and a body, in whichever mode they are:
/// structured when the content type is `application/cloudevents+json`,
/// binary otherwise. Header names are matched without regard to case.
///
/// # Errors
///
/// A [`DecodeError`]: the body beyond the [`default_limits`], a missing or
/// invalid attribute, a header value that does not decode, a body that is
/// not the JSON its content type says, or a structured mode in another
/// format than JSON (batches included).
pub fn from_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
    mapping: &HeaderMapping,
) -> Result<CloudEvent, DecodeError> {
    from_headers_with(headers, body, mapping, &default_limits())
}

/// [`from_headers`] within `limits`.
///
/// # Errors
///
/// As [`from_headers`].
pub fn from_headers_with<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
    mapping: &HeaderMapping,
    limits: &DecodeLimits,
) -> Result<CloudEvent, DecodeError> {
    match read_headers(headers, mapping)? {
        Mode::Structured => CloudEvent::from_json_with(body, limits),
        Mode::Binary(mut parts) => {
            parts.data = body_data(body, parts.datacontenttype.as_deref(), limits)?;
            Ok(CloudEvent::from_parts(parts))
        }
    }
}

/// The mode headers say an event is in.
// Returned once per message and matched at once: boxing the attributes
// would cost an allocation to save a move.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Mode {
    /// The body is the CloudEvents JSON.
    Structured,
    /// The headers hold these attributes (the data is not read yet); the
    /// body is the data.
    Binary(Parts),
}

/// Which mode `headers` are in, and in binary mode the attributes they
/// carry.
pub(crate) fn read_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    mapping: &HeaderMapping,
) -> Result<Mode, DecodeError> {
    let mut attributes: Vec<(Cow<'_, str>, &str)> = Vec::with_capacity(12);
    let mut content_type = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(mapping.content_type) {
            if content_type.replace(value).is_some() {
                return Err(DecodeError::DuplicateAttribute {
                    name: "datacontenttype".into(),
                });
            }
        } else if let Some(attribute) = strip_prefix(name, mapping.prefix) {
            let attribute = if attribute.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(attribute.to_ascii_lowercase())
            } else {
                Cow::Borrowed(attribute)
            };
            attributes.push((attribute, value));
        }
    }
    if let Some(content_type) = content_type {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case(STRUCTURED_CONTENT_TYPE) {
            return Ok(Mode::Structured);
        }
        if essence
            .as_bytes()
            .get(..23)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"application/cloudevents"))
        {
            return Err(DecodeError::InvalidAttribute {
                name: "datacontenttype",
                reason: format!(
                    "`{}` is a structured mode other than single events in JSON",
                    echo(content_type)
                ),
            });
        }
    }
    binary(attributes, content_type, mapping).map(Mode::Binary)
}

pub(crate) fn strip_prefix<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &name[prefix.len()..])
}

fn binary(
    attributes: Vec<(Cow<'_, str>, &str)>,
    content_type: Option<&str>,
    mapping: &HeaderMapping,
) -> Result<Parts, DecodeError> {
    let invalid = |name: &'static str, reason: &str| DecodeError::InvalidAttribute {
        name,
        reason: reason.to_owned(),
    };
    let mut specversion = None;
    let (mut id, mut source, mut event_type) = (None, None, None);
    let (mut subject, mut time, mut dataschema) = (None, None, None);
    let mut datacontenttype = content_type.map(str::to_owned);
    let mut extensions = Extensions::new();
    for (name, raw) in attributes {
        let value = if mapping.percent_encode && raw.contains('%') {
            percent_decode(raw).ok_or_else(|| DecodeError::InvalidExtension {
                name: echo(&name),
                reason: "its value is not percent-encoded UTF-8".into(),
            })?
        } else {
            raw.to_owned()
        };
        let (slot, rule, static_name): (&mut Option<String>, fn(&str) -> _, _) = match &*name {
            "specversion" => {
                if value != "1.0" {
                    let reason = format!("`{}` is not the supported version `1.0`", echo(&value));
                    return Err(invalid("specversion", &reason));
                }
                (
                    &mut specversion,
                    rules::string as fn(&str) -> _,
                    "specversion",
                )
            }
            "id" => (&mut id, rules::non_empty_string, "id"),
            "source" => (&mut source, rules::uri_reference, "source"),
            "type" => (&mut event_type, rules::non_empty_string, "type"),
            "subject" => (&mut subject, rules::non_empty_string, "subject"),
            "time" => (&mut time, rules::non_empty_string, "time"),
            "dataschema" => (&mut dataschema, rules::uri, "dataschema"),
            // Only the content type header carries it in binary mode.
            "datacontenttype" if content_type.is_none() => {
                (&mut datacontenttype, rules::content_type, "datacontenttype")
            }
            _ => {
                rules::attribute_name(&name)
                    .and_then(|()| rules::string(&value))
                    .map_err(|reason| DecodeError::InvalidExtension {
                        name: echo(&name),
                        reason: reason.into(),
                    })?;
                if cloudevent::RESERVED.contains(&&*name) {
                    return Err(DecodeError::InvalidExtension {
                        name: echo(&name),
                        reason: "it is not carried as a header".into(),
                    });
                }
                if extensions
                    .insert(name.clone().into_owned(), ExtensionValue::String(value))
                    .is_some()
                {
                    return Err(DecodeError::DuplicateAttribute { name: echo(&name) });
                }
                continue;
            }
        };
        rule(&value).map_err(|reason| invalid(static_name, reason))?;
        if slot.replace(value).is_some() {
            return Err(DecodeError::DuplicateAttribute {
                name: static_name.into(),
            });
        }
    }
    let missing = |name| DecodeError::MissingAttribute { name };
    specversion.ok_or(missing("specversion"))?;
    if let Some(content_type) = &datacontenttype {
        rules::content_type(content_type).map_err(|reason| invalid("datacontenttype", reason))?;
    }
    let time = match time {
        Some(text) => Some(
            text.parse::<Timestamp>()
                .map_err(|error| invalid("time", &error.to_string()))?,
        ),
        None => None,
    };
    Ok(Parts {
        id: id.ok_or(missing("id"))?,
        source: source.ok_or(missing("source"))?,
        event_type: event_type.ok_or(missing("type"))?,
        datacontenttype,
        dataschema,
        subject,
        time,
        extensions,
        data: None,
    })
}

/// The data of a binary-mode body: JSON for a JSON content type (when it is
/// JSON), text for another content type when it is UTF-8, bytes otherwise
/// (and when no content type says).
fn body_data(
    body: &[u8],
    content_type: Option<&str>,
    limits: &DecodeLimits,
) -> Result<Option<Data>, DecodeError> {
    if body.is_empty() {
        return Ok(None);
    }
    if content_type.is_some() && cloudevent::is_json_content_type(content_type) {
        limits.check(body)?;
        // A body that is not the JSON its content type says is still the
        // event's data: its bytes, as `data_base64` carries them.
        if let Ok(raw) = serde_json::from_slice::<Box<RawValue>>(body) {
            return Ok(Some(Data::Json(raw)));
        }
        return Ok(Some(Data::Binary(body.to_vec())));
    }
    if body.len() > limits.max_size {
        return Err(DecodeError::TooLarge {
            size: body.len(),
            limit: limits.max_size,
        });
    }
    // A body in UTF-8 crosses to the JSON format as a `data` string (XML,
    // plain text), the other bytes as `data_base64`.
    match core::str::from_utf8(body) {
        Ok(text) if content_type.is_some() => Ok(Some(Data::Text(text.to_owned()))),
        _ => Ok(Some(Data::Binary(body.to_vec()))),
    }
}

/// HTTP's percent-encoding of header values: space, `"`, `%` and every
/// byte outside printable ASCII.
#[must_use]
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if (0x21..0x7f).contains(&b) && b != b'"' && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// The text of a percent-encoded header value; `None` for a broken escape
/// or bytes that are not UTF-8. The same decoding as a schema's URI
/// fragments.
pub use event_compat::percent_decode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_round_trips() {
        for text in ["plain", "with space", "quote\"and%", "ünï ✓", ""] {
            let encoded = percent_encode(text);
            assert!(encoded.bytes().all(|b| (0x21..0x7f).contains(&b)));
            assert_eq!(percent_decode(&encoded).as_deref(), Some(text));
        }
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
        assert_eq!(percent_decode("%4"), None);
        // A sign is not a digit.
        assert_eq!(percent_decode("%+f"), None);
        assert_eq!(percent_decode("%-1"), None);
        assert_eq!(percent_decode("%4A%4a"), Some("JJ".to_owned()));
    }
}
