//! Reading envelopes from bytes, with a typed error for everything that can be
//! wrong with them.

use core::fmt;

use serde::de::{self, IgnoredAny};

use crate::encoding::cloudevent::wire;
use crate::model::envelope::Envelope;
use crate::model::event::{Event, EventKind, IntegrationEvent};
use crate::model::registry::{self, EventDescriptor};

pub use crate::encoding::cloudevent::limits::{DecodeLimits, default_limits, set_default_limits};
pub use crate::model::error::{DecodeError, ECHO_LIMIT, echo, split_full_type};

/// Why `found` is not `E`: another registered event, an unknown version of a
/// known one, or an unknown type.
pub(crate) fn type_error<E: Event>(found: &str) -> DecodeError {
    match identify_type(found, Some(E::KIND)) {
        Ok(_) => DecodeError::UnexpectedType {
            expected: E::FULL_TYPE,
            found: echo(found),
        },
        Err(error) => error,
    }
}

fn identify_type(
    full_type: &str,
    kind: Option<EventKind>,
) -> Result<&'static EventDescriptor, DecodeError> {
    let unknown = || DecodeError::UnknownType {
        event_type: echo(full_type),
    };
    let (type_name, version) = split_full_type(full_type).ok_or_else(unknown)?;
    let versions = registry::versions(type_name);
    let same_kind = || versions.iter().filter(|d| kind.is_none_or(|k| d.kind == k));
    if same_kind().next().is_none() {
        return Err(unknown());
    }
    same_kind()
        .find(|d| d.version == version)
        .copied()
        .ok_or_else(|| {
            let mut known: Vec<u32> = same_kind().map(|d| d.version).collect();
            known.dedup();
            DecodeError::UnknownVersion {
                type_name: echo(type_name),
                version,
                known,
            }
        })
}

/// Reads an envelope of `E` from CloudEvents JSON, within the
/// [`default_limits`].
///
/// # Errors
///
/// A [`DecodeError`] for a document beyond the limits, malformed JSON, a
/// missing or invalid attribute, a type that is not `E` (unknown, an unknown
/// version, or another registered event), or data that does not fit `E`.
pub fn decode<E: Event>(bytes: &[u8]) -> Result<Envelope<E>, DecodeError> {
    decode_with(bytes, &default_limits())
}

/// [`decode`] within `limits`.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_with<E: Event>(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<Envelope<E>, DecodeError> {
    limits.check(bytes)?;
    match wire::read::<E>(bytes, true, wire::Own::of::<E>()) {
        Ok(wire) => Envelope::from_wire(wire, Ok),
        // A payload that does not fit: read again, keeping `data` as text,
        // to find where it does not fit. Only failures pay for this.
        Err(DecodeError::PayloadMismatch { .. }) => {
            match wire::read::<Box<serde_json::value::RawValue>>(bytes, true, wire::Own::of::<E>())
            {
                Ok(wire) => Envelope::from_wire(wire, |raw| payload::<E>(raw.get().as_bytes())),
                Err(error) => Err(error),
            }
        }
        Err(error) => Err(error),
    }
}

/// `E` from JSON text, or where and how it does not fit, without the value
/// found there.
pub(crate) fn payload<E: Event>(json: &[u8]) -> Result<E, DecodeError> {
    // The common case without tracking the path; only a failure reads
    // again to find where.
    if let Ok(data) = serde_json::from_slice(json) {
        return Ok(data);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let error = match serde_path_to_error::deserialize::<_, E>(&mut deserializer) {
        Ok(data) => match deserializer.end() {
            Ok(()) => return Ok(data),
            Err(error) => return Err(wire::parse_error(&error)),
        },
        Err(error) => error,
    };
    let path = error.path().to_string();
    let at = match path.as_str() {
        "." => "data".to_owned(),
        p if p.starts_with('[') => format!("data{}", echo(p)),
        p => format!("data.{}", echo(p)),
    };
    let inner = error.into_inner();
    if !matches!(inner.classify(), serde_json::error::Category::Data) {
        return Err(wire::parse_error(&inner));
    }
    Err(DecodeError::PayloadMismatch {
        event_type: E::FULL_TYPE.to_owned(),
        message: format!("at `{at}`: {}", describe(&inner.to_string())),
    })
}

/// What serde's message says was expected and what kind of value was found,
/// without the value: its messages quote values (`invalid type: string
/// "x", expected u64`), which may be personal data.
fn describe(message: &str) -> String {
    // serde_json appends " at line L column C".
    let message = message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at]);
    // The expectation comes from the type, after the last ", expected ".
    let expected = message
        .rfind(", expected ")
        .map(|at| echo(&message[at + ", expected ".len()..]));
    let found = |rest: &str| {
        const KINDS: [(&str, &str); 15] = [
            ("null", "null"),
            ("boolean", "a boolean"),
            ("integer", "an integer"),
            ("floating point", "a floating point number"),
            ("character", "a character"),
            ("string", "a string"),
            ("byte array", "a byte array"),
            ("unit value", "null"),
            ("Option value", "an optional value"),
            ("newtype struct", "a newtype struct"),
            ("sequence", "an array"),
            ("map", "an object"),
            ("enum", "an enum"),
            ("unit variant", "a unit variant"),
            ("struct variant", "a struct variant"),
        ];
        KINDS
            .iter()
            .find(|(kind, _)| rest.starts_with(kind))
            .map_or("another value", |(_, said)| said)
    };
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        // A field name of the type, not of the input.
        return format!("the field `{}` is missing", echo(field));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return match expected {
            Some(expected) => format!("expected {expected}, found {}", found(rest)),
            None => format!("found {} of the wrong type", found(rest)),
        };
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        return match expected {
            Some(expected) => format!("expected {expected}, found {} that is not", found(rest)),
            None => format!("{} out of range", found(rest)),
        };
    }
    let prefixes = [
        ("invalid length ", "a sequence of the wrong length"),
        ("unknown variant ", "an unknown variant"),
        ("unknown field ", "an unknown field"),
        ("duplicate field ", "a field that appears twice"),
    ];
    for (prefix, what) in prefixes {
        if message.starts_with(prefix) {
            return match expected {
                Some(expected) => format!("{what}, expected {expected}"),
                None => what.to_owned(),
            };
        }
    }
    // A custom message of a hand-written `Deserialize` may quote anything.
    "the value does not fit".to_owned()
}

/// Which registered event some CloudEvents JSON holds, found by its type and
/// version; for consumers that receive several types on one stream. Reads
/// only the `type`, within the [`default_limits`]: nothing else of the
/// document is kept, so it uses a fixed amount of memory whatever the size.
///
/// # Errors
///
/// [`DecodeError::TooLarge`], [`DecodeError::TooDeep`],
/// [`DecodeError::MalformedJson`], [`DecodeError::NotAnObject`], a missing,
/// duplicated or invalid `type`, [`DecodeError::UnknownType`] or
/// [`DecodeError::UnknownVersion`].
pub fn identify(bytes: &[u8]) -> Result<&'static EventDescriptor, DecodeError> {
    default_limits().check(bytes)?;
    let event_type = read_type(bytes)?;
    identify_type(&event_type, None)
}

/// The `type` of a document, reading nothing else into memory.
pub(crate) fn read_type(bytes: &[u8]) -> Result<String, DecodeError> {
    let mut fault = None;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let outcome =
        de::DeserializeSeed::deserialize(TypeOnly { fault: &mut fault }, &mut deserializer)
            .and_then(|found| deserializer.end().map(|()| found));
    match outcome {
        Ok(Some(event_type)) => Ok(event_type),
        Ok(None) => Err(DecodeError::MissingAttribute { name: "type" }),
        Err(error) => Err(fault.unwrap_or_else(|| wire::parse_error(&error))),
    }
}

/// Only the `type` attribute of an envelope; every other value is skipped
/// by the parser without being kept.
struct TypeOnly<'f> {
    fault: &'f mut Option<DecodeError>,
}

impl<'de> de::DeserializeSeed<'de> for TypeOnly<'_> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for TypeOnly<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudEvents JSON object")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found: Option<Option<String>> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key != "type" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if found.is_some() {
                *self.fault = Some(DecodeError::DuplicateAttribute {
                    name: "type".into(),
                });
                return Err(de::Error::custom("duplicate type"));
            }
            found = Some(map.next_value_seed(TypeValue { fault: self.fault })?);
        }
        Ok(found.flatten())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        *self.fault = Some(DecodeError::NotAnObject);
        Err(de::Error::custom("not an object"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        *self.fault = Some(DecodeError::NotAnObject);
        Err(E::custom("not an object"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.visit_bool(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.visit_bool(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.visit_bool(false)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.visit_bool(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_bool(false)
    }
}

/// The value of `type`: a non-empty string, or `null` (absent).
struct TypeValue<'f> {
    fault: &'f mut Option<DecodeError>,
}

impl TypeValue<'_> {
    fn wrong<E: de::Error>(self, found: &str) -> Result<Option<String>, E> {
        *self.fault = Some(DecodeError::InvalidAttribute {
            name: "type",
            reason: format!("expected a string, found {found}"),
        });
        Err(E::custom("invalid type"))
    }
}

impl<'de> de::DeserializeSeed<'de> for TypeValue<'_> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for TypeValue<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if let Err(reason) = crate::model::rules::non_empty_string(v) {
            *self.fault = Some(DecodeError::InvalidAttribute {
                name: "type",
                reason: reason.into(),
            });
            return Err(E::custom("invalid type"));
        }
        Ok(Some(v.to_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.wrong("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.wrong("a number")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.wrong("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.wrong("a number")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.wrong("an array")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.wrong("an object")
    }
}

/// Reads an envelope of `E`, or of an older version of its type, upcast to
/// `E` along its `upcast_from` chain (v1 -> v2 -> v3).
///
/// # Errors
///
/// As [`decode`], and [`DecodeError::NoUpcastPath`] for a version no chain
/// leads from, naming that version and `E`.
pub fn decode_upcasting<E: IntegrationEvent>(bytes: &[u8]) -> Result<Envelope<E>, DecodeError> {
    let found = match default_limits()
        .check(bytes)
        .and_then(|()| read_type(bytes))
    {
        Ok(found) => found,
        // Beyond the limits, malformed, or no type: `decode` names what is
        // wrong.
        Err(_) => return decode::<E>(bytes),
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
pub fn upcast_sources<E: IntegrationEvent>() -> Vec<&'static str> {
    let mut sources: Vec<&'static EventDescriptor> = registry::versions(E::TYPE_NAME)
        .iter()
        .copied()
        .filter(|d| d.kind == EventKind::Integration && d.version < E::VERSION)
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
