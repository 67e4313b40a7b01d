//! Reading envelopes from bytes, with a typed error for everything that can be
//! wrong with them.

use core::fmt;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::envelope::{CorrelationId, DATA_CONTENT_TYPE, Envelope, EventId};
use crate::registry::{self, EventDescriptor};
use crate::time::Timestamp;
use crate::{Event, EventKind};

/// What is wrong with bytes that were to be an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not JSON.
    MalformedJson {
        /// The parser's message, with line and column.
        message: String,
    },
    /// The JSON is not an object.
    NotAnObject,
    /// A required CloudEvents attribute is absent.
    MissingAttribute {
        /// The attribute's name.
        name: &'static str,
    },
    /// An attribute is present but its value is not acceptable.
    InvalidAttribute {
        /// The attribute's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No event of this type name is registered, in any version.
    UnknownType {
        /// The full type as received.
        event_type: String,
    },
    /// The type name is registered, but not in this version.
    UnknownVersion {
        /// The type name.
        type_name: String,
        /// The version received.
        version: u32,
        /// The versions that are registered.
        known: Vec<u32>,
    },
    /// The envelope holds another event than the one asked for.
    UnexpectedType {
        /// The full type that was asked for.
        expected: &'static str,
        /// The full type received.
        found: String,
    },
    /// An older version of the type arrived, and no `upcast_from` chain
    /// leads from it to the version asked for (or a newer version arrived).
    NoUpcastPath {
        /// The full type received, which could not be upcast.
        found: String,
        /// The full type asked for, which no chain from `found` reaches.
        target: &'static str,
    },
    /// The `data` does not fit the event's type.
    PayloadMismatch {
        /// The full type.
        event_type: String,
        /// What did not fit, from the deserializer.
        message: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::MalformedJson { message } => write!(f, "malformed JSON: {message}"),
            DecodeError::NotAnObject => f.write_str("a CloudEvents envelope is a JSON object"),
            DecodeError::MissingAttribute { name } => {
                write!(f, "the CloudEvents attribute `{name}` is missing")
            }
            DecodeError::InvalidAttribute { name, reason } => {
                write!(f, "the CloudEvents attribute `{name}` is invalid: {reason}")
            }
            DecodeError::UnknownType { event_type } => {
                write!(f, "no event of type `{event_type}` is registered")
            }
            DecodeError::UnknownVersion {
                type_name,
                version,
                known,
            } => write!(
                f,
                "`{type_name}` has no version {version}; registered versions: {known:?}"
            ),
            DecodeError::UnexpectedType { expected, found } => {
                write!(f, "expected an event of type `{expected}`, found `{found}`")
            }
            DecodeError::NoUpcastPath { found, target } => {
                write!(f, "no upcast path from `{found}` to `{target}`")?;
                let older = split_full_type(found)
                    .zip(split_full_type(target))
                    .is_some_and(|((_, from), (_, to))| from < to);
                if older {
                    f.write_str("; declare `upcast_from` on each version after it")?;
                }
                Ok(())
            }
            DecodeError::PayloadMismatch {
                event_type,
                message,
            } => write!(f, "the data does not fit `{event_type}`: {message}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The envelope as it is on the wire, every attribute optional so that a
/// missing one is reported by name.
#[derive(Deserialize)]
pub(crate) struct Wire<D> {
    specversion: Option<String>,
    id: Option<EventId>,
    source: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    time: Option<Timestamp>,
    datacontenttype: Option<String>,
    #[allow(dead_code)]
    dataschema: Option<IgnoredAny>,
    subject: Option<String>,
    correlationid: Option<CorrelationId>,
    causationid: Option<EventId>,
    traceparent: Option<String>,
    data: Option<D>,
}

fn non_empty(name: &'static str, value: &str) -> Result<(), DecodeError> {
    if value.is_empty() {
        return Err(DecodeError::InvalidAttribute {
            name,
            reason: "it is empty".into(),
        });
    }
    Ok(())
}

impl<D> Wire<D> {
    /// Checks every attribute but `data`; returns the full type.
    fn check_attributes(&self) -> Result<&str, DecodeError> {
        let missing = |name| DecodeError::MissingAttribute { name };
        let spec = self.specversion.as_deref().ok_or(missing("specversion"))?;
        if spec != "1.0" {
            return Err(DecodeError::InvalidAttribute {
                name: "specversion",
                reason: format!("`{spec}` is not the supported version `1.0`"),
            });
        }
        non_empty("id", self.id.as_ref().ok_or(missing("id"))?.as_str())?;
        non_empty("source", self.source.as_deref().ok_or(missing("source"))?)?;
        let event_type = self.event_type.as_deref().ok_or(missing("type"))?;
        non_empty("type", event_type)?;
        if self.time.is_none() {
            return Err(missing("time"));
        }
        if let Some(content_type) = &self.datacontenttype {
            let essence = content_type.split(';').next().unwrap_or_default().trim();
            if !essence.eq_ignore_ascii_case(DATA_CONTENT_TYPE) {
                return Err(DecodeError::InvalidAttribute {
                    name: "datacontenttype",
                    reason: format!("`{content_type}` is not `{DATA_CONTENT_TYPE}`"),
                });
            }
        }
        Ok(event_type)
    }
}

impl<E: Event> Wire<E> {
    pub(crate) fn into_envelope(self) -> Result<Envelope<E>, DecodeError> {
        let event_type = self.check_attributes()?;
        if event_type != E::FULL_TYPE {
            return Err(type_error::<E>(event_type));
        }
        let (Some(id), Some(source), Some(time), Some(data)) =
            (self.id, self.source, self.time, self.data)
        else {
            return Err(DecodeError::MissingAttribute { name: "data" });
        };
        Ok(Envelope {
            // An envelope from a producer that sets no correlation id starts
            // its own business action.
            correlation_id: self
                .correlationid
                .unwrap_or_else(|| CorrelationId::from(id.as_str())),
            id,
            source,
            time,
            causation_id: self.causationid,
            traceparent: self.traceparent,
            subject: self.subject,
            data,
        })
    }
}

/// `product.updated.v2` -> (`product.updated`, 2).
pub fn split_full_type(full_type: &str) -> Option<(&str, u32)> {
    let (name, version) = full_type.rsplit_once(".v")?;
    if name.is_empty() || version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, version.parse().ok()?))
}

/// Why `found` is not `E`: another registered event, an unknown version of a
/// known one, or an unknown type.
fn type_error<E: Event>(found: &str) -> DecodeError {
    match identify_type(found, Some(E::KIND)) {
        Ok(_) => DecodeError::UnexpectedType {
            expected: E::FULL_TYPE,
            found: found.to_owned(),
        },
        Err(error) => error,
    }
}

fn identify_type(
    full_type: &str,
    kind: Option<EventKind>,
) -> Result<&'static EventDescriptor, DecodeError> {
    let unknown = || DecodeError::UnknownType {
        event_type: full_type.to_owned(),
    };
    let (type_name, version) = split_full_type(full_type).ok_or_else(unknown)?;
    let same_name: Vec<_> = registry::all()
        .into_iter()
        .filter(|d| d.type_name == type_name && kind.is_none_or(|k| d.kind == k))
        .collect();
    if same_name.is_empty() {
        return Err(unknown());
    }
    same_name
        .iter()
        .find(|d| d.version == version)
        .copied()
        .ok_or_else(|| DecodeError::UnknownVersion {
            type_name: type_name.to_owned(),
            version,
            known: same_name.iter().map(|d| d.version).collect(),
        })
}

/// Reads an envelope of `E` from CloudEvents JSON.
///
/// # Errors
///
/// A [`DecodeError`] for malformed JSON, a missing or invalid attribute, a
/// type that is not `E` (unknown, an unknown version, or another registered
/// event), or data that does not fit `E`.
pub fn decode<E: Event>(bytes: &[u8]) -> Result<Envelope<E>, DecodeError> {
    match serde_json::from_slice::<Wire<E>>(bytes) {
        Ok(wire) => wire.into_envelope(),
        // Well-formed envelopes take the path above; only a failure pays for
        // a second reading that finds out what exactly is wrong.
        Err(_) => Err(diagnose::<E>(bytes)),
    }
}

/// The attributes that, when present, hold a string.
const STRING_ATTRIBUTES: [&str; 11] = [
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "datacontenttype",
    "dataschema",
    "subject",
    "correlationid",
    "causationid",
    "traceparent",
];

fn diagnose<E: Event>(bytes: &[u8]) -> DecodeError {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => {
            return DecodeError::MalformedJson {
                message: e.to_string(),
            };
        }
    };
    let Some(object) = value.as_object() else {
        return DecodeError::NotAnObject;
    };
    for name in STRING_ATTRIBUTES {
        match object.get(name) {
            Some(serde_json::Value::String(text)) if name == "time" => {
                if let Err(e) = text.parse::<Timestamp>() {
                    return DecodeError::InvalidAttribute {
                        name,
                        reason: e.to_string(),
                    };
                }
            }
            None | Some(serde_json::Value::String(_)) => {}
            Some(other) => {
                return DecodeError::InvalidAttribute {
                    name,
                    reason: format!("expected a string, found `{other}`"),
                };
            }
        }
    }
    let wire: Wire<serde_json::Value> = match serde_json::from_value(value) {
        Ok(wire) => wire,
        Err(e) => {
            return DecodeError::InvalidAttribute {
                name: "envelope",
                reason: e.to_string(),
            };
        }
    };
    let event_type = match wire.check_attributes() {
        Ok(event_type) => event_type.to_owned(),
        Err(error) => return error,
    };
    if event_type != E::FULL_TYPE {
        return type_error::<E>(&event_type);
    }
    let Some(data) = wire.data else {
        return DecodeError::MissingAttribute { name: "data" };
    };
    let message = match serde_json::from_value::<E>(data) {
        Err(e) => e.to_string(),
        // Not reached for input the fast path rejected, but a decoder never
        // claims success it cannot show.
        Ok(_) => "the envelope could not be read".to_owned(),
    };
    DecodeError::PayloadMismatch {
        event_type,
        message,
    }
}

/// Which registered event some CloudEvents JSON holds, found by its type and
/// version; for consumers that receive several types on one stream.
///
/// # Errors
///
/// [`DecodeError::MalformedJson`], [`DecodeError::NotAnObject`], a missing or
/// invalid `type`, [`DecodeError::UnknownType`] or
/// [`DecodeError::UnknownVersion`].
pub fn identify(bytes: &[u8]) -> Result<&'static EventDescriptor, DecodeError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::MalformedJson {
            message: e.to_string(),
        })?;
    if !value.is_object() {
        return Err(DecodeError::NotAnObject);
    }
    let type_only: TypeOnly =
        serde_json::from_value(value).map_err(|e| DecodeError::InvalidAttribute {
            name: "type",
            reason: e.to_string(),
        })?;
    let event_type = type_only
        .event_type
        .ok_or(DecodeError::MissingAttribute { name: "type" })?;
    identify_type(&event_type, None)
}

/// Only the `type` attribute of an envelope.
#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "type")]
    event_type: Option<String>,
}

/// Reads an envelope of `E`, or of an older version of its type, upcast to
/// `E` along its `upcast_from` chain (v1 -> v2 -> v3).
///
/// # Errors
///
/// As [`decode`], and [`DecodeError::NoUpcastPath`] for a version no chain
/// leads from, naming that version and `E`.
pub fn decode_upcasting<E: crate::IntegrationEvent>(
    bytes: &[u8],
) -> Result<Envelope<E>, DecodeError> {
    let Ok(TypeOnly {
        event_type: Some(found),
    }) = serde_json::from_slice::<TypeOnly>(bytes)
    else {
        // Malformed input, or no type: `decode` names what is wrong.
        return decode::<E>(bytes);
    };
    match split_full_type(&found) {
        Some((name, version)) if name == E::TYPE_NAME => {
            E::decode_version(bytes, version).map_err(|error| match error {
                // The chain reports where it stopped; the path asked for
                // was to `E`.
                DecodeError::NoUpcastPath { found, .. } => DecodeError::NoUpcastPath {
                    found,
                    target: E::FULL_TYPE,
                },
                other => other,
            })
        }
        _ => Err(type_error::<E>(&found)),
    }
}

/// The full types of the registered older versions of `E`'s type that
/// [`decode_upcasting`] turns into `E` along its `upcast_from` chain, oldest
/// first. A consumer of `E` subscribes to these besides `E` itself.
#[must_use]
pub fn upcast_sources<E: crate::IntegrationEvent>() -> Vec<&'static str> {
    let mut sources: Vec<&'static EventDescriptor> = registry::all()
        .into_iter()
        .filter(|d| {
            d.kind == EventKind::Integration
                && d.type_name == E::TYPE_NAME
                && d.version < E::VERSION
        })
        // The chain is walked without bytes: each step checks the version
        // before reading anything, so a version it covers fails to read the
        // empty input, and one it does not is reported as having no path.
        .filter(|d| {
            !matches!(
                E::decode_version(&[], d.version),
                Err(DecodeError::NoUpcastPath { .. })
            )
        })
        .collect();
    sources.dedup_by_key(|d| d.version);
    sources.into_iter().map(|d| d.full_type).collect()
}
