//! JSON Schema of declared events.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use crate::model::event::Event;

/// The start of every default schema base. An event's `$id` is the base, its
/// kind and its full type; when neither the event's `schema_base = "..."` nor
/// the `EVENT_CORE_SCHEMA_BASE` environment variable sets the base, it is
/// this and the name of the cargo package that declares the event:
/// `urn:event:shop-events:integration:product.updated.v2`, so that two
/// packages' events of one type never share an `$id`. Outside cargo the base
/// is `urn:event:` alone. After a base ending in `/` or `#`, the kind and
/// type are joined by `/`.
///
/// ```
/// use event_core::prelude::*;
///
/// /// A parcel was handed to the carrier.
/// #[domain_event]
/// pub struct ParcelHandedOver {
///     pub parcel_id: String,
/// }
///
/// let package = env!("CARGO_PKG_NAME");
/// assert_eq!(
///     ParcelHandedOver::SCHEMA_ID,
///     format!("{}{package}:domain:parcel.handed.over.v1", event_core::DEFAULT_SCHEMA_BASE),
/// );
/// ```
pub const DEFAULT_SCHEMA_BASE: &str = "urn:event:";

/// The event-core vocabulary: a JSON Schema 2020-12 meta-schema
/// (`event-core/schema/vocabulary.json`) that documents the `x-` keywords
/// of event schemas (`x-event-type`, `x-event-version`, `x-event-kind`,
/// `x-rust-type`, `x-pii`, `x-secret`) and the integer `format`s with their
/// ranges. A strict validator accepts every event schema once it knows
/// them; ajv, for example, with `addKeyword` for each entry of its
/// `properties` and `addFormat` for each `$defs` entry named `format-*`.
///
/// ```
/// let vocabulary: serde_json::Value =
///     serde_json::from_str(event_core::registry::VOCABULARY).unwrap();
/// assert_eq!(vocabulary["$id"], "urn:event-core:meta:2020-12");
/// assert!(vocabulary["properties"]["x-pii"].is_object());
/// assert_eq!(vocabulary["$defs"]["format-uint8"]["maximum"], 255);
/// ```
pub const VOCABULARY: &str = include_str!("../../schema/vocabulary.json");

pub(crate) fn event_schema<E: Event>() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<E>();
    let object = schema.ensure_object();
    object.insert("$id".to_owned(), Value::from(E::SCHEMA_ID));
    object.insert("x-event-type".to_owned(), Value::from(E::TYPE_NAME));
    object.insert("x-event-version".to_owned(), Value::from(E::VERSION));
    object.insert("x-event-kind".to_owned(), Value::from(E::KIND.as_str()));
    let mut value = schema.to_value();
    integer_ranges(&mut value);
    value
}

/// The range of an integer `format` schemars writes, for the widths a JSON
/// number holds exactly: `uint8` to `uint64`, `int8` to `int64`, and `uint`
/// and `int` (`usize`, `isize`, taken as 64 bits).
fn range(format: &str) -> Option<(Value, Value)> {
    Some(match format {
        "uint8" => (0.into(), u8::MAX.into()),
        "uint16" => (0.into(), u16::MAX.into()),
        "uint32" => (0.into(), u32::MAX.into()),
        "uint64" | "uint" => (0.into(), u64::MAX.into()),
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    })
}

/// Adds `minimum` and `maximum` beside each integer `format`, so that a
/// validator that knows no `format` still enforces the width; a bound the
/// schema already has is kept. Values (`const`, `enum`, `default`,
/// `examples`) are data, not schemas, and are left alone.
fn integer_ranges(value: &mut Value) {
    match value {
        Value::Object(map) => {
            add_range(map);
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "const" | "enum" | "default" | "examples") {
                    integer_ranges(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integer_ranges),
        _ => {}
    }
}

fn add_range(map: &mut Map<String, Value>) {
    let integer = match map.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
        _ => false,
    };
    let Some((min, max)) = map
        .get("format")
        .and_then(Value::as_str)
        .filter(|_| integer)
        .and_then(range)
    else {
        return;
    };
    map.entry("minimum").or_insert(min);
    map.entry("maximum").or_insert(max);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::integer_ranges;

    #[test]
    fn integer_formats_get_their_range_and_values_are_left_alone() {
        let mut schema = json!({
            "properties": {
                "a": { "type": "integer", "format": "uint8", "minimum": 0 },
                "b": { "type": ["integer", "null"], "format": "int64" },
                "c": { "type": "integer", "format": "uint32", "maximum": 10 },
                "d": { "type": "number", "format": "double" },
                "e": { "type": "integer", "format": "uint128" },
                "f": { "const": { "type": "integer", "format": "uint8" } }
            }
        });
        integer_ranges(&mut schema);
        let p = &schema["properties"];
        assert_eq!(p["a"]["minimum"], 0);
        assert_eq!(p["a"]["maximum"], 255);
        assert_eq!(p["b"]["minimum"], i64::MIN);
        assert_eq!(p["b"]["maximum"], i64::MAX);
        assert_eq!(p["c"]["maximum"], 10, "a bound given is kept");
        assert_eq!(p["c"]["minimum"], 0);
        assert!(p["d"].get("maximum").is_none());
        assert!(p["e"].get("maximum").is_none(), "no JSON number holds it");
        assert!(p["f"]["const"].get("maximum").is_none());
    }
}
