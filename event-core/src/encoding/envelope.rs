//! The wire format of [`Envelope`]: its CloudEvents JSON (the serde impls),
//! and the conversions to and from the generic [`CloudEvent`].

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use crate::encoding::cloudevent::wire::Wire;
use crate::encoding::cloudevent::{self, CloudEvent, Data, ExtensionValue, rules};
use crate::encoding::decode;
use crate::encoding::json_text::JsonText;
use crate::model::envelope::{CorrelationId, Envelope, EventId};
use crate::model::error::{DecodeError, echo};
use crate::model::event::Event;

impl<E: Event> Envelope<E> {
    /// The CloudEvents JSON of this envelope.
    ///
    /// # Errors
    ///
    /// An attribute breaks a CloudEvents rule (see [`Envelope::validate`]),
    /// or the event's `Serialize` failed: a hand-written impl that fails, or
    /// a map whose keys are not strings.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = Vec::with_capacity(256);
        self.write_json(&mut out)?;
        // Strings and serde_json's text only: UTF-8 throughout.
        String::from_utf8(out).map_err(serde::ser::Error::custom)
    }

    /// Appends the CloudEvents JSON of this envelope to `out`: the same
    /// text as its `Serialize` impl gives serde_json, the attributes
    /// written straight into the buffer and the data by serde_json.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        if let Some(error) = &self.invalid {
            return Err(serde::ser::Error::custom(error));
        }
        let mut json = JsonText::object(out);
        json.raw("specversion", "\"1.0\"");
        json.string("id", self.id.as_str());
        json.string("source", &self.source);
        json.string("type", E::FULL_TYPE);
        if let Some(time) = &self.time {
            cloudevent::time_member(&mut json, time);
        }
        if let Some(content_type) = &self.content_type {
            json.string("datacontenttype", content_type);
        }
        if let Some(schema) = &self.dataschema {
            json.string("dataschema", schema);
        }
        if let Some(subject) = &self.subject {
            json.string("subject", subject);
        }
        if !self.correlation_implied {
            json.string("correlationid", self.correlation_id.as_str());
        }
        if let Some(causation) = &self.causation_id {
            json.string("causationid", causation.as_str());
        }
        if let Some(traceparent) = &self.traceparent {
            json.string("traceparent", traceparent);
        }
        cloudevent::extension_members(&mut json, &self.extensions);
        json.key("data");
        serde_json::to_writer(&mut *json.out(), &self.data)?;
        json.end();
        Ok(())
    }

    /// Reads an envelope of `E` from CloudEvents JSON; see
    /// [`decode`](crate::decode::decode).
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] that says what was wrong with the bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode::decode(bytes)
    }

    /// The envelope as a generic [`CloudEvent`], every attribute kept.
    ///
    /// # Errors
    ///
    /// As [`Envelope::to_json`].
    pub fn to_cloud_event(&self) -> Result<CloudEvent, serde_json::Error> {
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
    pub fn from_cloud_event(event: CloudEvent) -> Result<Self, DecodeError> {
        let mut parts = event.into_parts();
        let mut own = |name: &'static str| match parts.extensions.remove(name) {
            None => Ok(None),
            Some(ExtensionValue::String(text)) => Ok(Some(text)),
            Some(_) => Err(DecodeError::InvalidAttribute {
                name,
                reason: "expected a string".into(),
            }),
        };
        let (correlationid, causationid, traceparent) = (
            own("correlationid")?,
            own("causationid")?,
            own("traceparent")?,
        );
        for (name, value) in [
            ("correlationid", &correlationid),
            ("causationid", &causationid),
            ("traceparent", &traceparent),
        ] {
            if let Some(Err(reason)) = value.as_deref().map(rules::non_empty_string) {
                return Err(DecodeError::InvalidAttribute {
                    name,
                    reason: reason.into(),
                });
            }
        }
        let (data, data_base64) = match parts.data {
            Some(Data::Json(raw)) => (Some(raw), None),
            Some(Data::Binary(bytes)) => (None, Some(bytes)),
            Some(Data::Text(_)) => {
                return Err(content_type_error::<E>(parts.datacontenttype.as_deref()));
            }
            None => (None, None),
        };
        let wire = Wire {
            id: parts.id,
            source: parts.source,
            event_type: parts.event_type,
            datacontenttype: parts.datacontenttype,
            dataschema: parts.dataschema,
            subject: parts.subject,
            time: parts.time,
            correlationid,
            causationid,
            traceparent,
            extensions: parts.extensions,
            data,
            data_base64,
        };
        Envelope::from_wire(wire, |raw| decode::payload::<E>(raw.get().as_bytes()))
    }

    /// The typed envelope of the attributes read, with `data` turned into
    /// `E` by `into_data`.
    pub(crate) fn from_wire<D>(
        wire: Wire<D>,
        into_data: impl FnOnce(D) -> Result<E, DecodeError>,
    ) -> Result<Self, DecodeError> {
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
            content_type: wire.datacontenttype.map(Cow::Owned),
            dataschema: wire.dataschema.map(Cow::Owned),
            extensions: wire.extensions,
            invalid: None,
            data,
        })
    }
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
