//! One reading of the CloudEvents JSON format, shared by the generic
//! [`CloudEvent`](super::CloudEvent) and the typed envelopes: the attributes
//! are read and checked here; what `data` becomes is the caller's choice.

use core::fmt;
use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::{ExtensionValue, Extensions, base64, rules};
use crate::model::error::{DecodeError, echo};
use crate::model::time::Timestamp;

/// The attributes of one document, each checked; `data` as `D`. The type,
/// the content type and the schema are borrowed when they are the ones
/// the reading expected (see [`Own`]).
pub(crate) struct Wire<D> {
    pub id: String,
    pub source: String,
    pub event_type: Cow<'static, str>,
    pub datacontenttype: Option<Cow<'static, str>>,
    pub dataschema: Option<Cow<'static, str>>,
    pub subject: Option<String>,
    pub time: Option<Timestamp>,
    /// Typed readings only: these three are attributes of their own.
    pub correlationid: Option<String>,
    pub causationid: Option<String>,
    pub traceparent: Option<String>,
    pub extensions: Extensions,
    /// `data`, present (a JSON `null` included) or not.
    pub data: Option<D>,
    pub data_base64: Option<Vec<u8>>,
}

/// Reads `bytes` as a CloudEvents JSON document. `typed` reads the
/// `correlationid`, `causationid` and `traceparent` extensions as attributes
/// of their own (strings), as typed envelopes have them.
///
/// # Errors
///
/// The first fault found, as a [`DecodeError`]; a `data` that is not a `D`
/// is [`DecodeError::PayloadMismatch`] with the parser's message, which the
/// typed decoder replaces before anyone sees it.
pub(crate) fn read<'de, D: de::Deserialize<'de>>(
    bytes: &'de [u8],
    typed: bool,
    own: Own,
) -> Result<Wire<D>, DecodeError> {
    // A document of valid UTF-8 (nearly every one) is checked once as a
    // whole rather than string by string; any other is read as bytes, for
    // the parser to report where the bad sequence is.
    match core::str::from_utf8(bytes) {
        Ok(text) => read_from(serde_json::de::StrRead::new(text), typed, own),
        Err(_) => read_from(serde_json::de::SliceRead::new(bytes), typed, own),
    }
}

/// The values a reading expects, of the event type it decodes: an
/// attribute equal to one is kept borrowed, not copied.
#[derive(Clone, Copy, Default)]
pub(crate) struct Own {
    /// The full type.
    pub event_type: Option<&'static str>,
    /// The schema's id.
    pub dataschema: Option<&'static str>,
}

impl Own {
    /// Those of the event `E`.
    pub(crate) fn of<E: crate::model::event::Event>() -> Self {
        Own {
            event_type: Some(E::FULL_TYPE),
            dataschema: Some(E::SCHEMA_ID),
        }
    }
}

/// The content type nearly every document has.
const JSON: &str = "application/json";

fn read_from<'de, R: serde_json::de::Read<'de>, D: de::Deserialize<'de>>(
    read: R,
    typed: bool,
    own: Own,
) -> Result<Wire<D>, DecodeError> {
    let mut fault = None;
    // Filled in place: the attributes are not moved through the parser's
    // layers on their way out.
    let mut partial = Partial::new(own);
    let mut deserializer = serde_json::Deserializer::new(read);
    let outcome = WireSeed {
        typed,
        fault: &mut fault,
        partial: &mut partial,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    match outcome {
        Ok(()) => partial.finish(),
        Err(error) => Err(fault.unwrap_or_else(|| parse_error(&error))),
    }
}

/// What the parser said, without anything of the input: its syntax errors
/// are fixed texts with a line and a column.
pub(crate) fn parse_error(error: &serde_json::Error) -> DecodeError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            let message = error.to_string();
            if message.starts_with("recursion limit exceeded") {
                return DecodeError::TooDeep {
                    limit: super::limits::PARSER_DEPTH,
                };
            }
            DecodeError::MalformedJson {
                message: echo(&message),
            }
        }
        // Only `data` is read into a type that can refuse a value.
        Category::Data => DecodeError::PayloadMismatch {
            event_type: String::new(),
            message: String::new(),
        },
    }
}

struct WireSeed<'f, D> {
    typed: bool,
    fault: &'f mut Option<DecodeError>,
    partial: &'f mut Partial<D>,
}

/// The attributes as they were found, before the required ones are checked.
struct Partial<D> {
    specversion: bool,
    id: Option<String>,
    source: Option<String>,
    event_type: Option<Cow<'static, str>>,
    own: Own,
    rest: Wire<D>,
}

impl<D> Partial<D> {
    fn new(own: Own) -> Self {
        Partial {
            specversion: false,
            id: None,
            source: None,
            event_type: None,
            own,
            rest: Wire {
                id: String::new(),
                source: String::new(),
                event_type: Cow::Borrowed(""),
                datacontenttype: None,
                dataschema: None,
                subject: None,
                time: None,
                correlationid: None,
                causationid: None,
                traceparent: None,
                extensions: Extensions::new(),
                data: None,
                data_base64: None,
            },
        }
    }

    fn finish(self) -> Result<Wire<D>, DecodeError> {
        let missing = |name| DecodeError::MissingAttribute { name };
        if !self.specversion {
            return Err(missing("specversion"));
        }
        let id = self.id.ok_or(missing("id"))?;
        let source = self.source.ok_or(missing("source"))?;
        let event_type = self.event_type.ok_or(missing("type"))?;
        if self.rest.data.is_some() && self.rest.data_base64.is_some() {
            return Err(DecodeError::InvalidAttribute {
                name: "data_base64",
                reason: "`data` and `data_base64` exclude each other".into(),
            });
        }
        Ok(Wire {
            id,
            source,
            event_type,
            ..self.rest
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    SpecVersion,
    Id,
    Source,
    Type,
    DataContentType,
    DataSchema,
    Subject,
    Time,
    Data,
    DataBase64,
    CorrelationId,
    CausationId,
    TraceParent,
}

impl Known {
    fn name(self) -> &'static str {
        match self {
            Known::SpecVersion => "specversion",
            Known::Id => "id",
            Known::Source => "source",
            Known::Type => "type",
            Known::DataContentType => "datacontenttype",
            Known::DataSchema => "dataschema",
            Known::Subject => "subject",
            Known::Time => "time",
            Known::Data => "data",
            Known::DataBase64 => "data_base64",
            Known::CorrelationId => "correlationid",
            Known::CausationId => "causationid",
            Known::TraceParent => "traceparent",
        }
    }
}

enum Key {
    Known(Known),
    Extension(String),
}

struct KeySeed {
    typed: bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<De: de::Deserializer<'de>>(self, deserializer: De) -> Result<Key, De::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(Key::Known(match name {
            "specversion" => Known::SpecVersion,
            "id" => Known::Id,
            "source" => Known::Source,
            "type" => Known::Type,
            "datacontenttype" => Known::DataContentType,
            "dataschema" => Known::DataSchema,
            "subject" => Known::Subject,
            "time" => Known::Time,
            "data" => Known::Data,
            "data_base64" => Known::DataBase64,
            "correlationid" if self.typed => Known::CorrelationId,
            "causationid" if self.typed => Known::CausationId,
            "traceparent" if self.typed => Known::TraceParent,
            _ => return Ok(Key::Extension(name.to_owned())),
        }))
    }
}

/// Any JSON value of an attribute, holding only what an attribute can be.
/// A string without escapes is borrowed from the document, and copied only
/// where it is kept.
enum Value<'de> {
    Null,
    String(Cow<'de, str>),
    Bool(bool),
    Integer(i64),
    /// A number with a fraction or an exponent, or beyond 64 bits.
    OtherNumber,
    Object,
    Array,
}

impl Value<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::String(_) => "a string",
            Value::Bool(_) => "a boolean",
            Value::Integer(_) | Value::OtherNumber => "a number",
            Value::Object => "an object",
            Value::Array => "an array",
        }
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value<'de>;

    fn deserialize<De: de::Deserializer<'de>>(
        self,
        deserializer: De,
    ) -> Result<Value<'de>, De::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(i64::try_from(v).map_or(Value::OtherNumber, Value::Integer))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Value<'de>, E> {
        Ok(Value::OtherNumber)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(v)))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Object)
    }
}

impl<'de, D: de::Deserialize<'de>> DeserializeSeed<'de> for WireSeed<'_, D> {
    type Value = ();

    fn deserialize<De: de::Deserializer<'de>>(self, deserializer: De) -> Result<(), De::Error> {
        deserializer.deserialize_any(self)
    }
}

fn fail<E: de::Error, T>(fault: &mut Option<DecodeError>, error: DecodeError) -> Result<T, E> {
    *fault = Some(error);
    Err(E::custom("not a CloudEvent"))
}

fn invalid(name: &'static str, reason: impl Into<String>) -> DecodeError {
    DecodeError::InvalidAttribute {
        name,
        reason: reason.into(),
    }
}

impl<'de, D: de::Deserialize<'de>> Visitor<'de> for WireSeed<'_, D> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudEvents JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let fault = self.fault;
        let partial = self.partial;
        let mut seen = 0u16;
        let mut unset: Vec<String> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed { typed: self.typed })? {
            let known = match key {
                Key::Known(known) => known,
                Key::Extension(name) => {
                    let value = map.next_value_seed(ValueSeed)?;
                    if unset.contains(&name) {
                        let name = echo(&name);
                        return fail(fault, DecodeError::DuplicateAttribute { name });
                    }
                    match extension(&name, value, &partial.rest.extensions) {
                        Ok(Some(value)) => {
                            partial.rest.extensions.insert(name, value);
                        }
                        // Unset, but present: a second one is a duplicate.
                        Ok(None) => unset.push(name),
                        Err(error) => return fail(fault, error),
                    }
                    continue;
                }
            };
            let bit = 1u16 << known as u16;
            if seen & bit != 0 {
                let name = known.name().to_owned();
                return fail(fault, DecodeError::DuplicateAttribute { name });
            }
            seen |= bit;
            if known == Known::Data {
                // `null` included: an explicit null payload.
                partial.rest.data = Some(map.next_value()?);
                continue;
            }
            let text = match map.next_value_seed(ValueSeed)? {
                // A `null` attribute is an absent one.
                Value::Null => continue,
                Value::String(text) => text,
                other => {
                    let reason = format!("expected a string, found {}", other.kind());
                    return fail(fault, invalid(known.name(), reason));
                }
            };
            if let Err(error) = attribute(known, text, partial) {
                return fail(fault, error);
            }
        }
        Ok(())
    }

    // Every other JSON value.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        fail(self.fault, DecodeError::NotAnObject)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        fail(self.fault, DecodeError::NotAnObject)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        fail(self.fault, DecodeError::NotAnObject)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        fail(self.fault, DecodeError::NotAnObject)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        fail(self.fault, DecodeError::NotAnObject)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        fail(self.fault, DecodeError::NotAnObject)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        fail(self.fault, DecodeError::NotAnObject)
    }
}

/// Checks and stores one string attribute.
fn attribute<D>(
    known: Known,
    text: Cow<'_, str>,
    partial: &mut Partial<D>,
) -> Result<(), DecodeError> {
    let name = known.name();
    let check = |rule: fn(&str) -> Result<(), rules::Reason>, text: &str| {
        rule(text).map_err(|reason| invalid(name, reason))
    };
    let rest = &mut partial.rest;
    match known {
        Known::SpecVersion => {
            if text != "1.0" {
                let reason = format!("`{}` is not the supported version `1.0`", echo(&text));
                return Err(invalid(name, reason));
            }
            partial.specversion = true;
        }
        Known::Id => {
            check(rules::non_empty_string, &text)?;
            partial.id = Some(text.into_owned());
        }
        Known::Source => {
            check(rules::uri_reference, &text)?;
            partial.source = Some(text.into_owned());
        }
        Known::Type => {
            check(rules::non_empty_string, &text)?;
            partial.event_type = Some(match partial.own.event_type {
                Some(own) if text == own => Cow::Borrowed(own),
                _ => Cow::Owned(text.into_owned()),
            });
        }
        Known::DataContentType => {
            rest.datacontenttype = Some(if text == JSON {
                Cow::Borrowed(JSON)
            } else {
                check(rules::content_type, &text)?;
                Cow::Owned(text.into_owned())
            });
        }
        Known::DataSchema => {
            // Checked still: an event's schema id need not be a URI.
            check(rules::uri, &text)?;
            rest.dataschema = Some(match partial.own.dataschema {
                Some(own) if text == own => Cow::Borrowed(own),
                _ => Cow::Owned(text.into_owned()),
            });
        }
        Known::Subject => {
            check(rules::non_empty_string, &text)?;
            rest.subject = Some(text.into_owned());
        }
        Known::Time => {
            let time = text
                .parse::<Timestamp>()
                .map_err(|error| invalid(name, error.to_string()))?;
            rest.time = Some(time);
        }
        Known::DataBase64 => {
            let bytes = base64::decode(&text)
                .ok_or_else(|| invalid(name, "it is not Base64 (RFC 4648) with padding"))?;
            rest.data_base64 = Some(bytes);
        }
        Known::CorrelationId | Known::CausationId | Known::TraceParent => {
            check(rules::non_empty_string, &text)?;
            let slot = match known {
                Known::CorrelationId => &mut rest.correlationid,
                Known::CausationId => &mut rest.causationid,
                _ => &mut rest.traceparent,
            };
            *slot = Some(text.into_owned());
        }
        // Read by the caller.
        Known::Data => {}
    }
    Ok(())
}

/// An extension attribute's value, or `None` for `null` (absent).
fn extension(
    name: &str,
    value: Value,
    extensions: &Extensions,
) -> Result<Option<ExtensionValue>, DecodeError> {
    let error = |reason: String| DecodeError::InvalidExtension {
        name: echo(name),
        reason,
    };
    rules::attribute_name(name).map_err(|reason| error(reason.into()))?;
    if extensions.contains_key(name) {
        return Err(DecodeError::DuplicateAttribute { name: echo(name) });
    }
    Ok(Some(match value {
        Value::Null => return Ok(None),
        Value::String(text) => {
            rules::string(&text).map_err(|reason| error(reason.into()))?;
            ExtensionValue::String(text.into_owned())
        }
        Value::Bool(value) => ExtensionValue::Boolean(value),
        Value::Integer(value) => ExtensionValue::Integer(
            i32::try_from(value)
                .map_err(|_| error("an Integer is within the range of 32-bit integers".into()))?,
        ),
        other => {
            return Err(error(format!(
                "expected a string, a boolean or an integer, found {}",
                match other {
                    Value::OtherNumber => "a number that is not an integer",
                    _ => other.kind(),
                }
            )));
        }
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::de::{SliceRead, StrRead};
    use serde_json::value::RawValue;

    use super::read_from;
    use crate::model::error::DecodeError;

    /// What a reading gives, comparable: the attributes kept, or the error.
    fn outcome(wire: Result<super::Wire<Box<RawValue>>, DecodeError>) -> String {
        match wire {
            Ok(wire) => format!(
                "{} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                wire.id,
                wire.source,
                wire.event_type,
                wire.datacontenttype,
                wire.subject,
                wire.time.map(|t| t.to_string()),
                wire.extensions,
                wire.correlationid,
                wire.data.map(|raw| raw.get().to_owned()),
                wire.data_base64,
            ),
            Err(error) => format!("{error:?}"),
        }
    }

    #[test]
    fn a_document_read_as_text_reads_as_it_does_as_bytes() {
        let documents: [&[u8]; 4] = [
            br#"{"specversion":"1.0","type":"t","source":"/s","id":"1","time":"2018-04-05T17:31:00Z","comexampleextension1":"v\u00e9","n":5,"datacontenttype":"application/xml","data":"<a b=\"c\"/>"}"#,
            br#"{"specversion":"1.0","type":"t","source":"https://a@b:1/s","id":"A","subject":"s\n","datacontenttype":"application/octet-stream","data_base64":"AAEC/w=="}"#,
            br#"{"specversion":"1.0","id":"\ud83d\ude00","source":"urn:x","type":"t","correlationid":"c","data":{"a":[1,2.5,null,"\\"]}}"#,
            "{\"specversion\":\"1.0\",\"id\":\"é\",\"source\":\"/s\",\"type\":\"t\"}".as_bytes(),
        ];
        for document in documents {
            let mut inputs = Vec::new();
            for end in 0..=document.len() {
                inputs.push(document[..end].to_vec());
            }
            for at in 0..document.len() {
                for byte in [b'"', b'\\', b'\n', b'u', b'0', b'{', 0xc3, 0xff] {
                    let mut changed = document.to_vec();
                    changed[at] = byte;
                    inputs.push(changed);
                }
            }
            for input in &inputs {
                let Ok(text) = core::str::from_utf8(input) else {
                    continue;
                };
                for typed in [false, true] {
                    assert_eq!(
                        outcome(read_from(StrRead::new(text), typed, super::Own::default())),
                        outcome(read_from(
                            SliceRead::new(input),
                            typed,
                            super::Own::default()
                        )),
                        "{text:?}"
                    );
                }
            }
        }
    }
}
