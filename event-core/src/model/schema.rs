//! JSON Schema of declared events.

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::model::event::Event;

/// The schema base used when neither the event's `schema_base = "..."` nor the
/// `EVENT_CORE_SCHEMA_BASE` environment variable sets one. An event's `$id` is
/// the base, its kind and its full type: `urn:event:integration:product.updated.v2`
/// (after a base ending in `/` or `#`, the kind and type are joined by `/`).
pub const DEFAULT_SCHEMA_BASE: &str = "urn:event:";

pub(crate) fn event_schema<E: Event>() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<E>();
    let object = schema.ensure_object();
    object.insert("$id".to_owned(), Value::from(E::SCHEMA_ID));
    object.insert("x-event-type".to_owned(), Value::from(E::TYPE_NAME));
    object.insert("x-event-version".to_owned(), Value::from(E::VERSION));
    object.insert("x-event-kind".to_owned(), Value::from(E::KIND.as_str()));
    schema.to_value()
}
