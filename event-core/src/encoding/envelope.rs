//! The wire format of [`Envelope`]: its CloudEvents JSON (the serde impls),
//! and the conversions to and from the generic [`CloudEvent`].

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::encoding::cloudevent::wire::Wire;
use crate::encoding::cloudevent::{self, CloudEvent, Data, ExtensionValue, Extensions, rules};
use crate::encoding::decode;
use crate::encoding::json_text::{JsonText, key};
use crate::model::envelope::{CorrelationId, Envelope, EventId};
use crate::model::error::{DecodeError, echo};
use crate::model::event::Event;

// The bound on each method, not on the block: calling one on a type that
// is no event is then the bound's error, in the words of `Event`'s
// `on_unimplemented`, not a bare "its trait bounds were not satisfied".
impl<E> Envelope<E> {
    /// The CloudEvents JSON of this envelope.
    ///
    /// # Errors
    ///
    /// An attribute breaks a CloudEvents rule (see [`Envelope::validate`]),
    /// or the event's `Serialize` failed: a hand-written impl that fails, or
    /// a map whose keys are not strings.
    pub fn to_json(&self) -> Result<String, serde_json::Error>
    where
        E: Event,
    {
        let mut out = Vec::with_capacity(256);
        self.write_json(&mut out)?;
        // Strings and serde_json's text only: UTF-8 throughout.
        String::from_utf8(out).map_err(serde::ser::Error::custom)
    }

    /// Appends the CloudEvents JSON of this envelope to `out`: the same
    /// text as its `Serialize` impl gives serde_json, the attributes
    /// written straight into the buffer and the data by serde_json.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error>
    where
        E: Event,
    {
        if let Some(error) = &self.invalid {
            return Err(serde::ser::Error::custom(error));
        }
        let mut json = JsonText::object(out);
        json.known_raw(key!("specversion"), "\"1.0\"");
        json.known_string(key!("id"), self.id.as_str());
        json.known_string(key!("source"), &self.source);
        json.known_string(key!("type"), E::FULL_TYPE);
        if let Some(time) = &self.time {
            cloudevent::time_member(&mut json, time);
        }
        if let Some(content_type) = &self.content_type {
            json.known_string(key!("datacontenttype"), content_type);
        }
        if let Some(schema) = &self.dataschema {
            json.known_string(key!("dataschema"), schema);
        }
        if let Some(subject) = &self.subject {
            json.known_string(key!("subject"), subject);
        }
        if !self.correlation_implied {
            json.known_string(key!("correlationid"), self.correlation_id.as_str());
        }
        if let Some(causation) = &self.causation_id {
            json.known_string(key!("causationid"), causation.as_str());
        }
        if let Some(traceparent) = &self.traceparent {
            json.known_string(key!("traceparent"), traceparent);
        }
        cloudevent::extension_members(&mut json, &self.extensions);
        json.known(key!("data"));
        serde_json::to_writer(&mut *json.out(), &self.data)?;
        json.end();
        Ok(())
    }

    /// The CloudEvents JSON of this envelope as [`Envelope::to_json`] writes
    /// it, attributes and fields in the same order, with the value of each
    /// field of the event that its schema marks `pii` or `secret` (nested
    /// events and lists included) replaced by `"<redacted>"`: the wire
    /// format, fit for a log or a printout. Never send it: it no longer
    /// holds the event.
    ///
    /// ```
    /// use event_core::prelude::*;
    ///
    /// /// A customer signed up.
    /// #[domain_event]
    /// pub struct CustomerSignedUp {
    ///     pub customer_id: String,
    ///     #[event(pii)]
    ///     pub email: String,
    ///     #[event(secret)]
    ///     pub password_hash: String,
    /// }
    ///
    /// let envelope = Envelope::new("/accounts", CustomerSignedUp {
    ///     customer_id: "c-1".into(),
    ///     email: "ada@example.com".into(),
    ///     password_hash: "$argon2id$v=19$abc".into(),
    /// });
    /// let shown = envelope.to_redacted_json()?;
    /// assert!(shown.contains(r#""data":{"customer_id":"c-1","email":"<redacted>","password_hash":"<redacted>"}"#));
    /// assert!(!shown.contains("ada@example.com"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Envelope::to_json`].
    pub fn to_redacted_json(&self) -> Result<String, serde_json::Error>
    where
        E: Event,
    {
        let json = self.to_json()?;
        let schema = E::schema();
        let raw: Box<RawValue> = serde_json::from_str(&json)?;
        let mut out = String::with_capacity(json.len());
        let envelope_schema = serde_json::json!({ "properties": { "data": schema } });
        redact_raw(&raw, &envelope_schema, &schema, 0, &mut out)?;
        Ok(out)
    }

    /// Reads an envelope of `E` from CloudEvents JSON, as bytes or text
    /// (what [`to_json`](Self::to_json) returns reads back as it is); see
    /// [`decode`](crate::decode::decode).
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] that says what was wrong with the document.
    pub fn from_json(json: impl AsRef<[u8]>) -> Result<Self, DecodeError>
    where
        E: Event,
    {
        decode::decode(json.as_ref())
    }

    /// The envelope as a generic [`CloudEvent`], every attribute kept.
    ///
    /// # Errors
    ///
    /// As [`Envelope::to_json`].
    pub fn to_cloud_event(&self) -> Result<CloudEvent, serde_json::Error>
    where
        E: Event,
    {
        use serde::ser::Error;
        if let Some(error) = &self.invalid {
            return Err(serde_json::Error::custom(error));
        }
        let mut extensions = self.extensions.clone();
        if !self.correlation_implied {
            extensions.insert(
                "correlationid".into(),
                ExtensionValue::String(self.correlation_id.to_string()),
            );
        }
        if let Some(causation) = &self.causation_id {
            extensions.insert("causationid".into(), causation.to_string().into());
        }
        if let Some(traceparent) = &self.traceparent {
            extensions.insert("traceparent".into(), traceparent.clone().into());
        }
        Ok(CloudEvent::from_parts(cloudevent::Parts {
            id: self.id.to_string(),
            source: self.source.clone(),
            event_type: E::FULL_TYPE.to_owned(),
            datacontenttype: self.content_type.as_deref().map(str::to_owned),
            dataschema: self.dataschema.as_deref().map(str::to_owned),
            subject: self.subject.clone(),
            time: self.time,
            extensions,
            data: Some(Data::json(&self.data)?),
        }))
    }

    /// The typed envelope of a generic event of type `E`.
    ///
    /// # Errors
    ///
    /// A type that is not `E`; a `correlationid`, `causationid` or
    /// `traceparent` that is not a non-empty string; a content type that
    /// is not JSON; no data; or data that does not fit `E`.
    pub fn from_cloud_event(event: CloudEvent) -> Result<Self, DecodeError>
    where
        E: Event,
    {
        let mut parts = event.into_parts();
        let data = parts.data.take();
        let text = matches!(data, Some(Data::Text(_)));
        let (data, data_base64) = match data {
            Some(Data::Json(raw)) => (Some(raw), None),
            Some(Data::Binary(bytes)) => (None, Some(bytes)),
            Some(Data::Text(_)) | None => (None, None),
        };
        // A generic event's typed extensions: each checked to be a string,
        // then each to be non-empty; then text data, which is no JSON.
        let wire = typed_wire(parts, TYPED_EXTENSIONS, data, data_base64)?;
        if text {
            return Err(content_type_error::<E>(wire.datacontenttype.as_deref()));
        }
        Envelope::from_wire(wire, |raw| decode::payload::<E>(raw.get().as_bytes()))
    }

    /// The typed envelope of a binary-mode event: its attributes, read from
    /// headers, and its data, the `body`, read straight into `E`. The same
    /// checks, in the same order, as reading the event's CloudEvents JSON,
    /// where the typed extensions come in the order of their names; the
    /// caller checks the limits first.
    #[cfg(feature = "tokio")]
    pub(crate) fn from_binary(
        attributes: cloudevent::Parts,
        body: &[u8],
    ) -> Result<Self, DecodeError>
    where
        E: Event,
    {
        let mut by_name = TYPED_EXTENSIONS;
        by_name.sort_unstable();
        let wire = typed_wire(
            attributes,
            by_name,
            (!body.is_empty()).then_some(body),
            None,
        )?;
        Envelope::from_wire(wire, |body| decode::payload::<E>(body))
    }

    /// The typed envelope of the attributes read, with `data` turned into
    /// `E` by `into_data`.
    pub(crate) fn from_wire<D>(
        wire: Wire<D>,
        into_data: impl FnOnce(D) -> Result<E, DecodeError>,
    ) -> Result<Self, DecodeError>
    where
        E: Event,
    {
        if wire.event_type != E::FULL_TYPE {
            return Err(decode::type_error::<E>(&wire.event_type));
        }
        if !cloudevent::is_json_content_type(wire.datacontenttype.as_deref()) {
            return Err(content_type_error::<E>(wire.datacontenttype.as_deref()));
        }
        let data = match (wire.data, wire.data_base64) {
            (Some(data), _) => into_data(data)?,
            // Binary data of a JSON content type: the JSON is in the bytes.
            (None, Some(bytes)) => decode::payload::<E>(&bytes)?,
            (None, None) => return Err(DecodeError::MissingAttribute { name: "data" }),
        };
        let id = EventId::from(wire.id);
        // An envelope from a producer that sets no correlation id starts
        // its own business action.
        let (correlation_id, correlation_implied) = match wire.correlationid {
            Some(correlation) => (CorrelationId::from(correlation), false),
            None => (CorrelationId::from(id.as_str()), true),
        };
        Ok(Envelope {
            id,
            source: wire.source,
            time: wire.time,
            correlation_id,
            correlation_implied,
            causation_id: wire.causationid.map(EventId::from),
            traceparent: wire.traceparent,
            subject: wire.subject,
            content_type: wire.datacontenttype,
            dataschema: wire.dataschema,
            extensions: wire.extensions,
            invalid: None,
            data,
        })
    }
}

/// The attributes of a generic event (its `data` taken out) as a typed
/// envelope reads them, with `data`: the typed extensions taken out of the
/// others and checked in the order of `checked`.
fn typed_wire<D>(
    mut parts: cloudevent::Parts,
    checked: [&'static str; 3],
    data: Option<D>,
    data_base64: Option<Vec<u8>>,
) -> Result<Wire<D>, DecodeError> {
    let [correlationid, causationid, traceparent] =
        take_typed_extensions(&mut parts.extensions, checked)?;
    Ok(Wire {
        id: parts.id,
        source: parts.source,
        event_type: Cow::Owned(parts.event_type),
        datacontenttype: parts.datacontenttype.map(Cow::Owned),
        dataschema: parts.dataschema.map(Cow::Owned),
        subject: parts.subject,
        time: parts.time,
        correlationid,
        causationid,
        traceparent,
        extensions: parts.extensions,
        data,
        data_base64,
    })
}

/// The extensions a typed envelope holds as attributes of its own.
const TYPED_EXTENSIONS: [&str; 3] = ["correlationid", "causationid", "traceparent"];

/// The `correlationid`, `causationid` and `traceparent` of generic
/// extensions, in that order, taken out of them: attributes of their own in
/// a typed envelope. Each must be a string, then each must be non-empty,
/// checked in the order of `checked`.
fn take_typed_extensions(
    extensions: &mut Extensions,
    checked: [&'static str; 3],
) -> Result<[Option<String>; 3], DecodeError> {
    let at = |name: &str| {
        TYPED_EXTENSIONS
            .iter()
            .position(|n| *n == name)
            .unwrap_or(0)
    };
    let mut taken = [None, None, None];
    for name in checked {
        taken[at(name)] = match extensions.remove(name) {
            None => None,
            Some(ExtensionValue::String(text)) => Some(text),
            Some(_) => {
                return Err(DecodeError::InvalidAttribute {
                    name,
                    reason: "expected a string".into(),
                });
            }
        };
    }
    for name in checked {
        if let Some(Err(reason)) = taken[at(name)].as_deref().map(rules::non_empty_string) {
            return Err(DecodeError::InvalidAttribute {
                name,
                reason: reason.into(),
            });
        }
    }
    Ok(taken)
}

fn content_type_error<E: Event>(content_type: Option<&str>) -> DecodeError {
    DecodeError::InvalidAttribute {
        name: "datacontenttype",
        reason: format!(
            "`{}` is not a JSON content type, which `{}` is read from",
            echo(content_type.unwrap_or_default()),
            E::FULL_TYPE
        ),
    }
}

impl<E: Event> Serialize for Envelope<E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(error) = &self.invalid {
            return Err(serde::ser::Error::custom(error));
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("specversion", "1.0")?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("source", &self.source)?;
        map.serialize_entry("type", E::FULL_TYPE)?;
        if let Some(time) = &self.time {
            map.serialize_entry("time", time)?;
        }
        if let Some(content_type) = &self.content_type {
            map.serialize_entry("datacontenttype", content_type)?;
        }
        if let Some(schema) = &self.dataschema {
            map.serialize_entry("dataschema", schema)?;
        }
        if let Some(subject) = &self.subject {
            map.serialize_entry("subject", subject)?;
        }
        if !self.correlation_implied {
            map.serialize_entry("correlationid", &self.correlation_id)?;
        }
        if let Some(causation) = &self.causation_id {
            map.serialize_entry("causationid", causation)?;
        }
        if let Some(traceparent) = &self.traceparent {
            map.serialize_entry("traceparent", traceparent)?;
        }
        for (name, value) in &self.extensions {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("data", &self.data)?;
        map.end()
    }
}

impl<'de, E: Event> Deserialize<'de> for Envelope<E> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through the generic event, so that every rule is checked whatever
        // the deserializer.
        let value = serde_json::Value::deserialize(deserializer)?;
        let bytes = serde_json::to_vec(&value).map_err(serde::de::Error::custom)?;
        decode::decode::<E>(&bytes).map_err(serde::de::Error::custom)
    }
}

/// Writes `raw` to `out` with the values `schema` marks `x-pii` or
/// `x-secret` replaced by `"<redacted>"`, through nested objects, arrays and
/// `$ref`s into `root`; the rest is written as it was, in its order.
fn redact_raw(
    raw: &RawValue,
    schema: &serde_json::Value,
    root: &serde_json::Value,
    depth: usize,
    out: &mut String,
) -> Result<(), serde_json::Error> {
    use serde_json::Value;
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
    let text = raw.get();
    if depth > 32 {
        out.push_str(text);
    } else if text.starts_with('{') {
        let Ordered(fields) = serde_json::from_str(text)?;
        out.push('{');
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(name)?);
            out.push(':');
            match schema.get("properties").and_then(|p| p.get(name)) {
                Some(property) if marked(property) => out.push_str("\"<redacted>\""),
                Some(property) => redact_raw(value, property, root, depth + 1, out)?,
                None => out.push_str(value.get()),
            }
        }
        out.push('}');
    } else if text.starts_with('[') {
        let items: Vec<Box<RawValue>> = serde_json::from_str(text)?;
        let item_schema = schema.get("items").unwrap_or(&Value::Null);
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            redact_raw(item, item_schema, root, depth + 1, out)?;
        }
        out.push(']');
    } else {
        out.push_str(text);
    }
    Ok(())
}

/// The members of a JSON object in the order written.
struct Ordered(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Ordered(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}
